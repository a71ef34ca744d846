/**
 * The fixture Hub's Xet CAS content (huggingface.co/docs/xet: xorb, download-protocol): each LFS
 * file is cut into fixed-size chunks (no content-defined chunking: downloads do not need it), the
 * chunks packed in order into xorbs under the 64 MiB serialized limit, each xorb serialized in the
 * real format (8-byte chunk header: version 0, compressed size u24 LE, scheme 0 = None, size u24
 * LE, then the bytes), and every hash the real one (chunk, xorb, file; see xet-hash.ts).
 */
import { chunkHash, fileHash, type HashedChunk, xetHex, xorbHash } from "./xet-hash.js";

/** Largest chunk the format allows (the u24 sizes could hold more; the protocol caps at 128 KiB). */
export const MAX_CHUNK_BYTES = 128 * 1024;
/** Largest serialized xorb the CAS accepts. */
export const MAX_XORB_BYTES = 64 * 1024 * 1024;
export const CHUNK_HEADER_BYTES = 8;

export interface XetLayoutOptions {
  /** Fixed chunk size (default 64 KiB, the protocol's target; at most 128 KiB). */
  chunkBytes?: number;
  /** Cap on a xorb's serialized size (default 64 MiB, the protocol's limit). */
  xorbBytes?: number;
}

export interface Xorb {
  /** protocol string form of the xorb hash */
  hash: string;
  /** the serialized xorb: chunk header + data, chunk after chunk */
  bytes: Buffer;
  /** byte offset of chunk i's header; one more entry = bytes.length */
  offsets: number[];
  /** uncompressed length of chunk i */
  sizes: number[];
}

/** A run of chunks [start, end) of one xorb, in file order. */
export interface XetTerm {
  xorb: Xorb;
  start: number;
  end: number;
  /** where the term's first byte sits in the file */
  fileOffset: number;
  unpackedLength: number;
}

export interface XetLayout {
  /** protocol string form of the file hash */
  hash: string;
  size: number;
  terms: XetTerm[];
}

function serializeXorb(chunks: Buffer[]): Xorb {
  const parts: Buffer[] = [];
  const offsets: number[] = [];
  let at = 0;
  for (const chunk of chunks) {
    const header = Buffer.alloc(CHUNK_HEADER_BYTES);
    header[0] = 0; // version
    header.writeUIntLE(chunk.length, 1, 3); // compressed size (stored as is)
    header[4] = 0; // compression scheme: None
    header.writeUIntLE(chunk.length, 5, 3); // uncompressed size
    offsets.push(at);
    parts.push(header, chunk);
    at += CHUNK_HEADER_BYTES + chunk.length;
  }
  offsets.push(at);
  const hashed: HashedChunk[] = chunks.map((c) => ({ hash: chunkHash(c), size: c.length }));
  return {
    hash: xetHex(xorbHash(hashed)),
    bytes: Buffer.concat(parts),
    offsets,
    sizes: chunks.map((c) => c.length),
  };
}

/** Cuts, hashes and packs `bytes` (deterministic: the same bytes and options, the same layout). */
export function buildLayout(bytes: Buffer, options: XetLayoutOptions = {}): XetLayout {
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  const xorbBytes = options.xorbBytes ?? MAX_XORB_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new Error(`xet layout: chunkBytes must be 1..${MAX_CHUNK_BYTES}, got ${chunkBytes}`);
  }
  if (!Number.isInteger(xorbBytes) || xorbBytes > MAX_XORB_BYTES) {
    throw new Error(`xet layout: xorbBytes must be at most ${MAX_XORB_BYTES}, got ${xorbBytes}`);
  }
  const perXorb = Math.floor(xorbBytes / (CHUNK_HEADER_BYTES + chunkBytes));
  if (perXorb < 1) throw new Error(`xet layout: xorbBytes ${xorbBytes} cannot hold one chunk`);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkBytes) {
    chunks.push(bytes.subarray(at, Math.min(at + chunkBytes, bytes.length)));
  }
  const terms: XetTerm[] = [];
  let fileOffset = 0;
  for (let first = 0; first < chunks.length; first += perXorb) {
    const group = chunks.slice(first, first + perXorb);
    const xorb = serializeXorb(group);
    const unpackedLength = group.reduce((n, c) => n + c.length, 0);
    terms.push({ xorb, start: 0, end: group.length, fileOffset, unpackedLength });
    fileOffset += unpackedLength;
  }
  const all: HashedChunk[] = chunks.map((c) => ({ hash: chunkHash(c), size: c.length }));
  return { hash: xetHex(fileHash(all)), size: bytes.length, terms };
}

/** The terms covering file bytes [first, last] (inclusive), trimmed to whole chunks. */
export function termsForRange(
  layout: XetLayout,
  first: number,
  last: number,
): { terms: XetTerm[]; offsetIntoFirstRange: number } {
  const out: XetTerm[] = [];
  let offsetIntoFirstRange = 0;
  for (const term of layout.terms) {
    const termEnd = term.fileOffset + term.unpackedLength - 1;
    if (termEnd < first || term.fileOffset > last) continue;
    let start = term.start;
    let pos = term.fileOffset;
    while (pos + term.xorb.sizes[start]! - 1 < first) pos += term.xorb.sizes[start++]!;
    if (out.length === 0) offsetIntoFirstRange = first - pos;
    const fileOffset = pos;
    let end = start;
    let unpackedLength = 0;
    while (end < term.end && pos <= last) {
      unpackedLength += term.xorb.sizes[end]!;
      pos += term.xorb.sizes[end++]!;
    }
    out.push({ xorb: term.xorb, start, end, fileOffset, unpackedLength });
  }
  return { terms: out, offsetIntoFirstRange };
}

/** Layouts by content, and the file hash of each LFS content digest, computed once. */
export class XetStore {
  private readonly hashes = new Map<string, string>();
  private readonly layouts = new WeakMap<Buffer, XetLayout>();
  /** Xorbs some reconstruction answer pointed at (the only ones the transfer route serves). */
  readonly issued = new Map<string, Xorb>();

  constructor(readonly options: XetLayoutOptions = {}) {}

  layout(bytes: Buffer): XetLayout {
    let layout = this.layouts.get(bytes);
    if (!layout) {
      layout = buildLayout(bytes, this.options);
      this.layouts.set(bytes, layout);
    }
    return layout;
  }

  /** The file hash of `bytes`, cached under their sha256 (the original bytes of an LFS file). */
  fileHash(sha256: string, bytes: Buffer): string {
    let hash = this.hashes.get(sha256);
    if (!hash) {
      hash = this.layout(bytes).hash;
      this.hashes.set(sha256, hash);
    }
    return hash;
  }

  /** Remembers the xorbs of these terms so their transfer URLs can be served. */
  issue(terms: XetTerm[]): void {
    for (const t of terms) this.issued.set(t.xorb.hash, t.xorb);
  }
}
