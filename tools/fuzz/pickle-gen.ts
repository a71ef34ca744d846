/**
 * Grammar-aware pickle generation: a stream is built value by value (each value pushes exactly
 * one stack item), with every protocol's spellings (text opcodes at protocol 0, BIN* forms,
 * STACK_GLOBAL + MEMOIZE at 4+, FRAME), memo puts and gets, calls (REDUCE, NEWOBJ, OBJ, INST,
 * BUILD), nested pickles in constants, EXT codes and persistent ids. Each case also says which
 * imports it planted, so the Python-free invariant loop knows what must be found.
 */
import { cat, le, type Part, type Rng, utf8 } from "./bytes.js";

export interface Planted {
  module: string;
  name: string;
}

/** Known-dangerous imports (pickle-dangerous.json has them) and what a fuzz case may import. */
export const DANGEROUS: readonly Planted[] = [
  { module: "os", name: "system" },
  { module: "posix", name: "system" },
  { module: "nt", name: "system" },
  { module: "builtins", name: "eval" },
  { module: "builtins", name: "exec" },
  { module: "__builtin__", name: "eval" },
  { module: "subprocess", name: "Popen" },
  { module: "builtins", name: "getattr" },
  { module: "pickle", name: "loads" },
  { module: "_pickle", name: "loads" },
  { module: "runpy", name: "_run_code" },
];
const SAFE: readonly Planted[] = [
  { module: "collections", name: "OrderedDict" },
  { module: "torch._utils", name: "_rebuild_tensor_v2" },
  { module: "builtins", name: "set" },
  { module: "__builtin__", name: "set" },
  { module: "numpy", name: "dtype" },
];
const ODD: readonly Planted[] = [
  { module: "mvfuzz", name: "thing" },
  { module: "os", name: "system.__call__" },
  { module: "builtins", name: "__import__" },
  { module: "os.path", name: "join" },
  { module: "mv fuzz", name: "x" },
  { module: "torch", name: "" },
];

interface Ctx {
  rng: Rng;
  proto: number;
  text: boolean; // protocol 0 with text opcodes only
  memo: number; // memo entries put so far
  planted: Planted[];
  depth: number;
}

const str = (c: Ctx, s: string): Part[] => {
  const b = utf8(s);
  if (c.text || c.proto < 1)
    return c.rng.chance(0.5) && /^[ -~]*$/.test(s)
      ? [`S'${s.replace(/[\\']/g, "")}'\n`]
      : [`V${s}\n`];
  if (c.proto >= 4 && b.length < 256 && c.rng.chance(0.6)) return [0x8c, b.length, b];
  const ascii = b.every((x) => x < 0x80);
  if (ascii && c.rng.chance(0.2) && b.length < 256) return [0x55, b.length, b]; // SHORT_BINSTRING
  return [0x58, le(b.length, 4), b];
};

const int = (c: Ctx, n: number): Part[] => {
  if (c.text || c.proto < 1) return c.rng.chance(0.8) ? [`I${n}\n`] : [`L${n}L\n`];
  if (n >= 0 && n < 256) return [0x4b, n];
  if (n >= 0 && n < 65536) return [0x4d, le(n, 2)];
  return [0x4a, le(n, 4)];
};

function put(c: Ctx): Part[] {
  const i = c.memo++;
  if (c.text) return [`p${i}\n`];
  if (c.proto >= 4 && c.rng.chance(0.5)) return [0x94];
  if (i < 256 && c.rng.chance(0.7)) return [0x71, i];
  return [0x72, le(i, 4)];
}

function get(c: Ctx, i: number): Part[] {
  if (c.text) return [`g${i}\n`];
  if (i < 256 && c.rng.chance(0.7)) return [0x68, i];
  return [0x6a, le(i, 4)];
}

function pickGlobal(c: Ctx): Planted {
  const r = c.rng.next();
  const g = r < 0.5 ? c.rng.pick(DANGEROUS) : r < 0.8 ? c.rng.pick(SAFE) : c.rng.pick(ODD);
  return g;
}

