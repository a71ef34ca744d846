/**
 * Hash (part of) a file: SHA-256 always, and the git blob SHA-1 (`blob <size>\0` + bytes) when
 * asked. Shared by the cache check on this thread and by the hashing workers (io/hash-pool.ts), so
 * both give the same digests by construction.
 */
import { createHash, type Hash } from "node:crypto";
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

export interface FileDigestRequest {
  path: string;
  /** Hash the first `limit` bytes (the whole file when it is that long). */
  limit: number;
  /** Also compute the git blob id, with this size in its `blob <size>\0` header. */
  gitBlobSize?: number | undefined;
  /** Refuse a symbolic link (O_NOFOLLOW) or anything but a regular file where `path` ends. */
  noFollow?: boolean | undefined;
}

export interface FileDigests {
  /** Bytes actually hashed (fewer than `limit` when the file is shorter). */
  bytes: number;
  sha256: string;
  gitSha1?: string | undefined;
}

/** SHA-256 always, and the git blob SHA-1 (`blob <size>\0` + bytes) when asked. */
export class Hashes {
  readonly #sha256: Hash = createHash("sha256");
  readonly #gitSha1: Hash | undefined;
  bytes = 0;
  constructor(gitBlobSize: number | undefined) {
    if (gitBlobSize !== undefined) {
      this.#gitSha1 = createHash("sha1");
      this.#gitSha1.update(`blob ${gitBlobSize}\0`);
    }
  }
  update(chunk: Uint8Array): void {
    this.#sha256.update(chunk);
    this.#gitSha1?.update(chunk);
    this.bytes += chunk.length;
  }
  /** Once only. */
  digests(): FileDigests {
    return {
      bytes: this.bytes,
      sha256: this.#sha256.digest("hex"),
      gitSha1: this.#gitSha1?.digest("hex"),
    };
  }
}

/**
 * Feed the first `limit` bytes of a file (a path, or a handle the caller keeps open) to `hashes`,
 * through one reused buffer.
 */
export async function hashPrefix(
  file: string | FileHandle,
  hashes: Hashes,
  limit: number,
  noFollow = false,
): Promise<void> {
  if (limit === 0) return;
  const handle =
    typeof file === "string"
      ? await open(file, noFollow ? constants.O_RDONLY | constants.O_NOFOLLOW : "r")
      : file;
  try {
    if (noFollow && !(await handle.stat()).isFile()) {
      throw Object.assign(new Error(`${String(file)} is not a regular file`), { code: "EISDIR" });
    }
    const buffer = Buffer.allocUnsafe(Math.min(4 << 20, limit));
    let position = 0;
    while (position < limit) {
      const { bytesRead } = await handle.read(
        buffer,
        0,
        Math.min(buffer.length, limit - position),
        position,
      );
      if (bytesRead === 0) break;
      hashes.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
    }
  } finally {
    if (typeof file === "string") await handle.close();
  }
}

export async function digestFile(request: FileDigestRequest): Promise<FileDigests> {
  const hashes = new Hashes(request.gitBlobSize);
  await hashPrefix(request.path, hashes, request.limit, request.noFollow === true);
  return hashes.digests();
}
