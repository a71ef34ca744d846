/**
 * Hash (part of) a file: SHA-256 always, and the git blob SHA-1 (`blob <size>\0` + bytes) when
 * asked. Shared by the cache check on this thread and by the hashing workers (io/hash-pool.ts), so
 * both give the same digests by construction.
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";

export interface FileDigestRequest {
  path: string;
  /** Hash the first `limit` bytes (the whole file when it is that long). */
  limit: number;
  /** Also compute the git blob id, with this size in its `blob <size>\0` header. */
  gitBlobSize?: number | undefined;
}

export interface FileDigests {
  /** Bytes actually hashed (fewer than `limit` when the file is shorter). */
  bytes: number;
  sha256: string;
  gitSha1?: string | undefined;
}

/** Read through one reused buffer (no allocation per chunk). */
export async function digestFile(request: FileDigestRequest): Promise<FileDigests> {
  const sha256 = createHash("sha256");
  const gitSha1 = request.gitBlobSize === undefined ? undefined : createHash("sha1");
  gitSha1?.update(`blob ${request.gitBlobSize}\0`);
  let position = 0;
  if (request.limit > 0) {
    const handle = await open(request.path, "r");
    try {
      const buffer = Buffer.allocUnsafe(Math.min(4 << 20, request.limit));
      while (position < request.limit) {
        const { bytesRead } = await handle.read(
          buffer,
          0,
          Math.min(buffer.length, request.limit - position),
          position,
        );
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        sha256.update(chunk);
        gitSha1?.update(chunk);
        position += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return { bytes: position, sha256: sha256.digest("hex"), gitSha1: gitSha1?.digest("hex") };
}
