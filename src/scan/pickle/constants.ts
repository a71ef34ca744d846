/**
 * Constants: length-prefixed str/bytes (short ASCII str kept undecoded as a SymbolicStr, other
 * short str decoded, bytes and long str skipped by offset), LONG1/LONG4, the protocol-0 text
 * constants (FLOAT, INT, LONG, STRING, UNICODE; read from the bytes in their common forms), and
 * P13: a constant that is itself a pickle is walked too, to a bounded depth.
 */
import { finding } from "../../core/finding.js";
import { type ByteSource, bytesSource } from "../source.js";
import type { WalkConfig } from "./reader.js";
import { Recorder } from "./records.js";
import {
  decodeRawUnicodeEscape,
  decodeStringLine,
  decodeUtf8,
  latin1,
  latin1Bytes,
  latin1Range,
  parseFloatLine,
  parseIntLine,
  plainIntIn,
  simpleFloatIn,
  utf8Range,
} from "./text.js";
import { type PickleStreamResult, type PickleValue, SymbolicOpaque, SymbolicStr } from "./types.js";
import { BIGINT, BYTEARRAY, BYTES, isPlainAscii, LONG_STR, PICKLE_FIRST } from "./values.js";

/** str constants up to this many bytes are decoded (names, keys); longer ones are skipped. */
const KEEP_STR = 4096;
/** Shortest constant that can hold a pickle that imports something (`ca\nb\n)R.`). */
export const NESTED_MIN = 8;
/** Nested pickles recorded per stream before the walk gives up. */
const MAX_NESTED = 1000;
/** Bytes a sniff looks at (also: constants up to this size are read into the window). */
export const SNIFF_PREFIX = 8192;

export abstract class ConstantReader extends Recorder {
  /** Does [start, end) of `source` parse as a pickle (strict probe)? */
  protected abstract probeNested(source: ByteSource, start: number, end: number): boolean;
  /** Walks one nested stream with `cfg` from `start`. */
  protected abstract walkNested(cfg: WalkConfig, start: number): PickleStreamResult;

