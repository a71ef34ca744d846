/** A blob already in the cache: re-hashed against its expectation, or removed. */

import { rmSync } from "node:fs";
import { type BlobExpectation, evaluateBlob } from "../core/blob-check.js";
import { type Finding, finding } from "../core/finding.js";
import { cacheFsError, lstatOrUndefined } from "./cache-fs.js";
import { digestFile } from "./file-digest.js";
import type { FileHasher } from "./hash-pool.js";

/**
 * Re-hash a blob that is already in the cache; a corrupt one is removed and downloaded again.
 * With a `hasher` (io/hash-pool.ts) the bytes are hashed there, so callers can check several
 * blobs at once on every core; the digests are the same.
 */
export async function verifyCachedBlob(
  path: string,
  blobPath: string,
  expected: BlobExpectation,
  hasher?: FileHasher,
): Promise<{ sha256: string } | Finding> {
  const stat = lstatOrUndefined(blobPath);
  if (stat === undefined || !stat.isFile()) {
    return finding(
      "CACHE_CORRUPT",
      "malicious",
      `${path}: ${blobPath} is ${stat === undefined ? "missing" : stat.isSymbolicLink() ? "a symbolic link" : "not a regular file"}, not a verified blob.`,
    );
  }
  const size = stat.size;
  if (size !== expected.size) {
    return evaluateBlob(path, expected, { bytes: size, sha256: "", gitSha1: undefined });
  }
  const request = {
    path: blobPath,
    limit: size,
    gitBlobSize: expected.lfsSha256 === undefined ? expected.size : undefined,
    noFollow: true,
  };
  const digests = await (hasher ?? { digest: digestFile }).digest(request);
  return evaluateBlob(path, expected, digests);
}

/** Remove a blob (a link there is removed, never its target); failures are typed. */
export function removeBlob(blobPath: string): void {
  try {
    rmSync(blobPath, { force: true });
  } catch (error) {
    throw cacheFsError(error, "removing", blobPath);
  }
}
