/**
 * Builds zip archives byte by byte for tests, including archives that lie: every field of the
 * local header and of the central directory can be set on its own.
 */
import { crc32, deflateRawSync } from "node:zlib";

export interface BuildEntry {
  name: string;
  data: Uint8Array | string;
  /** 0 stored (default), 8 deflate; the data is compressed accordingly unless `raw` is given. */
  method?: number;
  /** Bytes written as the member's data instead of compressing `data`. */
  raw?: Uint8Array;
  flags?: number;
  crc?: number;
  /** Overrides for the local header only. */
  local?: Partial<{
    name: string;
    method: number;
    flags: number;
    crc: number;
    compressedSize: number;
    uncompressedSize: number;
    extra: Uint8Array;
  }>;
  /** Overrides for the central directory only. */
  central?: Partial<{
    compressedSize: number;
    uncompressedSize: number;
    offset: number;
    externalAttributes: number;
    versionMadeBy: number;
  }>;
}

export interface BuildOptions {
  /** Declared entry count in the end record (default: the real count). */
  declaredEntries?: number;
  /** Central directory offset written in the end record. */
  cdOffset?: number;
  /** Write zip64 end records (and saturate the 32-bit fields). */
  zip64?: boolean;
  /** Put zip64 extra fields on every central record (sizes and offset saturated). */
  zip64Entries?: boolean;
  comment?: string;
}

const enc = new TextEncoder();
const bytes = (d: Uint8Array | string) => (typeof d === "string" ? enc.encode(d) : d);

class Writer {
  parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array) {
    this.parts.push(b);
    this.length += b.length;
  }
  fields(spec: [number, number][]) {
    const size = spec.reduce((n, [w]) => n + w, 0);
    const b = new Uint8Array(size);
    const dv = new DataView(b.buffer);
    let at = 0;
    for (const [w, v] of spec) {
      if (w === 2) dv.setUint16(at, v, true);
      else if (w === 4) dv.setUint32(at, v >>> 0, true);
      else dv.setBigUint64(at, BigInt(v), true);
      at += w;
    }
    this.push(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

export function buildZip(entries: BuildEntry[], options: BuildOptions = {}): Uint8Array {
  const w = new Writer();
  const records: {
    e: BuildEntry;
    offset: number;
    crc: number;
    csize: number;
    usize: number;
    method: number;
  }[] = [];
  for (const e of entries) {
    const data = bytes(e.data);
    const method = e.method ?? 0;
    const body = e.raw ?? (method === 8 ? deflateRawSync(data) : data);
    const crc = e.crc ?? crc32(data);
    const offset = w.length;
    const l = e.local ?? {};
    const lname = enc.encode(l.name ?? e.name);
    const extra = l.extra ?? new Uint8Array(0);
    w.fields([
      [4, 0x04034b50],
      [2, 20],
      [2, l.flags ?? e.flags ?? 0],
      [2, l.method ?? method],
      [2, 0],
      [2, 0],
      [4, l.crc ?? crc],
      [4, l.compressedSize ?? body.length],
      [4, l.uncompressedSize ?? data.length],
      [2, lname.length],
      [2, extra.length],
    ]);
    w.push(lname);
    w.push(extra);
    w.push(body);
    records.push({ e, offset, crc, csize: body.length, usize: data.length, method });
  }
  const cdStart = w.length;
  for (const r of records) {
    const c = r.e.central ?? {};
    const name = enc.encode(r.e.name);
    const usize = c.uncompressedSize ?? r.usize;
    const csize = c.compressedSize ?? r.csize;
    const offset = c.offset ?? r.offset;
    const z64 = options.zip64Entries === true;
    w.fields([
      [4, 0x02014b50],
      [2, c.versionMadeBy ?? 20],
      [2, 20],
      [2, r.e.flags ?? 0],
      [2, r.method],
      [2, 0],
      [2, 0],
      [4, r.crc],
      [4, z64 ? 0xffffffff : csize],
      [4, z64 ? 0xffffffff : usize],
      [2, name.length],
      [2, z64 ? 28 : 0],
      [2, 0],
      [2, 0],
      [2, 0],
      [4, c.externalAttributes ?? 0],
      [4, z64 ? 0xffffffff : offset],
    ]);
    w.push(name);
    if (z64)
      w.fields([
        [2, 1],
        [2, 24],
        [8, usize],
        [8, csize],
        [8, offset],
      ]);
  }
  const cdSize = w.length - cdStart;
  const count = options.declaredEntries ?? records.length;
  const cdOffset = options.cdOffset ?? cdStart;
  if (options.zip64) {
    const eocd64 = w.length;
    w.fields([
      [4, 0x06064b50],
      [8, 44],
      [2, 45],
      [2, 45],
      [4, 0],
      [4, 0],
      [8, count],
      [8, count],
      [8, cdSize],
      [8, cdOffset],
    ]);
    w.fields([
      [4, 0x07064b50],
      [4, 0],
      [8, eocd64],
      [4, 1],
    ]);
  }
  const comment = enc.encode(options.comment ?? "");
  w.fields([
    [4, 0x06054b50],
    [2, 0],
    [2, 0],
    [2, options.zip64 ? 0xffff : count],
    [2, options.zip64 ? 0xffff : count],
    [4, options.zip64 ? 0xffffffff : cdSize],
    [4, options.zip64 ? 0xffffffff : cdOffset],
    [2, comment.length],
  ]);
  w.push(comment);
  return w.concat();
}
