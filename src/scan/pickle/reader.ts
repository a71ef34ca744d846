/**
 * Reading a pickle stream: a window over the source (never the whole file), the fixed-width
 * arguments of opcodes, and the two ways a walk stops early (malformed data, budget). Positions
 * are absolute offsets in the source. Protocol-0 line arguments are read in line-reader.ts.
 */
import type { Budget } from "../budget.js";
import type { ByteSource } from "../source.js";
import { Halt } from "./halt.js";
import { opcodeName } from "./opcodes.js";
import { latin1, latin1Range } from "./text.js";
import type { FrameDecision, FrameEvent, FrameReading, PickleHooks, StrBytes } from "./types.js";

/**
 * Read window: the source is never read whole. It starts at 4 KiB and doubles (to 1 MiB) while
 * the stream is read densely; after a constant skipped past the window it starts small again, so
 * the bytes around big constants (tensor data) are not read just to be thrown away.
 */
const WINDOW_MIN = 1 << 12;
const WINDOW_MAX = 1 << 20;
export const EMPTY = new Uint8Array(0);
/**
 * Texts of SymbolicStr read back from the source (outside the window) kept per walk: names and
 * keys a stream GETs again and again (at most 4096 of up to 256 characters each).
 */
const TEXT_CACHE = 4096;
const TEXT_CACHE_LENGTH = 256;

export interface WalkConfig {
  source: ByteSource;
  limit: number;
  budget: Budget;
  hooks: PickleHooks;
  /** Nesting depth of pickles-in-constants (0 for a top-level stream). */
  depth: number;
  /** Sniff mode: no nested walks, end of data is an outcome, not a finding. */
  sniff: boolean;
  maxOpcodes: number;
  /**
   * How FRAMEs are read (frames.ts). Default: linear, as pickle.loads and the C unpickler reading
   * a file whose peek() covers each frame; the first place where the pure-Python unpickler would
   * stop is recorded. `file`: the C unpickler reading a file object with read() for the frames
   * whose decision is "read" (the default), dropping what is left of a frame's buffer when a read
   * runs past its end.
   */
  frames?: FrameReading;
}

export abstract class PickleReader implements StrBytes {
  readonly cfg: WalkConfig;
  buf: Uint8Array = EMPTY;
  window = WINDOW_MIN / 2;
  bufStart = 0;
  bufEnd = 0;
  /** Next unread byte. */
  pos: number;
  /** Offset of the opcode being run (errors and records name it). */
  opStart: number;

  /**
   * End of the frame being read (-1: none). The window never extends past it, so every read that
   * crosses it goes through fill/skip/line/enterConstant, where the frame rules apply.
   */
  frameEnd = -1;
  /** Frames are still tracked (linear: until the first event; file: always; sniff: never). */
  trackFrames: boolean;
  /** Frame events: where readers part ways (linear) or bytes were dropped (file). */
  readonly frameEvents: FrameEvent[] = [];
  /** File reading: decisions taken for each FRAME that started a new buffer, in order. */
  readonly frameChoices: FrameDecision[] = [];
  /** File reading: indices (into frameChoices) of the frames whose unread rest was dropped. */
  readonly frameDrops: number[] = [];

  /** SymbolicStr texts read back from the source, by offset (memo GETs of the same str repeat). */
  private texts: Map<number, string> | undefined = undefined;

  constructor(cfg: WalkConfig, start: number) {
    this.cfg = cfg;
    this.pos = start;
    this.opStart = start;
    this.trackFrames = !cfg.sniff;
  }

  protected get fileReading(): boolean {
    return this.cfg.frames?.mode === "file";
  }

  /**
   * FRAME with an n-byte frame at pos. CPython's C unpickler (_pickle.c load_frame) only makes
   * sure n bytes are buffered and rewinds: from bytes, frames change nothing. From a file object,
   * the n bytes come from peek() (then reading stays linear) or from read(n), and a later read
   * that needs more than is left of that buffer drops the rest and reads fresh bytes after it
   * (_Unpickler_ReadImpl). The pure-Python unpickler (_Unframer) raises when a read runs past the
   * end of a frame, or when a FRAME starts before the current frame is used up.
   */
  protected enterFrame(n: number): void {
    if (!this.trackFrames) return;
    const p = this.pos;
    if (this.frameEnd >= 0) {
      if (this.fileReading) {
        if (p + n <= this.frameEnd) return; // already buffered: the C unpickler reads nothing
        this.crossFrame(p, false);
      } else {
        if (p < this.frameEnd) {
          this.frameEvent("frame-in-frame", p);
          return;
        }
        this.clearFrame();
      }
    }
    const at = this.pos;
    if (this.fileReading) {
      const k = this.frameChoices.length;
      const decision = this.cfg.frames?.decisions[k] ?? "read";
      this.frameChoices.push(decision);
      if (decision === "peek") return;
    }
    if (n === Number.POSITIVE_INFINITY || at + n > this.cfg.limit) return;
    this.frameEnd = at + n;
    if (this.bufEnd > this.frameEnd && this.bufStart <= this.frameEnd) {
      this.buf = this.buf.subarray(0, this.frameEnd - this.bufStart);
      this.bufEnd = this.frameEnd;
    }
  }

  /** A read starting at `at` (usually pos) runs past frameEnd (or starts right at it). */
  protected crossFrame(at: number, readInto: boolean): void {
    const end = this.frameEnd;
    if (at < end) {
      if (!this.fileReading) {
        this.frameEvent(readInto ? "readinto-past-frame" : "read-past-frame", at);
        return;
      }
      // read(n) after the buffer: what is left of it is never read (readinto-based reads of
      // bytes payloads use the buffered rest first, so they stay linear).
      if (!readInto) {
        this.frameDrops.push(this.frameChoices.length - 1);
        this.frameEvents.push({ kind: "dropped", offset: this.opStart, at, frameEnd: end });
        this.pos = end;
      }
    }
    this.clearFrame();
  }

