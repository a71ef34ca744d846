/**
 * A small, read-only walker over Python `marshal` data, enough to describe the bytecode a Keras
 * Lambda layer carries: which Python layout it is, and which names and string constants it uses
 * (`os`, `system`, `__import__` …). Nothing is ever executed or evaluated; every read is bounded.
 *
 * Keras stores `base64(marshal.dumps(fn.__code__))`. marshal has no header, so the Python version
 * is inferred from the code-object layout (the number of leading int32 fields and the fields that
 * follow). A blob that starts with a .pyc header has its magic number reported too.
 */

export interface MarshalLimits {
  /** Objects decoded before giving up. */
  maxObjects: number;
  /** Container nesting. */
  maxDepth: number;
  /** Strings kept for the report. */
  maxStrings: number;
}

export const DEFAULT_MARSHAL_LIMITS: MarshalLimits = {
  maxObjects: 200_000,
  maxDepth: 64,
  maxStrings: 200,
};

export interface BytecodeSummary {
  /** Size of the marshalled data. */
  bytes: number;
  /** Code-object layout that decoded the whole blob, e.g. `python>=3.11`. */
  layout?: string;
  /** A .pyc magic number in front of the data, with the Python version it stands for. */
  pycMagic?: { value: number; python?: string };
  /** `co_name` of every code object (the lambda and anything nested). */
  codeNames: string[];
  /** Global and attribute names the code uses (`co_names`) and its string constants. */
  strings: string[];
  /** Entries of `strings` that are known code-execution, import, file or network names. */
  dangerous: string[];
  /** Why the blob could not be decoded as marshal data (strings are then a printable-run scan). */
  error?: string;
}

/** Names whose presence in lambda bytecode is worth calling out (they never make it safer). */
const DANGEROUS_NAMES = new Set([
  "os",
  "posix",
  "nt",
  "subprocess",
  "system",
  "popen",
  "Popen",
  "spawn",
  "spawnl",
  "spawnv",
  "execl",
  "execv",
  "execve",
  "execvp",
  "fork",
  "pty",
  "exec",
  "eval",
  "compile",
  "__import__",
  "importlib",
  "import_module",
  "builtins",
  "__builtins__",
  "getattr",
  "globals",
  "open",
  "socket",
  "urllib",
  "request",
  "requests",
  "urlopen",
  "http",
  "pickle",
  "marshal",
  "loads",
  "ctypes",
  "shutil",
  "rmtree",
  "check_output",
  "check_call",
  "webbrowser",
  "sys",
]);

/** CPython .pyc magic numbers (the 16-bit value before `\r\n`) of released versions. */
const PYC_MAGIC: ReadonlyArray<readonly [number, number, string]> = [
  [3360, 3379, "3.6"],
  [3390, 3394, "3.7"],
  [3400, 3413, "3.8"],
  [3420, 3425, "3.9"],
  [3430, 3439, "3.10"],
  [3450, 3495, "3.11"],
  [3500, 3531, "3.12"],
  [3550, 3571, "3.13"],
  [3600, 3627, "3.14"],
];

type Layout = {
  name: string;
  /** int32 fields before the first object field. */
  ints: number;
  /** Object fields before co_firstlineno. */
  before: number;
  /** Object fields after co_firstlineno. */
  after: number;
  /** Index (among `before`) of co_names and co_name, to report them. */
  namesField: number;
  nameField: number;
};

// Field orders from CPython's marshal.c (w_object for code objects), by version.
const LAYOUTS: readonly Layout[] = [
  // 3.11+: argcount, posonly, kwonly, stacksize, flags | code, consts, names, localsplusnames,
  // localspluskinds, filename, name, qualname | firstlineno | linetable, exceptiontable
  { name: "python>=3.11", ints: 5, before: 8, after: 2, namesField: 2, nameField: 6 },
  // 3.8–3.10: argcount, posonly, kwonly, nlocals, stacksize, flags | code, consts, names,
  // varnames, freevars, cellvars, filename, name | firstlineno | lnotab
  { name: "python3.8-3.10", ints: 6, before: 8, after: 1, namesField: 2, nameField: 7 },
  // 3.0–3.7: argcount, kwonly, nlocals, stacksize, flags | same objects as 3.8
  { name: "python3.0-3.7", ints: 5, before: 8, after: 1, namesField: 2, nameField: 7 },
  // 2.x: argcount, nlocals, stacksize, flags | same objects
  { name: "python2", ints: 4, before: 8, after: 1, namesField: 2, nameField: 7 },
];

