/**
 * Hashing on every core (io/hash-pool.ts): the workers give the digests node:crypto gives, and
 * verifyCachedBlob decides the same with or without the pool.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { verifyCachedBlob } from "../../src/io/download.js";
import { HashPool } from "../../src/io/hash-pool.js";
import { tempDir } from "../helpers/run-cli.js";

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const gitSha1 = (b: Uint8Array) =>
  createHash("sha1").update(`blob ${b.length}\0`).update(b).digest("hex");

// Sizes around the 4 MiB read buffer, and the empty file.
const SIZES = [0, 1, 4096, (4 << 20) - 1, 4 << 20, (4 << 20) + 7, 9 << 20];

test("pool digests equal node:crypto's sha256 and git blob sha1", async () => {
  const dir = tempDir();
  const pool = new HashPool({ threads: 2, minBytes: 0 });
  try {
    const files = SIZES.map((size, i) => {
      const bytes = randomBytes(size);
      const path = join(dir.path, `f${i}`);
      writeFileSync(path, bytes);
      return { path, bytes };
    });
    const got = await Promise.all(
      files.map((f) =>
        pool.digest({ path: f.path, limit: f.bytes.length, gitBlobSize: f.bytes.length }),
      ),
    );
    for (const [i, f] of files.entries()) {
      assert.equal(got[i]!.bytes, f.bytes.length);
      assert.equal(got[i]!.sha256, sha256(f.bytes));
      assert.equal(got[i]!.gitSha1, gitSha1(f.bytes));
    }
    const lfs = await pool.digest({ path: files[6]!.path, limit: 9 << 20 });
    assert.equal(lfs.gitSha1, undefined, "no git id asked, none computed");
    assert.equal(lfs.sha256, sha256(files[6]!.bytes));
    const prefix = await pool.digest({ path: files[6]!.path, limit: 5 << 20 });
    assert.equal(prefix.sha256, sha256(files[6]!.bytes.subarray(0, 5 << 20)));
  } finally {
    await pool.close();
    dir.cleanup();
  }
});

test("verifyCachedBlob decides the same through the pool: match, lfs mismatch, git mismatch", async () => {
  const dir = tempDir();
  const pool = new HashPool({ threads: 2, minBytes: 0 });
  try {
    const bytes = randomBytes((2 << 20) + 5);
    const path = join(dir.path, "blob");
    writeFileSync(path, bytes);
    const cases = [
      { size: bytes.length, gitOid: "", lfsSha256: sha256(bytes) },
      { size: bytes.length, gitOid: gitSha1(bytes) },
      { size: bytes.length, gitOid: "", lfsSha256: "0".repeat(64) },
      { size: bytes.length, gitOid: "1".repeat(40) },
      { size: bytes.length + 1, gitOid: gitSha1(bytes) },
    ];
    for (const expected of cases) {
      const inline = await verifyCachedBlob("x.bin", path, expected);
      const pooled = await verifyCachedBlob("x.bin", path, expected, pool);
      assert.deepEqual(pooled, inline);
    }
    assert.deepEqual(await verifyCachedBlob("x.bin", path, cases[0]!, pool), {
      sha256: sha256(bytes),
    });
    const mismatch = await verifyCachedBlob("x.bin", path, cases[3]!, pool);
    assert.ok("code" in mismatch && mismatch.code === "DIGEST_MISMATCH");
  } finally {
    await pool.close();
    dir.cleanup();
  }
});
