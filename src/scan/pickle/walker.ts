/**
 * The pickle interpreter: walks one pickle stream opcode by opcode with a symbolic stack, a mark
 * stack and a memo, the way CPython's `_pickle.c` unpickler does, and records every import and
 * every call. Nothing is executed and nothing large is held: constants are skipped by offset, the
 * source is read through a 1 MiB window, and every structure is bounded by the Budget.
 *
 * Errors never escape: a truncated, invalid or over-budget stream stops the walk with a finding,
 * and everything recorded before it is kept (a payload can run before the stream breaks).
 */
import { type Finding, finding } from "../../core/finding.js";
import type { Budget } from "../budget.js";
import { type ByteSource, bytesSource } from "../source.js";
import { Halt, type HaltKind } from "./halt.js";
import { joblibHooks } from "./joblib.js";
import { PickleMemo } from "./memo.js";
import { HIGHEST_PROTOCOL, opcodeName } from "./opcodes.js";
import {
  decodeRawUnicodeEscape,
  decodeStringLine,
  decodeUtf8,
  latin1,
  latin1Bytes,
  latin1Range,
  parseDecimalLine,
  parseFloatLine,
  parseIntLine,
  utf8Range,
} from "./text.js";
import {
  type PickleHookIO,
  type PickleHooks,
  type PickleStreamResult,
  type PickleValue,
  SymbolicDict,
  SymbolicGlobal,
  SymbolicObject,
  SymbolicOpaque,
  SymbolicTuple,
} from "./types.js";
import {
  BIGINT,
  BUFFER,
  BYTEARRAY,
  BYTES,
  describe,
  EMPTY_TUPLE,
  FLOAT,
  FROZENSET,
  isPlainAscii,
  KEEP_ITEMS,
  LIST,
  LONG_STR,
  PERSISTENT,
  PICKLE_FIRST,
  SET,
  toPlain,
} from "./values.js";

export { joblibHooks };

export interface WalkPickleOptions {
  /** Where the stream starts (default 0). */
  offset?: number;
  /** Where readable bytes end (default source.size). */
  limit?: number;
  budget: Budget;
  /** Loader hooks; default `joblibHooks` (joblib's inline arrays). Pass `{}` for a plain `pickle.load`. */
  hooks?: PickleHooks;
}

/**
 * Read window: the source is never read whole. It starts at 64 KiB and doubles (to 1 MiB) while
 * the stream is read densely; after a skipped constant it starts small again, so the bytes of big
 * constants (tensor data) are not read just to be thrown away.
 */
const WINDOW_MIN = 1 << 16;
const WINDOW_MAX = 1 << 20;
/** str constants up to this many bytes are decoded (names, keys); longer ones are skipped. */
const KEEP_STR = 4096;
/** Protocol-0 lines up to this length are decoded; longer ones are skipped to their newline. */
const KEEP_LINE = 1 << 20;
/** Shortest constant that can hold a pickle that imports something (`ca\nb\n)R.`). */
const NESTED_MIN = 8;
/** Tuple items and dict entries kept across one walk (beyond this, contents are dropped). */
const RETAIN_CAP = 1 << 22;
/** Occurrences kept per distinct import or call. */
const KEEP_PER_KEY = 64;
/** Distinct imports + calls, and nested pickles, recorded per stream before the walk gives up. */
const MAX_DISTINCT = 100_000;
const MAX_NESTED = 1000;
/** Bytes a sniff looks at. */
export const SNIFF_PREFIX = 8192;

const EMPTY = new Uint8Array(0);

interface WalkConfig {
  source: ByteSource;
  limit: number;
  budget: Budget;
  hooks: PickleHooks;
  /** Nesting depth of pickles-in-constants (0 for a top-level stream). */
  depth: number;
  /** Sniff mode: no nested walks, end of data is an outcome, not a finding. */
  sniff: boolean;
  maxOpcodes: number;
}

function newResult(start: number): PickleStreamResult {
  return {
    start,
    end: start,
    protocol: 0,
    complete: false,
    imports: [],
    calls: [],
    persistentIds: [],
    findings: [],
    nested: [],
    opcodes: 0,
    omitted: 0,
  };
}

/** Walks one pickle stream from `options.offset`. Never throws on hostile input. */
export function walkPickle(source: ByteSource, options: WalkPickleOptions): PickleStreamResult {
  const start = options.offset ?? 0;
  return runWalk(
    {
      source,
      limit: Math.min(options.limit ?? source.size, source.size),
      budget: options.budget,
      hooks: options.hooks ?? joblibHooks,
      depth: 0,
      sniff: false,
      maxOpcodes: options.budget.limits.maxPickleOpcodes,
    },
    start,
  );
}

export interface ProbeResult {
  /** Bytes parse as the start of a pickle (or a whole one). */
  pickle: boolean;
  protocol: number;
  complete: boolean;
  opcodes: number;
}

