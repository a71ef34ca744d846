/** Byte building and a seeded PRNG for the differential fuzzer. */

/** mulberry32: small, fast, deterministic. */
export class Rng {
  private a: number;
  constructor(seed: number) {
    this.a = seed >>> 0;
  }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}

export type Part = number | string | Uint8Array | readonly number[];

/** Concatenates parts: numbers are bytes, strings are latin-1. */
export function cat(...parts: Part[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += typeof p === "number" ? 1 : p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    if (typeof p === "number") out[at++] = p & 0xff;
    else if (typeof p === "string") for (let i = 0; i < p.length; i++) out[at++] = p.charCodeAt(i);
    else {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}

export function le(value: number | bigint, width: number): number[] {
  let v = BigInt(value);
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = (CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return (c ^ 0xffffffff) >>> 0;
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