class MarshalError extends Error {}

type Value =
  | { kind: "str"; value: string }
  | { kind: "bytes"; value: string }
  | { kind: "seq"; items: Value[] }
  | { kind: "code"; name?: string }
  | { kind: "other" };

const OTHER: Value = { kind: "other" };

class Reader {
  private pos = 0;
  private objects = 0;
  private readonly refs: Value[] = [];
  private readonly interned: string[] = [];
  readonly strings = new Set<string>();
  readonly codeNames = new Set<string>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly layout: Layout,
    private readonly limits: MarshalLimits,
  ) {}

  get atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new MarshalError("truncated");
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private i32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }

  private skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private text(n: number, latin1: boolean): string {
    this.need(n);
    const slice = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    if (latin1) return String.fromCharCode(...slice.subarray(0, 4096));
    return new TextDecoder("utf-8", { fatal: false }).decode(slice);
  }

  private keep(s: string): void {
    if (this.strings.size < this.limits.maxStrings) this.strings.add(s.slice(0, 120));
  }

  read(depth = 0): Value {
    if (depth > this.limits.maxDepth) throw new MarshalError("nested too deeply");
    if (++this.objects > this.limits.maxObjects) throw new MarshalError("too many objects");
    const code = this.u8();
    const flag = (code & 0x80) !== 0;
    const type = String.fromCharCode(code & 0x7f);
    let slot = -1;
    if (flag) slot = this.refs.push(OTHER) - 1;
    const value = this.readTyped(type, depth);
    if (slot >= 0) this.refs[slot] = value;
    return value;
  }

  private readSeq(count: number, depth: number): Value {
    if (count < 0) throw new MarshalError("negative length");
    const items: Value[] = [];
    for (let i = 0; i < count; i++) items.push(this.read(depth + 1));
    return { kind: "seq", items };
  }

  private readTyped(type: string, depth: number): Value {
    switch (type) {
      case "0":
        throw new MarshalError("NULL outside a dict");
      case "N":
      case "F":
      case "T":
      case "S":
      case ".":
        return OTHER;
      case "i":
        this.skip(4);
        return OTHER;
      case "I":
      case "g":
        this.skip(8);
        return OTHER;
      case "y":
        this.skip(16);
        return OTHER;
      case "f":
        this.skip(this.u8());
        return OTHER;
      case "x":
        this.skip(this.u8());
        this.skip(this.u8());
        return OTHER;
      case "l": {
        const n = this.i32();
        this.skip(Math.abs(n) * 2);
        return OTHER;
      }
      case "s": {
        const n = this.i32();
        const s = this.text(n, true);
        // Bytes objects are bytecode and line tables; Python 2 strings are bytes too.
        if (this.layout.name === "python2" && /^[\x20-\x7e]{1,200}$/.test(s)) this.keep(s);
        return { kind: "bytes", value: s };
      }
      case "t":
      case "u":
      case "a":
      case "A": {
        const s = this.text(this.i32(), type !== "u" && type !== "t");
        if (type === "t") this.interned.push(s);
        this.keep(s);
        return { kind: "str", value: s };
      }
      case "z":
      case "Z": {
        const s = this.text(this.u8(), true);
        this.keep(s);
        return { kind: "str", value: s };
      }
      case "R": {
        // Python 2 reference to an interned string.
        const s = this.interned[this.i32()];
        if (s === undefined) throw new MarshalError("bad string reference");
        return { kind: "str", value: s };
      }
      case "r": {
        const v = this.refs[this.i32()];
        if (v === undefined) throw new MarshalError("bad object reference");
        return v;
      }
      case "(":
      case "[":
      case "<":
      case ">":
        return this.readSeq(this.i32(), depth);
      case ")":
        return this.readSeq(this.u8(), depth);
      case "{": {
        for (;;) {
          const next = this.bytes[this.pos];
          if (next === undefined) throw new MarshalError("truncated");
          if (next === 0x30 /* '0' */) {
            this.pos++;
            return OTHER;
          }
          this.read(depth + 1);
          this.read(depth + 1);
        }
      }
      case "c":
        return this.readCode(depth);
      default:
        throw new MarshalError(`unknown type byte 0x${type.charCodeAt(0).toString(16)}`);
    }
  }

  private readCode(depth: number): Value {
    const l = this.layout;
    for (let i = 0; i < l.ints; i++) this.i32();
    const fields: Value[] = [];
    for (let i = 0; i < l.before; i++) fields.push(this.read(depth + 1));
    this.i32(); // co_firstlineno
    for (let i = 0; i < l.after; i++) this.read(depth + 1);
    const [bytecode, consts] = fields;
    const names = fields[l.namesField];
    const name = fields[l.nameField];
    const nameOk = name?.kind === "str" || (l.name === "python2" && name?.kind === "bytes");
    if (bytecode?.kind !== "bytes" || consts?.kind !== "seq" || names?.kind !== "seq" || !nameOk)
      throw new MarshalError("not a code object");
    const codeName = (name as { value: string }).value;
    this.codeNames.add(codeName);
    return { kind: "code", name: codeName };
  }
}