/**
 * Does the data at `start` parse as a pickle? Walks at most SNIFF_PREFIX bytes. It is a pickle
 * when the walk reaches STOP; or runs off the end of the window after a PROTO header or at least
 * four opcodes; or breaks (invalid opcode, underflow, missing memo key) after four opcodes that
 * include an import — a payload may already have run. Unless `strict`, a stream that starts with a
 * valid PROTO is a pickle however it continues (top-level detection: it is then scanned, and its
 * breakage reported). Nested constants use `strict`, so random data starting 0x80 0x02 is not one.
 */
export function probePickle(
  source: ByteSource,
  start: number,
  budget: Budget,
  end = source.size,
  strict = false,
): ProbeResult {
  const limit = Math.min(end, start + SNIFF_PREFIX, source.size);
  const first = start < limit ? source.read(start, 1)[0] : undefined;
  if (first === undefined || !PICKLE_FIRST[first])
    return { pickle: false, protocol: 0, complete: false, opcodes: 0 };
  const walker = new Walker(
    {
      source,
      limit,
      budget,
      hooks: joblibHooks,
      depth: 0,
      sniff: true,
      maxOpcodes: SNIFF_PREFIX + 1,
    },
    start,
  );
  let outcome: HaltKind | "stop" = "stop";
  try {
    walker.run();
  } catch (error) {
    if (!(error instanceof Halt)) throw error;
    outcome = error.kind;
  } finally {
    walker.release();
  }
  const r = walker.result;
  const completed = outcome === "stop" ? r.opcodes : r.opcodes - 1;
  let pickle = false;
  if (outcome === "stop") pickle = r.opcodes >= 2;
  else if (outcome === "eof") pickle = walker.sawProtoFirst || completed >= 4;
  // A stream that imports something and then breaks still ran its payload (C8, P3).
  else pickle = (completed >= 4 && walker.sniffImports > 0) || (walker.sawProtoFirst && !strict);
  return { pickle, protocol: r.protocol, complete: outcome === "stop", opcodes: r.opcodes };
}

function runWalk(cfg: WalkConfig, start: number): PickleStreamResult {
  const walker = new Walker(cfg, start);
  try {
    walker.run();
  } catch (error) {
    if (!(error instanceof Halt)) {
      // A bug in the walker must still fail closed, with what was found so far.
      walker.result.findings.push(
        finding(
          "PICKLE_MALFORMED",
          "unscannable",
          `The pickle walker failed unexpectedly: ${String(error)}.`,
          {
            offset: walker.opStart,
          },
        ),
      );
    } else if (error.kind === "budget") {
      walker.result.findings.push(
        finding("BUDGET_EXCEEDED", "unscannable", error.message, { offset: error.offset }),
      );
    } else if (error.kind === "malformed") {
      walker.result.findings.push(
        finding(
          "PICKLE_MALFORMED",
          "unscannable",
          `The pickle is malformed at offset ${error.offset} (${opcodeName(walker.opcodeAt(error.offset))}): ${error.message}.`,
          { offset: error.offset },
        ),
      );
    } else if (error.kind === "eof") {
      walker.result.findings.push(
        finding("PICKLE_MALFORMED", "unscannable", error.message, { offset: error.offset }),
      );
    }
    walker.result.end = Math.min(walker.pos, cfg.limit);
  } finally {
    walker.release();
  }
  return walker.result;
}

class Walker {
  readonly result: PickleStreamResult;
  readonly cfg: WalkConfig;
  buf: Uint8Array = EMPTY;
  window = WINDOW_MIN / 2;
  bufStart = 0;
  bufEnd = 0;
  pos: number;
  opStart: number;
  stack: PickleValue[] = [];
  marks: number[] = [];
  fence = 0;
  /** The memo (see memo.ts). */
  readonly memo: PickleMemo;
  proto = 0;
  retained = 0;
  sawProtoFirst = false;
  sniffImports = 0;
  seen = new Map<string, number>();
  io: PickleHookIO | undefined = undefined;
  readonly maxStack: number;
  readonly maxMemo: number;

  constructor(cfg: WalkConfig, start: number) {
    this.cfg = cfg;
    this.pos = start;
    this.opStart = start;
    this.result = newResult(start);
    this.maxStack = cfg.budget.limits.maxPickleStack;
    this.maxMemo = cfg.budget.limits.maxPickleMemo;
    this.memo = new PickleMemo(this.maxMemo);
  }

  /** Hands the memo's arrays back for the next walk. The walker is not used afterwards. */
  release(): void {
    this.memo.release();
  }

  // ---------------------------------------------------------------- reading

