/**
 * A bounded decoder for LZMA-alone (`.lzma`, what joblib's compress='lzma' and Python's
 * `lzma.FORMAT_ALONE` write): a 13-byte header (lc/lp/pb properties, dictionary size, unpacked
 * size or all-ones for "unknown, ends with a marker") and one LZMA1 range-coded stream. Written
 * from the LZMA specification (Igor Pavlov's lzma-specification.txt): range decoder, literal
 * coder with match byte, length coders, distance slots with reverse bit trees and align bits,
 * the 12-state machine and four rep distances. The whole output is the dictionary; it stops with
 * OutputCapError before writing past the cap, and with ScanError on any inconsistency the
 * reference decoder would reject (first range byte not 0, distance past the output or the
 * dictionary, data after the end, a truncated stream).
 */
import { ScanError } from "../../core/errors.js";
import { type OutputCap, OutputCapError } from "./decompress.js";

const HEADER = 13;
const PROB_INIT = 1024;
const END_POS_MODEL_INDEX = 14;
const FULL_DISTANCES = 128;
const MATCH_MIN_LEN = 2;

function corrupt(why: string): never {
  throw new ScanError("SCAN_FORMAT", `LZMA data is corrupt: ${why}`);
}

class RangeDecoder {
  private range = 0xffffffff;
  private code = 0;
  pos: number;
  constructor(
    private readonly input: Uint8Array,
    start: number,
  ) {
    if (input[start] !== 0) corrupt("the range coder's first byte is not 0");
    this.pos = start + 1;
    for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.next()) >>> 0;
    if (this.code === this.range) corrupt("the range coder starts at its maximum");
  }
  private next(): number {
    const b = this.input[this.pos++];
    if (b === undefined) corrupt("the stream is truncated");
    return b;
  }
  private normalize(): void {
    if (this.range < 0x1000000) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.next()) >>> 0;
    }
  }
  finishedOk(): boolean {
    return this.code === 0;
  }
  bit(probs: Uint16Array, i: number): number {
    const p = probs[i] as number;
    const bound = ((this.range >>> 11) * p) >>> 0;
    let bit: number;
    if (this.code < bound) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      bit = 0;
    } else {
      this.range = (this.range - bound) >>> 0;
      this.code = (this.code - bound) >>> 0;
      probs[i] = p - (p >>> 5);
      bit = 1;
    }
    this.normalize();
    return bit;
  }
  direct(count: number): number {
    let res = 0;
    for (let i = 0; i < count; i++) {
      this.range = this.range >>> 1;
      let bit = 0;
      if (this.code >= this.range) {
        this.code = (this.code - this.range) >>> 0;
        bit = 1;
      }
      res = ((res << 1) | bit) >>> 0;
      this.normalize();
    }
    return res;
  }
  tree(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    for (let i = 0; i < bits; i++) m = (m << 1) + this.bit(probs, base + m);
    return m - (1 << bits);
  }
  reverse(probs: Uint16Array, base: number, bits: number): number {
    let m = 1;
    let sym = 0;
    for (let i = 0; i < bits; i++) {
      const b = this.bit(probs, base + m);
      m = (m << 1) + b;
      sym |= b << i;
    }
    return sym;
  }
}

class LenDecoder {
  private readonly probs: Uint16Array;
  constructor(posStates: number) {
    // choice, choice2, low[posStates][8], mid[posStates][8], high[256]
    this.probs = new Uint16Array(2 + posStates * 16 + 256).fill(PROB_INIT);
    this.posStates = posStates;
  }
  private readonly posStates: number;
  decode(rc: RangeDecoder, posState: number): number {
    if (rc.bit(this.probs, 0) === 0) return rc.tree(this.probs, 2 + posState * 8, 3);
    if (rc.bit(this.probs, 1) === 0)
      return 8 + rc.tree(this.probs, 2 + this.posStates * 8 + posState * 8, 3);
    return 16 + rc.tree(this.probs, 2 + this.posStates * 16, 8);
  }
}

/** True when the bytes start like an LZMA-alone header with properties a decoder accepts. */
export function lzmaAloneProps(head: Uint8Array): { lc: number; lp: number; pb: number } | null {
  const d = head[0];
  if (d === undefined || d >= 9 * 5 * 5) return null;
  return { lc: d % 9, lp: Math.floor(d / 9) % 5, pb: Math.floor(d / 45) };
}