function printableRuns(bytes: Uint8Array, limit: number): string[] {
  const out = new Set<string>();
  let run = "";
  for (const b of bytes) {
    if (b >= 0x20 && b < 0x7f) {
      run += String.fromCharCode(b);
      continue;
    }
    if (run.length >= 2 && out.size < limit) out.add(run.slice(0, 120));
    run = "";
  }
  if (run.length >= 2 && out.size < limit) out.add(run.slice(0, 120));
  return [...out];
}

function dangerousIn(strings: Iterable<string>): string[] {
  const hits = new Set<string>();
  for (const s of strings) {
    for (const word of s.split(/[^A-Za-z0-9_]+/)) if (DANGEROUS_NAMES.has(word)) hits.add(word);
  }
  return [...hits].sort();
}

function pycMagic(bytes: Uint8Array): { value: number; python?: string } | undefined {
  if (bytes.length < 16 || bytes[2] !== 0x0d || bytes[3] !== 0x0a) return undefined;
  const value = bytes[0]! | (bytes[1]! << 8);
  const match = PYC_MAGIC.find(([lo, hi]) => value >= lo && value <= hi);
  return match ? { value, python: match[2] } : { value };
}

/** Describes marshalled Python code without running it. Never throws. */
export function inspectMarshalledCode(
  bytes: Uint8Array,
  limits: MarshalLimits = DEFAULT_MARSHAL_LIMITS,
): BytecodeSummary {
  const magic = pycMagic(bytes);
  const body = magic ? bytes.subarray(16) : bytes;
  let lastError = "empty";
  for (const layout of LAYOUTS) {
    const reader = new Reader(body, layout, limits);
    try {
      const top = reader.read();
      if (top.kind !== "code") {
        lastError = "the data is not a code object";
        break;
      }
      if (!reader.atEnd) {
        lastError = "trailing bytes after the code object";
        continue;
      }
      const strings = [...reader.strings];
      return {
        bytes: bytes.length,
        layout: layout.name,
        ...(magic ? { pycMagic: magic } : {}),
        codeNames: [...reader.codeNames],
        strings,
        dangerous: dangerousIn(strings),
      };
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      if (error instanceof MarshalError && /too many|too deeply/.test(error.message)) break;
    }
  }
  const strings = printableRuns(body, limits.maxStrings);
  return {
    bytes: bytes.length,
    ...(magic ? { pycMagic: magic } : {}),
    codeNames: [],
    strings,
    dangerous: dangerousIn(strings),
    error: lastError,
  };
}

/**
 * Decodes Keras's base64 (Python's `codecs.encode(…, "base64")`: 76-column lines). Returns
 * undefined for anything that is not clean base64 once line breaks and spaces are removed.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\r\n\t ]/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, "base64"));
}