  /** Makes [pos, pos+n) available in the window, or halts with eof. */
  private fill(n: number): void {
    if (n > this.cfg.limit - this.pos) {
      throw new Halt(
        "eof",
        `The pickle is truncated: ${opcodeName(this.opAt())} at offset ${this.opStart} needs ${n} more byte(s) at offset ${this.pos}, but the data ends at ${this.cfg.limit}.`,
        this.opStart,
      );
    }
    this.window = this.pos === this.bufEnd ? Math.min(this.window * 2, WINDOW_MAX) : WINDOW_MIN;
    const length = Math.min(Math.max(n, this.window), this.cfg.limit - this.pos);
    const chunk = this.cfg.source.read(this.pos, length);
    if (chunk.length < n) {
      throw new Halt(
        "eof",
        `The pickle is truncated at offset ${this.pos + chunk.length}.`,
        this.opStart,
      );
    }
    // A plain Uint8Array view: Buffer.subarray (file sources return Buffers) is much slower.
    this.buf =
      Object.getPrototypeOf(chunk) === Uint8Array.prototype
        ? chunk
        : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    this.bufStart = this.pos;
    this.bufEnd = this.pos + chunk.length;
  }

  private opAt(): number {
    return this.opcodeAt(this.opStart);
  }

  /** The byte at `offset` (the opcode of an error), read from the window or the source. */
  opcodeAt(offset: number): number {
    const i = offset - this.bufStart;
    if (i >= 0 && i < this.buf.length) return this.buf[i] as number;
    const b = offset < this.cfg.limit ? this.cfg.source.read(offset, 1)[0] : undefined;
    return b ?? -1;
  }

  private u8(): number {
    if (this.pos >= this.bufEnd || this.pos < this.bufStart) this.fill(1);
    return this.buf[this.pos++ - this.bufStart] as number;
  }

  /** n bytes as a view into the window (valid until the next read). */
  private take(n: number): Uint8Array {
    if (this.pos < this.bufStart || this.pos + n > this.bufEnd) this.fill(n);
    const i = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(i, i + n);
  }

  /** Index in the window of n bytes at pos (brought in when needed); advances pos. */
  private at(n: number): number {
    if (this.pos < this.bufStart || this.pos + n > this.bufEnd) this.fill(n);
    const i = this.pos - this.bufStart;
    this.pos += n;
    return i;
  }

  private u16(): number {
    const i = this.at(2);
    const b = this.buf;
    return (b[i] as number) | ((b[i + 1] as number) << 8);
  }

  private i32(): number {
    const i = this.at(4);
    const b = this.buf;
    return (
      (b[i] as number) |
      ((b[i + 1] as number) << 8) |
      ((b[i + 2] as number) << 16) |
      ((b[i + 3] as number) << 24)
    );
  }

  private u32(): number {
    return this.i32() >>> 0;
  }

  /** 8-byte unsigned length; values above 2^53 become Infinity (they can never fit the data). */
  private u64(): number {
    const lo = this.u32();
    const hi = this.u32();
    return hi >= 0x200000 ? Number.POSITIVE_INFINITY : hi * 0x100000000 + lo;
  }

  /** Skips n bytes without reading them. */
  private skip(n: number): void {
    if (n > this.cfg.limit - this.pos) {
      this.pos = this.cfg.limit;
      throw new Halt(
        "eof",
        `The pickle is truncated: ${opcodeName(this.opAt())} at offset ${this.opStart} declares ${n === Number.POSITIVE_INFINITY ? "an impossibly large" : n}-byte argument, past the end of the data at ${this.cfg.limit}.`,
        this.opStart,
      );
    }
    this.pos += n;
  }

  /** One protocol-0 line without its "\n"; undefined when longer than KEEP_LINE (skipped). */
  private line(): Uint8Array | undefined {
    const lineStart = this.pos;
    for (;;) {
      if (this.pos >= this.bufEnd || this.pos < this.bufStart) this.fill(1);
      const from = this.pos - this.bufStart;
      const buf = this.buf;
      let nl = -1;
      for (let k = from; k < buf.length; k++) {
        if (buf[k] === 0x0a) {
          nl = k;
          break;
        }
      }
      if (nl >= 0) {
        const endAbs = this.bufStart + nl;
        this.pos = endAbs + 1;
        if (endAbs - lineStart > KEEP_LINE) return undefined;
        if (lineStart >= this.bufStart) return this.buf.subarray(lineStart - this.bufStart, nl);
        return this.cfg.source.read(lineStart, endAbs - lineStart);
      }
      if (this.bufEnd >= this.cfg.limit) {
        this.pos = this.cfg.limit;
        throw new Halt(
          "eof",
          `The pickle is truncated: ${opcodeName(this.opAt())} at offset ${this.opStart} has no end of line before the data ends.`,
          this.opStart,
        );
      }
      this.pos = this.bufEnd;
    }
  }

  private lineText(what: string): string {
    const bytes = this.line();
    if (bytes === undefined) this.malformed(`${what} argument is longer than ${KEEP_LINE} bytes`);
    return latin1(bytes);
  }

  // ---------------------------------------------------------------- stack