export function unlzmaAloneCapped(input: Uint8Array, cap: OutputCap): Uint8Array {
  if (input.length < HEADER) corrupt("the header is truncated");
  const props = lzmaAloneProps(input);
  if (props === null) corrupt("the properties byte is out of range");
  const { lc, lp, pb } = props;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const dictSize = Math.max(view.getUint32(1, true), 4096);
  const sizeLow = view.getUint32(5, true);
  const sizeHigh = view.getUint32(9, true);
  const sizeKnown = !(sizeLow === 0xffffffff && sizeHigh === 0xffffffff);
  let remaining = sizeKnown ? sizeHigh * 2 ** 32 + sizeLow : Number.POSITIVE_INFINITY;
  if (remaining > cap.max) {
    if (sizeKnown) throw new OutputCapError(cap);
  }
  let out = new Uint8Array(Math.min(sizeKnown ? remaining : input.length * 4 + 4096, cap.max));
  let pos = 0;
  const ensure = (extra: number) => {
    if (pos + extra > cap.max) throw new OutputCapError(cap);
    if (pos + extra <= out.length) return;
    const grown = new Uint8Array(Math.min(cap.max, Math.max(out.length * 2, pos + extra)));
    grown.set(out.subarray(0, pos));
    out = grown;
  };

  const rc = new RangeDecoder(input, 5 + 8);
  const posStates = 1 << pb;
  const literal = new Uint16Array(0x300 << (lc + lp)).fill(PROB_INIT);
  const isMatch = new Uint16Array(12 << 4).fill(PROB_INIT);
  const isRep = new Uint16Array(12).fill(PROB_INIT);
  const isRepG0 = new Uint16Array(12).fill(PROB_INIT);
  const isRepG1 = new Uint16Array(12).fill(PROB_INIT);
  const isRepG2 = new Uint16Array(12).fill(PROB_INIT);
  const isRep0Long = new Uint16Array(12 << 4).fill(PROB_INIT);
  const posSlot = new Uint16Array(4 << 6).fill(PROB_INIT);
  const posDecoders = new Uint16Array(1 + FULL_DISTANCES - END_POS_MODEL_INDEX).fill(PROB_INIT);
  const align = new Uint16Array(1 << 4).fill(PROB_INIT);
  const lenDecoder = new LenDecoder(posStates);
  const repLenDecoder = new LenDecoder(posStates);
  let state = 0;
  let rep0 = 0;
  let rep1 = 0;
  let rep2 = 0;
  let rep3 = 0;

  const decodeLiteral = () => {
    const prev = pos > 0 ? (out[pos - 1] as number) : 0;
    const litState = ((pos & ((1 << lp) - 1)) << lc) + (prev >>> (8 - lc));
    const base = 0x300 * litState;
    let symbol = 1;
    if (state >= 7) {
      let matchByte = out[pos - rep0 - 1] as number;
      do {
        const matchBit = (matchByte >>> 7) & 1;
        matchByte <<= 1;
        const bit = rc.bit(literal, base + ((1 + matchBit) << 8) + symbol);
        symbol = (symbol << 1) | bit;
        if (matchBit !== bit) break;
      } while (symbol < 0x100);
    }
    while (symbol < 0x100) symbol = (symbol << 1) | rc.bit(literal, base + symbol);
    ensure(1);
    out[pos++] = symbol - 0x100;
  };

  const decodeDistance = (len: number): number => {
    const lenState = Math.min(len, 3);
    const slot = rc.tree(posSlot, lenState << 6, 6);
    if (slot < 4) return slot;
    const directBits = (slot >>> 1) - 1;
    let dist = ((2 | (slot & 1)) << directBits) >>> 0;
    if (slot < END_POS_MODEL_INDEX)
      return (dist + rc.reverse(posDecoders, dist - slot, directBits)) >>> 0;
    dist = (dist + ((rc.direct(directBits - 4) << 4) >>> 0)) >>> 0;
    return (dist + rc.reverse(align, 0, 4)) >>> 0;
  };

  for (;;) {
    if (sizeKnown && remaining === 0 && rc.finishedOk()) break;
    const posState = pos & (posStates - 1);
    if (rc.bit(isMatch, (state << 4) + posState) === 0) {
      if (remaining === 0) corrupt("data continues past the declared size");
      decodeLiteral();
      state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      remaining--;
      continue;
    }
    let len: number;
    if (rc.bit(isRep, state) !== 0) {
      if (remaining === 0) corrupt("data continues past the declared size");
      if (pos === 0) corrupt("a repeated match before any output");
      if (rc.bit(isRepG0, state) === 0) {
        if (rc.bit(isRep0Long, (state << 4) + posState) === 0) {
          state = state < 7 ? 9 : 11;
          ensure(1);
          out[pos] = out[pos - rep0 - 1] as number;
          pos++;
          remaining--;
          continue;
        }
      } else {
        let dist: number;
        if (rc.bit(isRepG1, state) === 0) dist = rep1;
        else {
          if (rc.bit(isRepG2, state) === 0) dist = rep2;
          else {
            dist = rep3;
            rep3 = rep2;
          }
          rep2 = rep1;
        }
        rep1 = rep0;
        rep0 = dist;
      }
      len = repLenDecoder.decode(rc, posState);
      state = state < 7 ? 8 : 11;
    } else {
      rep3 = rep2;
      rep2 = rep1;
      rep1 = rep0;
      len = lenDecoder.decode(rc, posState);
      state = state < 7 ? 7 : 10;
      rep0 = decodeDistance(len);
      if (rep0 === 0xffffffff) {
        if (!rc.finishedOk()) corrupt("the end marker is not at the end of the range coder");
        if (sizeKnown && remaining !== 0) corrupt("the end marker comes before the declared size");
        break;
      }
      if (remaining === 0) corrupt("data continues past the declared size");
      if (rep0 >= dictSize || rep0 >= pos) corrupt("a match distance points before the data");
    }
    len += MATCH_MIN_LEN;
    if (len > remaining) corrupt("a match runs past the declared size");
    ensure(len);
    for (let i = 0; i < len; i++, pos++) out[pos] = out[pos - rep0 - 1] as number;
    remaining -= len;
  }
  if (rc.pos !== input.length)
    corrupt(
      `${input.length - rc.pos} byte(s) follow the stream (a reader would decode them as another stream)`,
    );
  return out.subarray(0, pos);
}
