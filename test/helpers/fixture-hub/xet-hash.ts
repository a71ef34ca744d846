/**
 * Xet hashing as the public Xet protocol defines it (huggingface.co/docs/xet: hashing, api): chunk
 * hashes are BLAKE3 keyed with DATA_KEY; xorb and file hashes aggregate (chunk hash, length) pairs
 * in a variable-fan-out Merkle tree whose internal nodes are BLAKE3 keyed with INTERNAL_NODE_KEY
 * over lines `<hash hex> : <length>\n`; a file hash then keys the root with 32 zero bytes. Hashes
 * are 32 raw bytes here; `xetHex` gives the protocol's string form (each 8-byte word little-endian).
 */
import { blake3 } from "@noble/hashes/blake3.js";

const DATA_KEY = Uint8Array.from([
  102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28, 157, 228, 33, 16, 155,
  235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41,
]);
const INTERNAL_NODE_KEY = Uint8Array.from([
  1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230, 93, 221, 83, 111, 55,
  199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63,
]);
const ZERO_KEY = new Uint8Array(32);
/** Mean fan-out of the aggregation tree (AGGREGATED_HASHES_MEAN_TREE_BRANCHING_FACTOR). */
const BRANCHING = 4;

export interface HashedChunk {
  /** 32 raw bytes */
  hash: Uint8Array;
  /** uncompressed length in bytes */
  size: number;
}

/** The protocol's string form: each 8-byte word read as a little-endian u64, 16 hex digits each. */
export function xetHex(hash: Uint8Array): string {
  if (hash.length !== 32) throw new Error(`xet hash must be 32 bytes, got ${hash.length}`);
  let out = "";
  for (let w = 0; w < 4; w++) {
    for (let i = 7; i >= 0; i--) out += hash[w * 8 + i]!.toString(16).padStart(2, "0");
  }
  return out;
}

/** Inverse of `xetHex`; null unless exactly 64 hex digits. */
export function parseXetHex(hex: string): Uint8Array | null {
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return null;
  const out = new Uint8Array(32);
  for (let w = 0; w < 4; w++) {
    for (let i = 0; i < 8; i++) {
      const at = w * 16 + (7 - i) * 2;
      out[w * 8 + i] = Number.parseInt(hex.slice(at, at + 2), 16);
    }
  }
  return out;
}

export function chunkHash(data: Uint8Array): Uint8Array {
  return blake3(data, { key: DATA_KEY });
}

/** Where the next internal node ends: after 2..9 children, cut after a child whose hash ≡ 0 mod 4. */
function nextCut(level: HashedChunk[], from: number): number {
  const left = level.length - from;
  if (left <= 2) return level.length;
  const end = Math.min(2 * BRANCHING + 1, left);
  for (let i = 2; i < end; i++) {
    // `hash % 4` of the reference: the last word as a little-endian u64, so its lowest byte
    if ((level[from + i]!.hash[24]! & (BRANCHING - 1)) === 0) return from + i + 1;
  }
  return from + end;
}

function internalNode(children: HashedChunk[]): HashedChunk {
  let text = "";
  let size = 0;
  for (const c of children) {
    text += `${xetHex(c.hash)} : ${c.size}\n`;
    size += c.size;
  }
  return { hash: blake3(Buffer.from(text, "utf8"), { key: INTERNAL_NODE_KEY }), size };
}

/** Root of the aggregation tree (the xorb hash of these chunks); 32 zero bytes when empty. */
export function merkleRoot(chunks: HashedChunk[]): Uint8Array {
  if (chunks.length === 0) return new Uint8Array(32);
  let level = chunks;
  while (level.length > 1) {
    const next: HashedChunk[] = [];
    for (let at = 0; at < level.length; ) {
      const cut = nextCut(level, at);
      next.push(internalNode(level.slice(at, cut)));
      at = cut;
    }
    level = next;
  }
  return level[0]!.hash;
}

export const xorbHash = merkleRoot;

/** File hash: the aggregation root keyed once more with 32 zero bytes; zero for an empty file. */
export function fileHash(chunks: HashedChunk[]): Uint8Array {
  if (chunks.length === 0) return new Uint8Array(32);
  return blake3(merkleRoot(chunks), { key: ZERO_KEY });
}
