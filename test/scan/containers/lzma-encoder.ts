/**
 * A test-only LZMA-alone *encoder* that writes whatever packets it is told to, true or not: a
 * literal, a match at a chosen distance and length, a short rep, a rep of one of the four kept
 * distances, the end marker. It mirrors the decoder's probability model (the LZMA specification:
 * range encoder with carry propagation, literal coder with match byte, length coders, distance
 * slots, the 12-state machine), so a test can build a stream that is well formed bit for bit and
 * lies only where the test wants it to (a match before any output, a length past the declared
 * size, data after the end marker). It does not search for matches: the test picks the packets.
 */

const PROB_INIT = 1024;

class RangeEncoder {
  private low = 0; // up to 2^33: plain numbers stay exact
  private range = 0xffffffff;
  private cache = 0;
  private cacheSize = 1;
  readonly bytes: number[] = [];

  private shiftLow(): void {
    if (this.low % 2 ** 32 < 0xff000000 || this.low >= 2 ** 32) {
      const carry = this.low >= 2 ** 32 ? 1 : 0;
      let temp = this.cache;
      do {
        this.bytes.push((temp + carry) & 0xff);
        temp = 0xff;
      } while (--this.cacheSize !== 0);
      this.cache = Math.floor(this.low / 2 ** 24) & 0xff;
    }
    this.cacheSize++;
    this.low = (this.low % 2 ** 24) * 256;
  }

  private normalize(): void {
    while (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.shiftLow();
    }
  }

  bit(probs: Uint16Array, i: number, bit: number): void {
    const p = probs[i] as number;
    const bound = ((this.range >>> 11) * p) >>> 0;
    if (bit === 0) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
    } else {
      this.low += bound;
      this.range = (this.range - bound) >>> 0;
      probs[i] = p - (p >>> 5);
    }
    this.normalize();
  }

  direct(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) {
      this.range = this.range >>> 1;
      if ((value >>> i) & 1) this.low += this.range;
      this.normalize();
    }
  }

  tree(probs: Uint16Array, base: number, bits: number, value: number): void {
    let m = 1;
    for (let i = bits - 1; i >= 0; i--) {
      const b = (value >>> i) & 1;
      this.bit(probs, base + m, b);
      m = (m << 1) + b;
    }
  }

  reverse(probs: Uint16Array, base: number, bits: number, value: number): void {
    let m = 1;
    for (let i = 0; i < bits; i++) {
      const b = (value >>> i) & 1;
      this.bit(probs, base + m, b);
      m = (m << 1) + b;
    }
  }

  flush(): number[] {
    for (let i = 0; i < 5; i++) this.shiftLow();
    return this.bytes;
  }
}

class LenEncoder {
  private readonly probs: Uint16Array;
  constructor(private readonly posStates: number) {
    this.probs = new Uint16Array(2 + posStates * 16 + 256).fill(PROB_INIT);
  }
  /** `len` is the match length minus 2 (0..271). */
  encode(rc: RangeEncoder, len: number, posState: number): void {
    if (len < 8) {
      rc.bit(this.probs, 0, 0);
      rc.tree(this.probs, 2 + posState * 8, 3, len);
    } else if (len < 16) {
      rc.bit(this.probs, 0, 1);
      rc.bit(this.probs, 1, 0);
      rc.tree(this.probs, 2 + this.posStates * 8 + posState * 8, 3, len - 8);
    } else {
      rc.bit(this.probs, 0, 1);
      rc.bit(this.probs, 1, 1);
      rc.tree(this.probs, 2 + this.posStates * 16, 8, len - 16);
    }
  }
}

export interface LzmaHeader {
  /** lc/lp/pb (default 3/0/2, props byte 0x5d). */
  lc?: number;
  lp?: number;
  pb?: number;
  dictSize?: number;
  /** The declared unpacked size; undefined writes all-ones ("unknown, ends with the marker"). */
  size?: number;
}

/** Encodes packets into one LZMA-alone stream; `finish()` returns header + stream. */
export class LzmaWriter {
  private readonly rc = new RangeEncoder();
  private readonly lc: number;
  private readonly lp: number;
  private readonly pb: number;
  private readonly literal: Uint16Array;
  private readonly isMatch = new Uint16Array(12 << 4).fill(PROB_INIT);
  private readonly isRep = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRepG0 = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRepG1 = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRepG2 = new Uint16Array(12).fill(PROB_INIT);
  private readonly isRep0Long = new Uint16Array(12 << 4).fill(PROB_INIT);
  private readonly posSlot = new Uint16Array(4 << 6).fill(PROB_INIT);
  private readonly posEncoders = new Uint16Array(1 + 128 - 14).fill(PROB_INIT);
  private readonly align = new Uint16Array(16).fill(PROB_INIT);
  private readonly lenEncoder: LenEncoder;
  private readonly repLenEncoder: LenEncoder;
  private state = 0;
  private reps = [0, 0, 0, 0];
  /** What a decoder following these packets has written so far (0 where a packet lies). */
  readonly out: number[] = [];

  constructor(private readonly header: LzmaHeader = {}) {
    this.lc = header.lc ?? 3;
    this.lp = header.lp ?? 0;
    this.pb = header.pb ?? 2;
    this.literal = new Uint16Array(0x300 << (this.lc + this.lp)).fill(PROB_INIT);
    this.lenEncoder = new LenEncoder(1 << this.pb);
    this.repLenEncoder = new LenEncoder(1 << this.pb);
  }

  private get posState(): number {
    return this.out.length & ((1 << this.pb) - 1);
  }

