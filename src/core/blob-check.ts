/**
 * The pure decision on a downloaded or cached blob: do its bytes match what the tree at the pinned
 * commit promised (and what models.lock pinned)? Size first, then the digest: a SIZE_MISMATCH or
 * DIGEST_MISMATCH finding, or the SHA-256 of good bytes.
 */
import { type Finding, finding } from "./finding.js";

export interface BlobExpectation {
  size: number;
  /** Git blob id from the tree (for LFS files, the pointer's id: informational). */
  gitOid: string;
  /** Present for LFS files: the content's SHA-256 (`lfs.oid`). */
  lfsSha256?: string | undefined;
  /**
   * The SHA-256 a lockfile pinned (models.lock): the bytes must have it too, or they are a
   * DIGEST_MISMATCH and never leave their partial file.
   */
  lockedSha256?: string | undefined;
}

/** What hashing the bytes gave (io/file-digest.ts computes it). */
export interface BlobDigests {
  bytes: number;
  sha256: string;
  gitSha1?: string | undefined;
}

/** Compare what arrived with what the tree promised: size first, then the digest. */
export function evaluateBlob(
  path: string,
  expected: BlobExpectation,
  hashes: BlobDigests,
): { sha256: string } | Finding {
  if (hashes.bytes !== expected.size) {
    return finding(
      "SIZE_MISMATCH",
      "malicious",
      `${path}: the Hub published ${expected.size} bytes, ${hashes.bytes} arrived.`,
      {
        expected: expected.size,
        actual: hashes.bytes,
      },
    );
  }
  const sha256 = hashes.sha256;
  if (expected.lfsSha256 !== undefined && sha256 !== expected.lfsSha256) {
    return finding(
      "DIGEST_MISMATCH",
      "malicious",
      `${path}: the bytes do not match the SHA-256 the Hub published for this commit.`,
      {
        expected: `sha256:${expected.lfsSha256}`,
        actual: `sha256:${sha256}`,
      },
    );
  }
  if (expected.lockedSha256 !== undefined && sha256 !== expected.lockedSha256) {
    return finding(
      "DIGEST_MISMATCH",
      "malicious",
      `${path}: the bytes do not match the SHA-256 models.lock pins.`,
      {
        expected: `sha256:${expected.lockedSha256}`,
        actual: `sha256:${sha256}`,
      },
    );
  }
  if (expected.lfsSha256 === undefined) {
    const gitOid = hashes.gitSha1;
    if (gitOid !== expected.gitOid) {
      return finding(
        "DIGEST_MISMATCH",
        "malicious",
        `${path}: the bytes do not match the git blob id the Hub published for this commit.`,
        {
          expected: `git-sha1:${expected.gitOid}`,
          actual: `git-sha1:${gitOid}`,
        },
      );
    }
  }
  return { sha256 };
}