/** The import itself: GLOBAL, or STACK_GLOBAL from (maybe memoized) strings. */
function globalRef(c: Ctx, g: Planted): Part[] {
  c.planted.push(g);
  if (c.proto >= 4 && !c.text && c.rng.chance(0.6)) {
    const parts: Part[] = [];
    const m = str(c, g.module);
    const n = str(c, g.name);
    if (c.rng.chance(0.4)) {
      // memoize the module string, pop it, get it back
      const i = c.memo;
      parts.push(...m, ...put(c), 0x30, ...get(c, i));
    } else parts.push(...m);
    parts.push(...n, 0x93);
    return parts;
  }
  return [`c${g.module}\n${g.name}\n`];
}

function constant(c: Ctx): Part[] {
  const r = c.rng.int(8);
  switch (r) {
    case 0:
      return int(c, c.rng.int(70000));
    case 1:
      return str(c, c.rng.pick(["echo mvfuzz", "x", "", "weights", "é"]));
    case 2:
      return c.text || c.proto < 2 ? ["N"] : [c.rng.pick([0x88, 0x89, 0x4e])];
    case 3:
      if (c.proto >= 3 && !c.text) return [0x43, 3, "abc"];
      return ["F1.5\n"];
    default:
      return int(c, c.rng.int(300));
  }
}

function tuple(c: Ctx, items: Part[][]): Part[] {
  if (!c.text && c.proto >= 2 && items.length >= 1 && items.length <= 3 && c.rng.chance(0.6))
    return [...items.flat(), 0x84 + items.length];
  if (items.length === 0 && !c.text && c.proto >= 1) return [")"];
  return ["(", ...items.flat(), "t"];
}

/** A nested pickle as a bytes/str constant, maybe handed to pickle.loads. */
function nested(c: Ctx): Part[] {
  if (c.text) return int(c, 1);
  const inner = generateBody(c.rng, c.rng.pick([0, 2, 4]), c.planted, c.depth + 1);
  const bytes = cat(...inner);
  const constantParts: Part[] =
    c.proto >= 3 && !c.text
      ? [0x42, le(bytes.length, 4), bytes]
      : [0x54, le(bytes.length, 4), bytes];
  if (c.rng.chance(0.6)) {
    const loads = { module: c.rng.pick(["pickle", "_pickle"]), name: "loads" };
    return [...globalRef(c, loads), ...tuple(c, [constantParts]), "R"];
  }
  return constantParts;
}

/** One value: pushes exactly one stack item. */
function value(c: Ctx): Part[] {
  if (c.depth > 3) return constant(c);
  c.depth++;
  let out: Part[];
  const r = c.rng.int(20);
  if (r < 5) out = constant(c);
  else if (r < 9) {
    // call: global(args) via REDUCE / NEWOBJ / OBJ / INST
    // Memo indices are given out in generation order, so parts are generated in the order
    // they are written: the import before its arguments (INST writes its name last).
    const g = pickGlobal(c);
    const how = c.rng.int(4);
    const nargs = c.rng.int(3);
    const args = () => Array.from({ length: nargs }, () => value(c));
    if (how === 0 && c.proto >= 2 && !c.text) {
      const ref = globalRef(c, g);
      out = [...ref, ...tuple(c, args()), 0x81];
    } else if (how === 1) {
      const ref = globalRef(c, g);
      out = ["(", ...ref, ...args().flat(), "o"];
    } else if (how === 2) {
      c.planted.push(g);
      out = ["(", ...args().flat(), `i${g.module}\n${g.name}\n`];
    } else {
      const ref = globalRef(c, g);
      out = [...ref, ...tuple(c, args()), "R"];
    }
    if (c.rng.chance(0.2)) out.push(...value(c), "b"); // BUILD with some state
  } else if (r < 11) out = globalRef(c, pickGlobal(c));
  else if (r < 13) {
    const items = Array.from({ length: c.rng.int(3) }, () => value(c));
    out = c.text || c.proto < 1 ? ["(", ...items.flat(), "l"] : ["]", "(", ...items.flat(), "e"];
  } else if (r < 15) {
    const items = Array.from({ length: c.rng.int(3) }, () => [...str(c, "k"), ...value(c)]);
    out = c.text || c.proto < 1 ? ["(", ...items.flat(), "d"] : ["}", "(", ...items.flat(), "u"];
  } else if (r < 16) out = tuple(c, [value(c), value(c)]);
  else if (r < 17 && c.memo > 0) out = get(c, c.rng.int(c.memo));
  else if (r < 18) out = nested(c);
  else if (r < 19 && !c.text && c.proto >= 2 && c.rng.chance(0.3))
    out = [
      c.rng.pick([
        [0x82, c.rng.int(256)],
        [0x83, ...le(c.rng.int(65536), 2)],
      ]),
    ];
  else if (r < 19) out = c.text ? ["Pstorage\n"] : [...str(c, "storage"), "Q"];
  else out = constant(c);
  if (c.rng.chance(0.25)) out.push(...put(c));
  c.depth--;
  return out;
}

