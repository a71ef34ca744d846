/**
 * Decompression with a hard output cap. Output never grows past the cap: deflate/zlib/gzip stop in
 * node:zlib (`maxOutputLength`), bzip2 stops in our byte sink, xz stops reading the stream. The
 * cap is the smallest of: the file's remaining decompression budget, the in-memory limit, and the
 * compression-ratio limit (with a floor so small, highly compressible members are not bombs).
 */
import { gunzipSync, inflateRawSync, inflateSync } from "node:zlib";
import Bunzip from "seek-bzip";
import xzDecompress from "xz-decompress";
import { ScanError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import type { Budget } from "../budget.js";

// xz-decompress is a CommonJS webpack bundle: its names are only reachable through the default export.
const { XzReadableStream } = xzDecompress;

/** Below this many output bytes the ratio limit does not apply (zero-filled tensors compress 1000:1). */
export const RATIO_FLOOR_BYTES = 4 * 1024 * 1024;

export type CapReason = "ratio" | "budget" | "memory";

export interface OutputCap {
  max: number;
  reason: CapReason;
}

export function outputCap(budget: Budget, compressedSize: number): OutputCap {
  const limits = budget.limits;
  const candidates: OutputCap[] = [
    {
      max: Math.max(compressedSize * limits.maxCompressionRatio, RATIO_FLOOR_BYTES),
      reason: "ratio",
    },
    { max: Math.max(0, limits.maxDecompressedBytes - budget.decompressedBytes), reason: "budget" },
    { max: limits.maxInMemoryBytes, reason: "memory" },
  ];
  return candidates.reduce((a, b) => (b.max < a.max ? b : a));
}

/** Thrown when output would pass the cap. */
export class OutputCapError extends Error {
  readonly cap: OutputCap;
  constructor(cap: OutputCap) {
    super(`decompressed output passes ${cap.max} bytes (${cap.reason} limit)`);
    this.cap = cap;
  }
}

/** The finding for a member or stream whose output hit the cap. */
export function capFinding(cap: OutputCap, compressedSize: number, what: string): Finding {
  if (cap.reason === "ratio") {
    return finding(
      "ARCHIVE_BOMB",
      "unscannable",
      `${what} decompresses to more than ${cap.max} bytes from ${compressedSize}: a decompression bomb; not scanned.`,
      { expected: cap.max },
    );
  }
  return finding(
    "BUDGET_EXCEEDED",
    "unscannable",
    `${what} decompresses past the ${cap.reason === "budget" ? "decompression budget" : "in-memory limit"} (${cap.max} bytes); not scanned.`,
    { expected: cap.max },
  );
}

export type ZlibKind = "raw" | "zlib" | "gzip";

/** Inflates deflate/zlib/gzip data; throws OutputCapError past the cap, ScanError on corrupt data. */
export function inflateCapped(kind: ZlibKind, input: Uint8Array, cap: OutputCap): Uint8Array {
  const options = { maxOutputLength: Math.max(1, cap.max) };
  try {
    if (kind === "raw") return inflateRawSync(input, options);
    if (kind === "zlib") return inflateSync(input, options);
    return gunzipSync(input, options);
  } catch (error) {
    if (error instanceof RangeError || (error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
      throw new OutputCapError(cap);
    throw new ScanError("SCAN_FORMAT", `${kind} data is corrupt: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

class CappedSink {
  buffer = new Uint8Array(64 * 1024);
  pos = 0;
  constructor(private readonly cap: OutputCap) {}
  writeByte(byte: number): void {
    if (this.pos >= this.buffer.length) {
      if (this.pos >= this.cap.max) throw new OutputCapError(this.cap);
      const grown = new Uint8Array(Math.min(this.buffer.length * 2, this.cap.max));
      grown.set(this.buffer);
      this.buffer = grown;
    }
    this.buffer[this.pos++] = byte;
  }
}

/** Decompresses bzip2 (all concatenated streams, as Python's bz2 does). */
export function bunzipCapped(input: Uint8Array, cap: OutputCap): Uint8Array {
  const sink = new CappedSink(cap);
  try {
    Bunzip.decode(Buffer.from(input.buffer, input.byteOffset, input.byteLength), sink, true);
  } catch (error) {
    if (error instanceof OutputCapError) throw error;
    throw new ScanError("SCAN_FORMAT", `bzip2 data is corrupt: ${describe(error)}`, {
      cause: error,
    });
  }
  return sink.buffer.subarray(0, sink.pos);
}

/** Decompresses xz, reading the output stream only up to the cap. */
export async function unxzCapped(input: Uint8Array, cap: OutputCap): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const stream = new XzReadableStream(new Blob([input]).stream());
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > cap.max) {
        await reader.cancel().catch(() => undefined);
        throw new OutputCapError(cap);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof OutputCapError) throw error;
    throw new ScanError("SCAN_FORMAT", `xz data is corrupt: ${describe(error)}`, { cause: error });
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "object" && error !== null && "message" in error)
    return String((error as { message: unknown }).message);
  return String(error);
}