  private copy(rep0: number, len: number): void {
    for (let i = 0; i < len; i++) this.out.push(this.out[this.out.length - rep0 - 1] ?? 0);
  }

  literalByte(byte: number): this {
    const pos = this.out.length;
    this.rc.bit(this.isMatch, (this.state << 4) + this.posState, 0);
    const prev = pos > 0 ? (this.out[pos - 1] as number) : 0;
    const litState = ((pos & ((1 << this.lp) - 1)) << this.lc) + (prev >>> (8 - this.lc));
    const base = 0x300 * litState;
    let symbol = 1;
    let i = 7;
    if (this.state >= 7) {
      let matchByte = this.out[pos - (this.reps[0] as number) - 1] ?? 0;
      for (; i >= 0; i--) {
        const matchBit = (matchByte >>> 7) & 1;
        matchByte = (matchByte << 1) & 0xff;
        const bit = (byte >>> i) & 1;
        this.rc.bit(this.literal, base + ((1 + matchBit) << 8) + symbol, bit);
        symbol = (symbol << 1) | bit;
        if (matchBit !== bit) {
          i--;
          break;
        }
      }
    }
    for (; i >= 0; i--) {
      const bit = (byte >>> i) & 1;
      this.rc.bit(this.literal, base + symbol, bit);
      symbol = (symbol << 1) | bit;
    }
    this.out.push(byte & 0xff);
    this.state = this.state < 4 ? 0 : this.state < 10 ? this.state - 3 : this.state - 6;
    return this;
  }

  literals(text: string): this {
    for (const c of text) this.literalByte(c.charCodeAt(0));
    return this;
  }

  /** A match: copy `len` (2..273) bytes from `distance` (0 = the byte just written) back. */
  match(distance: number, len: number): this {
    const posState = this.posState;
    this.rc.bit(this.isMatch, (this.state << 4) + posState, 1);
    this.rc.bit(this.isRep, this.state, 0);
    this.lenEncoder.encode(this.rc, len - 2, posState);
    this.state = this.state < 7 ? 7 : 10;
    this.encodeDistance(distance >>> 0, len - 2);
    this.reps = [
      distance >>> 0,
      this.reps[0] as number,
      this.reps[1] as number,
      this.reps[2] as number,
    ];
    if (distance >>> 0 !== 0xffffffff) this.copy(distance, len);
    return this;
  }

  /** The end-of-stream marker (a match at distance 0xFFFFFFFF). */
  end(): this {
    return this.match(0xffffffff, 2);
  }

  /** A short rep: one byte from the last distance. */
  shortRep(): this {
    const posState = this.posState;
    this.rc.bit(this.isMatch, (this.state << 4) + posState, 1);
    this.rc.bit(this.isRep, this.state, 1);
    this.rc.bit(this.isRepG0, this.state, 0);
    this.rc.bit(this.isRep0Long, (this.state << 4) + posState, 0);
    this.state = this.state < 7 ? 9 : 11;
    this.copy(this.reps[0] as number, 1);
    return this;
  }

  /** A rep match of the kept distance `index` (0..3), `len` bytes. */
  rep(index: 0 | 1 | 2 | 3, len: number): this {
    const posState = this.posState;
    this.rc.bit(this.isMatch, (this.state << 4) + posState, 1);
    this.rc.bit(this.isRep, this.state, 1);
    if (index === 0) {
      this.rc.bit(this.isRepG0, this.state, 0);
      this.rc.bit(this.isRep0Long, (this.state << 4) + posState, 1);
    } else {
      this.rc.bit(this.isRepG0, this.state, 1);
      this.rc.bit(this.isRepG1, this.state, index === 1 ? 0 : 1);
      if (index !== 1) this.rc.bit(this.isRepG2, this.state, index === 2 ? 0 : 1);
      const dist = this.reps[index] as number;
      this.reps.splice(index, 1);
      this.reps.unshift(dist);
    }
    this.repLenEncoder.encode(this.rc, len - 2, posState);
    this.state = this.state < 7 ? 8 : 11;
    this.copy(this.reps[0] as number, len);
    return this;
  }

  private encodeDistance(dist: number, len: number): void {
    const lenState = Math.min(len, 3);
    if (dist < 4) {
      this.rc.tree(this.posSlot, lenState << 6, 6, dist);
      return;
    }
    const top = 31 - Math.clz32(dist);
    const slot = 2 * top + ((dist >>> (top - 1)) & 1);
    this.rc.tree(this.posSlot, lenState << 6, 6, slot);
    const directBits = (slot >>> 1) - 1;
    const base = ((2 | (slot & 1)) << directBits) >>> 0;
    const rest = (dist - base) >>> 0;
    if (slot < 14) {
      this.rc.reverse(this.posEncoders, base - slot, directBits, rest);
      return;
    }
    this.rc.direct(rest >>> 4, directBits - 4);
    this.rc.reverse(this.align, 0, 4, rest & 15);
  }

  /** The 13-byte header and the flushed stream, then `trailing` bytes. */
  finish(trailing: number[] = []): Uint8Array {
    const { lc, lp, pb } = this;
    const head = new Uint8Array(13);
    const view = new DataView(head.buffer);
    head[0] = (pb * 5 + lp) * 9 + lc;
    view.setUint32(1, this.header.dictSize ?? 1 << 16, true);
    if (this.header.size === undefined) head.fill(0xff, 5, 13);
    else {
      view.setUint32(5, this.header.size % 2 ** 32, true);
      view.setUint32(9, Math.floor(this.header.size / 2 ** 32), true);
    }
    return Uint8Array.from([...head, ...this.rc.flush(), ...trailing]);
  }
}