  private frameEvent(kind: FrameEvent["kind"], at: number): void {
    this.frameEvents.push({ kind, offset: this.opStart, at, frameEnd: this.frameEnd });
    this.clearFrame();
    // Linear reading: the pure-Python unpickler stops here; the C unpickler reads on as if there
    // were no frames, so there is nothing more to track.
    this.trackFrames = false;
  }

  protected clearFrame(): void {
    // The window (cut at the frame end) still holds the right bytes; the next read past it fills
    // a new one, growing as dense reading does.
    this.frameEnd = -1;
  }

  /** Before reading a constant's n bytes of data (bytes payloads are read with readinto in C). */
  protected enterConstant(n: number, readInto: boolean): void {
    if (this.frameEnd >= 0 && this.pos + n > this.frameEnd) this.crossFrame(this.pos, readInto);
  }

  /** StrBytes: ASCII bytes of the source as text, from the window while they are still in it. */
  asciiAt(start: number, length: number): string {
    const i = start - this.bufStart;
    if (i >= 0 && start + length <= this.bufEnd) return latin1Range(this.buf, i, length);
    this.texts ??= new Map();
    const texts = this.texts;
    const known = texts.get(start);
    if (known !== undefined && known.length === length) return known;
    const text = latin1(this.cfg.source.read(start, length));
    if (texts.size < TEXT_CACHE && length <= TEXT_CACHE_LENGTH) texts.set(start, text);
    return text;
  }

  /** Makes [pos, pos+n) available in the window, or halts with eof. */
  protected fill(n: number): void {
    if (this.frameEnd >= 0 && this.pos + n > this.frameEnd) this.crossFrame(this.pos, false);
    if (n > this.cfg.limit - this.pos) {
      throw new Halt(
        "eof",
        `The pickle is truncated: ${opcodeName(this.opAt())} at offset ${this.opStart} needs ${n} more byte(s) at offset ${this.pos}, but the data ends at ${this.cfg.limit}.`,
        this.opStart,
      );
    }
    // Dense reading (the next bytes start inside or right at the end of the window, e.g. an
    // argument that straddles its end) grows the window; a jump past it starts small again.
    const dense = this.pos >= this.bufStart && this.pos <= this.bufEnd;
    this.window = dense ? Math.min(this.window * 2, WINDOW_MAX) : WINDOW_MIN;
    const length = Math.min(
      Math.max(n, this.window),
      (this.frameEnd >= 0 ? this.frameEnd : this.cfg.limit) - this.pos,
    );
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

  protected opAt(): number {
    return this.opcodeAt(this.opStart);
  }

  /** The byte at `offset` (the opcode of an error), read from the window or the source. */
  opcodeAt(offset: number): number {
    const i = offset - this.bufStart;
    if (i >= 0 && i < this.buf.length) return this.buf[i] as number;
    const b = offset < this.cfg.limit ? this.cfg.source.read(offset, 1)[0] : undefined;
    return b ?? -1;
  }

  protected u8(): number {
    if (this.pos >= this.bufEnd || this.pos < this.bufStart) this.fill(1);
    return this.buf[this.pos++ - this.bufStart] as number;
  }

  /** n bytes as a view into the window (valid until the next read). */
  protected take(n: number): Uint8Array {
    if (this.pos < this.bufStart || this.pos + n > this.bufEnd) this.fill(n);
    const i = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(i, i + n);
  }

  /** Index in the window of n bytes at pos (brought in when needed); advances pos. */
  protected at(n: number): number {
    if (this.pos < this.bufStart || this.pos + n > this.bufEnd) this.fill(n);
    const i = this.pos - this.bufStart;
    this.pos += n;
    return i;
  }

  protected u16(): number {
    const i = this.at(2);
    const b = this.buf;
    return (b[i] as number) | ((b[i + 1] as number) << 8);
  }

  protected i32(): number {
    const i = this.at(4);
    const b = this.buf;
    return (
      (b[i] as number) |
      ((b[i + 1] as number) << 8) |
      ((b[i + 2] as number) << 16) |
      ((b[i + 3] as number) << 24)
    );
  }

  protected u32(): number {
    return this.i32() >>> 0;
  }

  /** 8-byte unsigned length; values above 2^53 become Infinity (they can never fit the data). */
  protected u64(): number {
    const i = this.at(8); // one 8-byte read, as the C unpickler does (frames: see crossFrame)
    const b = this.buf;
    const lo =
      ((b[i] as number) |
        ((b[i + 1] as number) << 8) |
        ((b[i + 2] as number) << 16) |
        ((b[i + 3] as number) << 24)) >>>
      0;
    const hi =
      ((b[i + 4] as number) |
        ((b[i + 5] as number) << 8) |
        ((b[i + 6] as number) << 16) |
        ((b[i + 7] as number) << 24)) >>>
      0;
    return hi >= 0x200000 ? Number.POSITIVE_INFINITY : hi * 0x100000000 + lo;
  }

  /** Skips n bytes without reading them. */
  protected skip(n: number): void {
    if (this.frameEnd >= 0 && this.pos + n > this.frameEnd) this.crossFrame(this.pos, false);
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

  protected malformed(detail: string): never {
    throw new Halt("malformed", detail, this.opStart);
  }

  protected budgetHit(message: string): never {
    throw new Halt("budget", `${message}; the rest of the pickle was not scanned.`, this.opStart);
  }
}