  private malformed(detail: string): never {
    throw new Halt("malformed", detail, this.opStart);
  }

  private budgetHit(message: string): never {
    throw new Halt("budget", `${message}; the rest of the pickle was not scanned.`, this.opStart);
  }

  private push(v: PickleValue): void {
    if (this.stack.length + this.marks.length >= this.maxStack) {
      this.budgetHit(
        `The pickle stack grew past ${this.maxStack} entries at offset ${this.opStart}`,
      );
    }
    this.stack.push(v);
  }

  private pop(): PickleValue {
    if (this.stack.length <= this.fence) this.malformed("unpickling stack underflow");
    return this.stack.pop() as PickleValue;
  }

  private top(): PickleValue {
    if (this.stack.length <= this.fence) this.malformed("unpickling stack underflow");
    return this.stack[this.stack.length - 1] as PickleValue;
  }

  /** Removes the topmost mark; returns the stack length it recorded. */
  private popMark(): number {
    const m = this.marks.pop();
    if (m === undefined) this.malformed("could not find MARK");
    this.fence = this.marks.length > 0 ? (this.marks[this.marks.length - 1] as number) : 0;
    return m;
  }

  private popMarkItems(): PickleValue[] {
    const m = this.popMark();
    const stack = this.stack;
    const n = stack.length - m;
    if (n > 16) return stack.splice(m);
    const items = new Array<PickleValue>(n);
    for (let k = n - 1; k >= 0; k--) items[k] = stack.pop() as PickleValue;
    return items;
  }

  private popMarkDiscard(): number {
    const m = this.popMark();
    const stack = this.stack;
    const n = stack.length - m;
    if (n <= 16) for (let k = 0; k < n; k++) stack.pop();
    else stack.length = m;
    return n;
  }

  private retain(n: number): boolean {
    if (this.retained + n > RETAIN_CAP) return false;
    this.retained += n;
    return true;
  }

  private tuple(items: PickleValue[]): SymbolicTuple {
    return this.retain(items.length)
      ? new SymbolicTuple(items, items.length)
      : new SymbolicTuple(undefined, items.length);
  }

  private memoGet(index: number): void {
    const v = this.memo.get(index);
    if (v === undefined) this.malformed(`memo value not found at index ${index}`);
    this.push(v);
  }

  // ---------------------------------------------------------------- records

  private keep(key: string): boolean {
    const n = (this.seen.get(key) ?? 0) + 1;
    if (n === 1 && this.seen.size >= MAX_DISTINCT) {
      this.budgetHit(`The pickle makes more than ${MAX_DISTINCT} distinct imports and calls`);
    }
    this.seen.set(key, n);
    if (n > KEEP_PER_KEY) {
      this.result.omitted++;
      return false;
    }
    return true;
  }

  private recordImport(
    module: string,
    name: string,
    opcode: string,
    nonString: boolean,
    valid: boolean,
  ): SymbolicGlobal {
    const g = new SymbolicGlobal(module, name, this.opStart, valid && !nonString);
    if (this.cfg.sniff) {
      this.sniffImports++;
      return g;
    }
    if (this.keep(`i\u0000${opcode}\u0000${module}\u0000${name}`)) {
      const rec: PickleStreamResult["imports"][number] = {
        module,
        name,
        offset: this.opStart,
        opcode,
        protocol: this.proto,
      };
      if (nonString) rec.nonString = true;
      this.result.imports.push(rec);
    }
    return g;
  }

  private recordCall(opcode: string, callable: PickleValue, suffix = ""): void {
    if (this.cfg.sniff) return;
    const text = describe(callable) + suffix;
    if (!this.keep(`c\u0000${opcode}\u0000${text}`)) return;
    const call: PickleStreamResult["calls"][number] = {
      opcode,
      callable: text,
      offset: this.opStart,
    };
    if (callable instanceof SymbolicGlobal)
      call.global = { module: callable.module, name: callable.name };
    this.result.calls.push(call);
  }

  private call(
    opcode: string,
    callable: PickleValue,
    args: PickleValue | undefined,
  ): SymbolicObject {
    this.recordCall(opcode, callable);
    return new SymbolicObject(callable, args, opcode, this.opStart);
  }

  // ---------------------------------------------------------------- constants