/** A complete stream (PROTO, body, STOP) without frames. */
export function generateBody(rng: Rng, proto: number, planted: Planted[], depth = 0): Part[] {
  const c: Ctx = { rng, proto, text: proto === 0, memo: 0, planted, depth };
  const parts: Part[] = [];
  if (proto >= 2 || (proto === 1 && rng.chance(0.3))) parts.push(0x80, proto);
  const start = parts.length;
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    parts.push(...value(c));
    if (i < n - 1) parts.push(rng.chance(0.5) ? "0" : "");
  }
  // Leave one item: wrap leftovers in a tuple with a MARK at the start.
  if (n > 1) {
    parts.splice(start, 0, "(");
    parts.push("t");
  }
  parts.push(".");
  return parts;
}

/** Splits a protocol-4+ stream into frames: at opcode-agnostic cut points, sometimes lying. */
export function frame(rng: Rng, stream: Uint8Array): Uint8Array {
  if (stream[0] !== 0x80 || (stream[1] ?? 0) < 4) return stream;
  const body = stream.subarray(2);
  const out: Part[] = [stream.subarray(0, 2)];
  let at = 0;
  while (at < body.length) {
    const n = Math.min(body.length - at, 1 + rng.int(Math.max(2, body.length)));
    let declared = n;
    if (rng.chance(0.05)) declared = n + rng.int(8) - 4;
    if (declared < 0) declared = 0;
    out.push(0x95, le(declared, 8), body.subarray(at, at + n));
    at += n;
  }
  return cat(...out);
}

export interface PickleCase {
  bytes: Uint8Array;
  protocol: number;
  planted: Planted[];
}

export function generatePickle(rng: Rng): PickleCase {
  const protocol = rng.int(6);
  const planted: Planted[] = [];
  let bytes = cat(...generateBody(rng, protocol, planted));
  // Frames are cut at arbitrary bytes, so a frame header can land inside a constant and change
  // what the stream means: what was planted is no longer known (the oracle still judges it).
  let framed = false;
  if (protocol >= 4 && rng.chance(0.6)) {
    bytes = frame(rng, bytes);
    framed = true;
  }
  if (rng.chance(0.1)) {
    // stacked streams, as torch's legacy format and joblib write them
    const more = generateBody(rng, rng.int(6), planted);
    bytes = cat(bytes, ...more);
  }
  return { bytes, protocol, planted: framed ? [] : planted };
}

const OPCODE_BYTES =
  "(.0125NRbadel}]o)sutQPcigphjqr\x80\x81\x85\x86\x87\x88\x89\x8c\x93\x94\x95\x8a"
    .split("")
    .map((ch) => ch.charCodeAt(0));

/** A few byte-level edits: flips, opcode pokes, cuts, duplications, insertions. */
export function mutate(rng: Rng, input: Uint8Array, donor?: Uint8Array): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  const edits = 1 + rng.int(3);
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = rng.int(b.length);
    switch (rng.int(7)) {
      case 0:
        b[at] = (b[at] as number) ^ (1 << rng.int(8));
        break;
      case 1:
        b[at] = rng.pick(OPCODE_BYTES);
        break;
      case 2:
        b = b.subarray(0, at);
        break;
      case 3: {
        const len = 1 + rng.int(Math.min(16, b.length - at));
        b = cat(b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len));
        break;
      }
      case 4: {
        const len = 1 + rng.int(Math.min(8, b.length - at));
        b = cat(b.subarray(0, at), b.subarray(at + len));
        break;
      }
      case 5:
        b = cat(b.subarray(0, at), rng.pick(OPCODE_BYTES), b.subarray(at));
        break;
      default:
        if (donor !== undefined && donor.length > 0) {
          const from = rng.int(donor.length);
          b = cat(b.subarray(0, at), donor.subarray(from, from + 1 + rng.int(24)), b.subarray(at));
        }
    }
  }
  return b;
}