  /** A length-prefixed str/bytes constant: decoded when small, otherwise skipped by offset. */
  protected constant(len: number, kind: "utf8" | "latin1" | "bytes" | "bytearray"): PickleValue {
    this.enterConstant(len, kind === "bytes" || kind === "bytearray");
    const start = this.pos;
    if (len > this.cfg.limit - start) this.skip(len); // halts with eof
    let at = -1; // index of the constant in the window, when it was brought in
    if (len <= SNIFF_PREFIX) {
      if (this.pos < this.bufStart || this.pos + len > this.bufEnd) this.fill(len);
      at = this.pos - this.bufStart;
    }
    this.pos = start + len;
    if (len <= KEEP_STR && kind !== "bytes" && kind !== "bytearray") {
      // A short ASCII str (names, keys): kept undecoded (SymbolicStr). ASCII reads the same as
      // UTF-8 and as latin-1, and is always valid, so nothing is lost by decoding it later.
      const buf = this.buf;
      const end = at + len;
      let plain = true; // printable ASCII only: then it cannot be a pickle that imports anything
      let i = at;
      for (; i < end; i++) {
        const b = buf[i] as number;
        if (b >= 0x80) break;
        if (b < 0x20 || b === 0x7f) plain = false;
      }
      if (i === end) {
        if (!plain && len >= NESTED_MIN && !this.cfg.sniff && PICKLE_FIRST[buf[at] as number])
          this.checkNested(start, len, kind === "utf8", buf.subarray(at, end));
        return new SymbolicStr(this, start, len);
      }
    }
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
      // A long UTF-8 str keeps where it is, for the one rule that reads one (lightgbm-state.ts).
      return kind === "utf8" ? new SymbolicOpaque("str", start, len) : LONG_STR;
    }
    return kind === "bytes" ? BYTES : BYTEARRAY;
  }

  /** P13: is this constant itself a pickle? Then walk it (bounded depth). */
  protected checkNested(
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

  protected nestedBytes(bytes: Uint8Array): void {
    if (
      bytes.length >= NESTED_MIN &&
      !this.cfg.sniff &&
      PICKLE_FIRST[bytes[0] as number] &&
      !isPlainAscii(bytes)
    ) {
      this.nestedIn(bytesSource(bytes), 0, bytes.length, true);
    }
  }

  protected nestedIn(source: ByteSource, start: number, end: number, decoded: boolean): void {
    if (!this.probeNested(source, start, end)) return;
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
    const stream = this.walkNested(
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

  /** LONG1/LONG4: two's-complement little-endian; small values decoded, large ones skipped. */
  protected long(n: number): PickleValue {
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

  /** FLOAT */
  protected floatLine(): number {
    this.argLine("FLOAT");
    const v =
      simpleFloatIn(this.lineBuf, this.lineAt, this.lineLen) ?? parseFloatLine(this.lineString());
    if (v === undefined) this.malformed("could not convert string to float");
    return v;
  }

  /** INT ("00"/"01" are False/True) */
  protected intLine(): PickleValue {
    this.argLine("INT");
    const b = this.lineBuf;
    const at = this.lineAt;
    const n = this.lineLen;
    if (n === 2 && b[at] === 0x30 && (b[at + 1] === 0x30 || b[at + 1] === 0x31))
      return b[at + 1] === 0x31;
    const fast = plainIntIn(b, at, n);
    if (fast >= 0) return fast;
    const v = parseIntLine(this.lineString());
    if (v === undefined) this.malformed("could not convert string to int");
    return v;
  }

  /** LONG (optional trailing "L") */
  protected longLine(): PickleValue {
    this.argLine("LONG");
    const n = this.lineLen;
    if (n > 1 && this.lineBuf[this.lineAt + n - 1] === 0x4c) {
      const fast = plainIntIn(this.lineBuf, this.lineAt, n - 1);
      if (fast >= 0) return fast;
    }
    let text = this.lineString();
    if (text.endsWith("L")) text = text.slice(0, -1);
    const v = parseIntLine(text);
    if (v === undefined) this.malformed("could not convert string to int");
    return v;
  }

  /**
   * A protocol-0 str argument that is ASCII with no backslash reads as itself (no escapes to
   * decode): kept undecoded, like binary str constants. `start` is its offset in the source,
   * [at, at + n) its bytes in lineBuf. Undefined when it needs the full decoder.
   */
  private plainLineStr(start: number, at: number, n: number): PickleValue | undefined {
    const b = this.lineBuf;
    let plain = true;
    for (let i = at; i < at + n; i++) {
      const c = b[i] as number;
      if (c >= 0x80 || c === 0x5c) return undefined;
      if (c < 0x20 || c === 0x7f) plain = false;
    }
    if (!plain) this.nestedBytes(b.subarray(at, at + n));
    return n <= KEEP_STR
      ? new SymbolicStr(this, start, n)
      : new SymbolicOpaque("str", this.opStart + 1, n);
  }

  /** STRING: a quoted, escaped bytes literal, decoded as latin-1. */
  protected stringLine(): PickleValue {
    if (!this.readLine()) return new SymbolicOpaque("str", this.opStart + 1);
    const b = this.lineBuf;
    const at = this.lineAt;
    const n = this.lineLen;
    const q = b[at];
    if (n >= 2 && (q === 0x27 || q === 0x22) && b[at + n - 1] === q) {
      const plain = this.plainLineStr(this.opStart + 2, at + 1, n - 2);
      if (plain !== undefined) return plain;
    }
    const decoded = decodeStringLine(b.subarray(at, at + n));
    if (decoded === undefined)
      this.malformed("the STRING opcode argument must be quoted and validly escaped");
    this.nestedBytes(decoded);
    return decoded.length <= KEEP_STR
      ? latin1(decoded)
      : new SymbolicOpaque("str", this.opStart + 1, decoded.length);
  }

  /** UNICODE (raw-unicode-escape) */
  protected unicodeLine(): PickleValue {
    if (!this.readLine()) return new SymbolicOpaque("str", this.opStart + 1);
    const plain = this.plainLineStr(this.opStart + 1, this.lineAt, this.lineLen);
    if (plain !== undefined) return plain;
    const text = decodeRawUnicodeEscape(
      this.lineBuf.subarray(this.lineAt, this.lineAt + this.lineLen),
    );
    if (text === undefined) this.malformed("bad raw-unicode-escape in UNICODE argument");
    if (text.length >= NESTED_MIN && PICKLE_FIRST[text.charCodeAt(0)]) {
      const raw = latin1Bytes(text);
      if (raw !== undefined) this.nestedBytes(raw);
    }
    return text.length <= KEEP_STR
      ? text
      : new SymbolicOpaque("str", this.opStart + 1, text.length);
  }
}