  /** A length-prefixed str/bytes constant: decoded when small, otherwise skipped by offset. */
  private constant(len: number, kind: "utf8" | "latin1" | "bytes" | "bytearray"): PickleValue {
    const start = this.pos;
    if (len > this.cfg.limit - start) this.skip(len); // halts with eof
    let at = -1; // index of the constant in the window, when it was brought in
    if (len <= SNIFF_PREFIX) {
      if (this.pos < this.bufStart || this.pos + len > this.bufEnd) this.fill(len);
      at = this.pos - this.bufStart;
    }
    this.pos = start + len;
    if (len >= NESTED_MIN && !this.cfg.sniff) {
      const b0 = at >= 0 ? (this.buf[at] as number) : -1;
      if (at < 0 || PICKLE_FIRST[b0] || (b0 === 0xc2 && kind === "utf8")) {
        this.checkNested(
          start,
          len,
          kind === "utf8",
          at >= 0 ? this.buf.subarray(at, at + len) : undefined,
        );
      }
    }
    if (kind === "utf8" || kind === "latin1") {
      if (at >= 0 && len <= KEEP_STR) {
        if (kind === "latin1") return latin1Range(this.buf, at, len);
        const text = utf8Range(this.buf, at, len);
        if (text === undefined) this.malformed("str constant is not valid UTF-8");
        return text;
      }
      return LONG_STR;
    }
    return kind === "bytes" ? BYTES : BYTEARRAY;
  }

  /** P13: is this constant itself a pickle? Then walk it (bounded depth). */
  private checkNested(
    start: number,
    len: number,
    utf8: boolean,
    view: Uint8Array | undefined,
  ): void {
    const head = view ?? this.cfg.source.read(start, 2);
    const b0 = head[0] as number;
    const latin1Proto = utf8 && b0 === 0xc2 && head[1] === 0x80;
    if (!PICKLE_FIRST[b0] && !latin1Proto) return;
    // Printable ASCII with no newline cannot import anything (GLOBAL/INST need "\n", STACK_GLOBAL
    // and EXT are non-ASCII bytes), so a short constant like that needs no walk.
    if (view !== undefined && !latin1Proto && isPlainAscii(view)) return;
    if (latin1Proto) {
      // A str whose latin-1 encoding starts with PROTO: decode it (bounded) and look at those bytes.
      if (len > this.cfg.budget.limits.maxPickleConstant) {
        this.result.findings.push(
          finding(
            "BUDGET_EXCEEDED",
            "unscannable",
            `A ${len}-byte str constant that may hold a pickle is larger than the ${this.cfg.budget.limits.maxPickleConstant}-byte constant budget, so it was not checked.`,
            { offset: this.opStart },
          ),
        );
        return;
      }
      const text = decodeUtf8(view ?? this.cfg.source.read(start, len));
      const bytes = text === undefined ? undefined : latin1Bytes(text);
      if (bytes !== undefined) this.nestedIn(bytesSource(bytes), 0, bytes.length, true);
      return;
    }
    this.nestedIn(this.cfg.source, start, start + len, false);
  }

  private nestedBytes(bytes: Uint8Array): void {
    if (
      bytes.length >= NESTED_MIN &&
      !this.cfg.sniff &&
      PICKLE_FIRST[bytes[0] as number] &&
      !isPlainAscii(bytes)
    ) {
      this.nestedIn(bytesSource(bytes), 0, bytes.length, true);
    }
  }

