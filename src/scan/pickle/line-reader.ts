/**
 * The protocol-0 line arguments of opcodes (GLOBAL/INST names, GET/PUT indices, INT/LONG/FLOAT/
 * STRING/UNICODE text): read from the window without allocating when the line is in it, across
 * frames as each unpickler would, and cut by the end of the data as the pure-Python one reads it.
 */
import { Halt } from "./halt.js";
import { opcodeName } from "./opcodes.js";
import { EMPTY, PickleReader } from "./reader.js";
import { decodeUtf8, digitsIn, latin1Range, parseDecimalLine } from "./text.js";

/** Protocol-0 lines up to this length are decoded; longer ones are skipped to their newline. */
const KEEP_LINE = 1 << 20;

export abstract class LineReader extends PickleReader {
  /** The last line read by readLine: lineBuf[lineAt, lineAt + lineLen). */
  lineBuf: Uint8Array = EMPTY;
  lineAt = 0;
  lineLen = 0;

  /** One protocol-0 line without its "\n"; undefined when longer than KEEP_LINE (skipped). */
  protected line(): Uint8Array | undefined {
    let lineStart = this.pos;
    for (;;) {
      if (this.frameEnd >= 0 && this.pos >= this.frameEnd) {
        // No newline before the frame ends: the C unpickler reading a file with read() drops the
        // partial line and calls readline() after the frame; the pure-Python one raises.
        this.crossFrame(lineStart, false);
        if (this.fileReading) lineStart = this.pos;
      }
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

  /**
   * One protocol-0 line without its "\n", left in lineBuf[lineAt, lineAt + lineLen) (a view of
   * the window when the line is in it: nothing is allocated); false when longer than KEEP_LINE
   * (skipped).
   */
  protected readLine(): boolean {
    const from = this.pos - this.bufStart;
    if (from >= 0 && this.pos < this.bufEnd) {
      const buf = this.buf;
      const end = buf.length;
      for (let k = from; k < end; k++) {
        if (buf[k] === 0x0a) {
          if (k - from > KEEP_LINE) break; // the slow path skips it
          this.lineBuf = buf;
          this.lineAt = from;
          this.lineLen = k - from;
          this.pos = this.bufStart + k + 1;
          return true;
        }
      }
    }
    const bytes = this.line();
    if (bytes === undefined) return false;
    this.lineBuf = bytes;
    this.lineAt = 0;
    this.lineLen = bytes.length;
    return true;
  }

  /** The line a text argument needs (malformed when over KEEP_LINE), left as readLine leaves it. */
  protected argLine(what: string): void {
    if (!this.readLine()) this.malformed(`${what} argument is longer than ${KEEP_LINE} bytes`);
  }

  /** The last line read, as latin-1 text. */
  protected lineString(): string {
    return latin1Range(this.lineBuf, this.lineAt, this.lineLen);
  }

  /**
   * GET/PUT argument: `int(s, 10)`. The memo is keyed by numbers, so an index past 2^53 (which
   * the pure-Python unpickler, joblib's, keeps apart from its neighbours in its dict) stops the
   * walk: folded into a nearby double, a GET would read another slot than the loader does.
   * A negative one comes back as a (negative) number: PUT refuses it, GET finds no slot.
   */
  protected decimalLine(what: string): number {
    this.argLine(what);
    const fast = digitsIn(this.lineBuf, this.lineAt, this.lineLen);
    const v = fast >= 0 ? fast : parseDecimalLine(this.lineString());
    if (v === undefined) this.malformed(`${what} argument is not an integer`);
    if (typeof v === "number") return v;
    if (v < 0n) return Number(v);
    return this.budgetHit(
      `The pickle's ${what} index ${v} is past 2^53, where the scanner cannot tell memo slots apart`,
    );
  }

  /**
   * A GLOBAL/INST argument line. When the end of the data cuts it (outside a frame), `cut` holds
   * the end-of-data stop and `bytes` the rest of the data: what the pure-Python unpickler's
   * readline() returns there (joblib's unpickler), a line without its newline.
   */
  private argumentLine(): { bytes: Uint8Array | undefined; cut?: Halt } {
    const start = this.pos;
    try {
      return { bytes: this.line() };
    } catch (error) {
      if (
        !(error instanceof Halt) ||
        error.kind !== "eof" ||
        this.frameEnd >= 0 ||
        this.pos < this.cfg.limit ||
        start > this.cfg.limit ||
        this.cfg.limit - start > KEEP_LINE
      )
        throw error;
      return { bytes: this.cfg.source.read(start, this.cfg.limit - start), cut: error };
    }
  }

  /**
   * GLOBAL/INST: module and name lines, `ok` false when one was over-long. `cut` is set when the
   * end of the data cut a line: the C unpickler stops ("pickle data was truncated"), but the
   * pure-Python one reads `readline()[:-1]`, the cut line minus its last byte (and "" for a line
   * after the end), and imports that module before it fails. The pair returned is that reading;
   * the caller records it and then stops with `cut`. A module that reads as "" imports nothing.
   */
  protected twoLines(): [string, string, boolean, Halt | undefined] {
    const first = this.argumentLine();
    const second = first.cut ? { bytes: EMPTY, cut: first.cut } : this.argumentLine();
    const cut = first.cut ?? second.cut;
    const a = first.cut ? first.bytes?.subarray(0, -1) : first.bytes;
    const b = second.cut && !first.cut ? second.bytes?.subarray(0, -1) : second.bytes;
    if (cut !== undefined && (a === undefined || a.length === 0)) throw cut;
    const moduleText = a === undefined ? undefined : decodeUtf8(a);
    const nameText = b === undefined ? undefined : decodeUtf8(b);
    if (a !== undefined && moduleText === undefined) {
      if (cut) throw cut;
      this.malformed("module name is not valid UTF-8");
    }
    if (b !== undefined && nameText === undefined) {
      if (cut) throw cut;
      this.malformed("global name is not valid UTF-8");
    }
    return [
      moduleText ?? "<over-long name>",
      nameText ?? "<over-long name>",
      a !== undefined && b !== undefined,
      cut,
    ];
  }
}