  private nestedIn(source: ByteSource, start: number, end: number, decoded: boolean): void {
    const probe = probePickle(source, start, this.cfg.budget, end, true);
    if (!probe.pickle) return;
    if (this.result.nested.length >= MAX_NESTED) {
      this.budgetHit(`The pickle holds more than ${MAX_NESTED} nested pickles`);
    }
    const depth = this.cfg.depth + 1;
    const max = this.cfg.budget.limits.maxNestedPickleDepth;
    if (depth > max) {
      this.result.findings.push(
        finding(
          "PICKLE_NESTED",
          "suspicious",
          `A constant at offset ${this.opStart} is itself a pickle.`,
          { offset: this.opStart },
        ),
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `Pickles are nested more than ${max} deep at offset ${this.opStart}; the inner pickle was not scanned.`,
          { offset: this.opStart },
        ),
      );
      return;
    }
    const stream = runWalk(
      {
        ...this.cfg,
        source,
        limit: end,
        depth,
        maxOpcodes: this.cfg.budget.limits.maxPickleOpcodes,
      },
      start,
    );
    this.result.nested.push({ offset: this.opStart, decoded, stream });
    this.result.findings.push(
      finding(
        "PICKLE_NESTED",
        "suspicious",
        `A constant at offset ${this.opStart} is itself a pickle (protocol ${stream.protocol}); a loader handed it to pickle.loads would run it, so it was scanned too.`,
        { offset: this.opStart },
      ),
    );
  }

  // ---------------------------------------------------------------- the loop

  run(): void {
    const maxOps = this.cfg.maxOpcodes;
    const result = this.result;
    for (;;) {
      this.opStart = this.pos;
      if (++result.opcodes > maxOps) {
        this.budgetHit(`The pickle runs more than ${maxOps} opcodes`);
      }
      if (this.pos >= this.bufEnd || this.pos < this.bufStart) this.fill(1);
      const op = this.buf[this.pos++ - this.bufStart] as number;
      switch (op) {
        case 0x28: // MARK
          if (this.stack.length + this.marks.length >= this.maxStack) {
            this.budgetHit(`MARKs nest deeper than ${this.maxStack} at offset ${this.opStart}`);
          }
          this.marks.push(this.stack.length);
          this.fence = this.stack.length;
          break;
        case 0x2e: // STOP
          this.pop();
          result.complete = true;
          result.end = this.pos;
          return;
        case 0x30: // POP: pops a mark when one is on top (as _pickle.c does)
          if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.stack.length)
            this.popMark();
          else this.pop();
          break;
        case 0x31: // POP_MARK
          this.popMarkDiscard();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        case 0x46: {
          // FLOAT
          const v = parseFloatLine(this.lineText("FLOAT"));
          if (v === undefined) this.malformed("could not convert string to float");
          this.push(v);
          break;
        }
        case 0x49: {
          // INT ("00"/"01" are False/True)
          const text = this.lineText("INT");
          if (text === "00" || text === "01") {
            this.push(text === "01");
            break;
          }
          const v = parseIntLine(text);
          if (v === undefined) this.malformed("could not convert string to int");
          this.push(v);
          break;
        }
        case 0x4a: // BININT
          this.push(this.i32());
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4c: {
          // LONG (optional trailing "L")
          let text = this.lineText("LONG");
          if (text.endsWith("L")) text = text.slice(0, -1);
          const v = parseIntLine(text);
          if (v === undefined) this.malformed("could not convert string to int");
          this.push(v);
          break;
        }
        case 0x4d: // BININT2
          this.push(this.u16());
          break;
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x50: {
          // PERSID
          const bytes = this.line();
          if (bytes === undefined) this.malformed("PERSID argument is too long");
          for (const b of bytes)
            if (b >= 0x80) this.malformed("persistent IDs in protocol 0 must be ASCII strings");
          const pid = latin1(bytes);
          if (!this.cfg.sniff) result.persistentIds.push(pid);
          this.push(PERSISTENT);
          break;
        }
        case 0x51: {
          // BINPERSID
          const pid = this.pop();
          if (!this.cfg.sniff) result.persistentIds.push(toPlain(pid, 0));
          this.push(PERSISTENT);
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const fn = this.pop();
          this.push(this.call("REDUCE", fn, args));
          break;
        }
        case 0x53: {
          // STRING
          const bytes = this.line();
          if (bytes === undefined) {
            this.push(new SymbolicOpaque("str", this.opStart + 1));
            break;
          }
          const decoded = decodeStringLine(bytes);
          if (decoded === undefined)
            this.malformed("the STRING opcode argument must be quoted and validly escaped");
          this.nestedBytes(decoded);
          this.push(
            decoded.length <= KEEP_STR
              ? latin1(decoded)
              : new SymbolicOpaque("str", this.opStart + 1, decoded.length),
          );
          break;
        }
        case 0x54: {
          // BINSTRING (signed length)
          const n = this.i32();
          if (n < 0) this.malformed("BINSTRING pickle has negative byte count");
          this.push(this.constant(n, "latin1"));
          break;
        }
        case 0x55: // SHORT_BINSTRING
          this.push(this.constant(this.u8(), "latin1"));
          break;
        case 0x56: {
          // UNICODE (raw-unicode-escape)
          const bytes = this.line();
          if (bytes === undefined) {
            this.push(new SymbolicOpaque("str", this.opStart + 1));
            break;
          }
          const text = decodeRawUnicodeEscape(bytes);
          if (text === undefined) this.malformed("bad raw-unicode-escape in UNICODE argument");
          if (text.length >= NESTED_MIN && PICKLE_FIRST[text.charCodeAt(0)]) {
            const raw = latin1Bytes(text);
            if (raw !== undefined) this.nestedBytes(raw);
          }
          this.push(
            text.length <= KEEP_STR
              ? text
              : new SymbolicOpaque("str", this.opStart + 1, text.length),
          );
          break;
        }
        case 0x58: // BINUNICODE
          this.push(this.constant(this.u32(), "utf8"));
          break;
        case 0x61: {
          // APPEND
          this.pop();
          this.top();
          break;
        }
        case 0x62: // BUILD
          this.build();
          break;
        case 0x63: {
          // GLOBAL
          const [module, name, ok] = this.twoLines();
          this.push(this.recordImport(module, name, "GLOBAL", false, ok));
          break;
        }
        case 0x64: {
          // DICT
          const items = this.popMarkItems();
          if (items.length % 2 !== 0) this.malformed("odd number of items for DICT");
          const d = new SymbolicDict();
          this.addEntries(d, items);
          this.push(d);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new SymbolicDict());
          break;
        case 0x65: // APPENDS
          this.popMarkDiscard();
          this.top();
          break;
        case 0x67: {
          // GET
          const idx = parseDecimalLine(this.lineText("GET"));
          if (idx === undefined) this.malformed("GET argument is not an integer");
          this.memoGet(idx);
          break;
        }
        case 0x68: // BINGET
          this.memoGet(this.u8());
          break;
        case 0x69: {
          // INST: import, then call it with the items above the mark
          const [module, name, ok] = this.twoLines();
          const cls = this.recordImport(module, name, "INST", false, ok);
          const items = this.popMarkItems();
          this.push(this.call("INST", cls, this.tuple(items)));
          break;
        }
        case 0x6a: // LONG_BINGET
          this.memoGet(this.u32());
          break;
        case 0x6c: // LIST
          this.popMarkDiscard();
          this.push(LIST);
          break;
        case 0x5d: // EMPTY_LIST
          this.push(LIST);
          break;
        case 0x6f: {
          // OBJ: class and args above the mark
          const m = this.marks[this.marks.length - 1];
          if (m !== undefined && this.stack.length - m < 1)
            this.malformed("unpickling stack underflow");
          const items = this.popMarkItems();
          const cls = items.shift() as PickleValue;
          this.push(this.call("OBJ", cls, this.tuple(items)));
          break;
        }
        case 0x70: {
          // PUT
          const idx = parseDecimalLine(this.lineText("PUT"));
          if (idx === undefined) this.malformed("PUT argument is not an integer");
          if (idx < 0) this.malformed("negative PUT argument");
          this.memo.put(idx, this.top(), this.opStart);
          break;
        }
        case 0x71: // BINPUT
          this.memo.put(this.u8(), this.top(), this.opStart);
          break;
        case 0x72: {
          // LONG_BINPUT
          const idx = this.i32();
          if (idx < 0) this.malformed("negative LONG_BINPUT argument");
          this.memo.put(idx, this.top(), this.opStart);
          break;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop();
          const key = this.pop();
          const d = this.top();
          if (d instanceof SymbolicDict) this.addEntries(d, [key, value]);
          break;
        }
        case 0x74: // TUPLE
          this.push(this.tuple(this.popMarkItems()));
          break;
        case 0x29: // EMPTY_TUPLE
          this.push(EMPTY_TUPLE);
          break;
        case 0x75: {
          // SETITEMS: contents kept only while the dict still tracks them
          const m = this.marks[this.marks.length - 1];
          const d = m !== undefined && m > 0 ? this.stack[m - 1] : undefined;
          const keep = d instanceof SymbolicDict && d.entries !== undefined;
          const n = keep ? this.stack.length - (m as number) : 0;
          const items = keep ? this.popMarkItems() : undefined;
          const count = items === undefined ? this.popMarkDiscard() : n;
          if (count % 2 !== 0) this.malformed("odd number of items for SETITEMS");
          this.top();
          if (items !== undefined) this.addEntries(d as SymbolicDict, items);
          break;
        }
        case 0x47: {
          // BINFLOAT (big-endian double): never needed by value; a shared marker avoids a heap
          // number per float in memo-heavy streams.
          this.at(8);
          this.push(FLOAT);
          break;
        }
        case 0x80: {
          // PROTO
          const p = this.u8();
          if (p > HIGHEST_PROTOCOL) this.malformed(`unsupported pickle protocol: ${p}`);
          if (this.opStart === result.start) this.sawProtoFirst = true;
          this.proto = p;
          if (p > result.protocol) result.protocol = p;
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args)
          const args = this.pop();
          const cls = this.pop();
          this.push(this.call("NEWOBJ", cls, args));
          break;
        }
        case 0x82: // EXT1
          this.ext("EXT1", this.u8());
          break;
        case 0x83: // EXT2
          this.ext("EXT2", this.u16());
          break;
        case 0x84: // EXT4
          this.ext("EXT4", this.i32());
          break;
        case 0x85: // TUPLE1
          this.push(this.tuple([this.pop()]));
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          const a = this.pop();
          this.push(this.tuple([a, b]));
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.push(this.tuple([a, b, c]));
          break;
        }
        case 0x88: // NEWTRUE
          this.push(true);
          break;
        case 0x89: // NEWFALSE
          this.push(false);
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: {
          // LONG4 (signed length)
          const n = this.i32();
          if (n < 0) this.malformed("LONG pickle has negative byte count");
          this.push(this.long(n));
          break;
        }
        case 0x42: // BINBYTES
          this.push(this.constant(this.u32(), "bytes"));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(this.constant(this.u8(), "bytes"));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.constant(this.u8(), "utf8"));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.constant(this.u64(), "utf8"));
          break;
        case 0x8e: // BINBYTES8
          this.push(this.constant(this.u64(), "bytes"));
          break;
        case 0x8f: // EMPTY_SET
          this.push(SET);
          break;
        case 0x90: // ADDITEMS
          this.popMarkDiscard();
          this.top();
          break;
        case 0x91: // FROZENSET
          this.popMarkDiscard();
          this.push(FROZENSET);
          break;
        case 0x92: {
          // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          void kwargs;
          this.push(this.call("NEWOBJ_EX", cls, args));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module === "string" && typeof name === "string") {
            this.push(this.recordImport(module, name, "STACK_GLOBAL", false, true));
          } else {
            this.push(
              this.recordImport(describe(module), describe(name), "STACK_GLOBAL", true, false),
            );
          }
          break;
        }
        case 0x94: // MEMOIZE
          this.memo.put(this.memo.count, this.top(), this.opStart);
          break;
        case 0x95: {
          // FRAME: _pickle.c only checks that the frame's bytes exist
          const n = this.u64();
          if (n > this.cfg.limit - this.pos && !this.cfg.sniff) {
            this.malformed(
              `FRAME declares ${n === Number.POSITIVE_INFINITY ? "an impossibly large" : n}-byte frame, past the end of the data at ${this.cfg.limit}`,
            );
          }
          break;
        }
        case 0x96: // BYTEARRAY8
          this.push(this.constant(this.u64(), "bytearray"));
          break;
        case 0x97: // NEXT_BUFFER
          this.push(BUFFER);
          break;
        case 0x98: // READONLY_BUFFER
          this.top();
          break;
        default:
          this.malformed(`invalid load key 0x${op.toString(16).padStart(2, "0")}`);
      }
    }
  }

  private twoLines(): [string, string, boolean] {
    const a = this.line();
    const moduleText = a === undefined ? undefined : decodeUtf8(a);
    const b = this.line();
    const nameText = b === undefined ? undefined : decodeUtf8(b);
    if (a !== undefined && moduleText === undefined)
      this.malformed("module name is not valid UTF-8");
    if (b !== undefined && nameText === undefined) this.malformed("global name is not valid UTF-8");
    return [
      moduleText ?? "<over-long name>",
      nameText ?? "<over-long name>",
      a !== undefined && b !== undefined,
    ];
  }

  private ext(opcode: string, code: number): void {
    if (code <= 0) this.malformed("EXT specifies code <= 0");
    this.push(this.recordImport("<extension>", String(code), opcode, false, false));
  }

  /** LONG1/LONG4: two's-complement little-endian; small values decoded, large ones skipped. */
  private long(n: number): PickleValue {
    if (n > 64) {
      this.skip(n);
      return BIGINT;
    }
    const b = this.take(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
    if ((b[n - 1] as number) & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }

  private addEntries(d: SymbolicDict, items: PickleValue[]): void {
    if (d.entries === undefined) return;
    if (d.entries.length + items.length / 2 > KEEP_ITEMS || !this.retain(items.length)) {
      d.entries = undefined;
      return;
    }
    for (let i = 0; i + 1 < items.length; i += 2)
      d.entries.push([items[i] as PickleValue, items[i + 1] as PickleValue]);
  }

  private build(): void {
    const state = this.pop();
    const target = this.top();
    const suffix = target instanceof SymbolicObject ? ".__setstate__" : "";
    const origin = target instanceof SymbolicObject ? target.callable : target;
    this.recordCall("BUILD", origin, suffix);
    if (target instanceof SymbolicObject) target.state = state;
    const hook = this.cfg.hooks.onBuild;
    if (hook === undefined) return;
    this.io ??= this.hookIO();
    const replaced = hook({ target, state, offset: this.opStart }, this.io);
    if (replaced !== undefined) this.stack[this.stack.length - 1] = replaced;
  }

  private hookIO(): PickleHookIO {
    const self = this;
    return {
      get position() {
        return self.pos;
      },
      get limit() {
        return self.cfg.limit;
      },
      read: (length) => self.take(length).slice(),
      skip: (length) => self.skip(length),
      walkInline: () => self.walkInline(),
      checkNested: (length: number) => {
        if (self.cfg.sniff || length < NESTED_MIN || length > self.cfg.limit - self.pos) return;
        const head = self.cfg.source.read(self.pos, 1);
        if (PICKLE_FIRST[head[0] as number])
          self.nestedIn(self.cfg.source, self.pos, self.pos + length, false);
      },
      report: (f: Finding) => {
        if (!self.cfg.sniff) self.result.findings.push(f);
      },
      fail: (message: string) => self.malformed(message),
    };
  }

  /** Walks a complete pickle at the current position (joblib object arrays) and merges it. */
  private walkInline(): void {
    if (this.cfg.sniff) throw new Halt("eof", "inline pickle in sniff mode", this.opStart);
    const inner = runWalk(this.cfg, this.pos);
    const r = this.result;
    r.imports.push(...inner.imports);
    r.calls.push(...inner.calls);
    r.persistentIds.push(...inner.persistentIds);
    r.findings.push(...inner.findings);
    r.nested.push(...inner.nested);
    r.opcodes += inner.opcodes;
    r.omitted += inner.omitted;
    if (inner.protocol > r.protocol) r.protocol = inner.protocol;
    this.pos = inner.end;
    if (!inner.complete) throw new Halt("stopped", "", this.opStart);
  }
}
