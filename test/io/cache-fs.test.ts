/**
 * The filesystem edge of the cache: every errno a cache operation meets becomes a CacheError
 * (exit 2) with its own message, and folders are never made or trusted through a link.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { EXIT, exitCodeForError } from "../../src/cli/exit-codes.js";
import { CacheError, cacheFsError, ensureCacheDir, isRealCacheDir } from "../../src/io/cache-fs.js";
import { verifyCachedBlob } from "../../src/io/download.js";
import { openFileSource } from "../../src/io/files.js";
import { tempDir } from "../helpers/run-cli.js";

const errnoError = (code: string) => Object.assign(new Error(`${code}: boom`), { code });

describe("cache filesystem errors", () => {
  test("each errno has its own message, and every one is exit 2", () => {
    const cases: [string, RegExp][] = [
      ["ENOSPC", /No space left/],
      ["EDQUOT", /No space left/],
      ["EFBIG", /larger than this process may write/],
      ["EROFS", /read-only filesystem/],
      ["EACCES", /Permission denied/],
      ["EPERM", /Permission denied/],
      ["ENAMETOOLONG", /too long for the filesystem/],
      ["ENOTDIR", /A file stands where the cache needs a folder/],
      ["EISDIR", /A folder stands where the cache needs a file/],
      ["ELOOP", /symbolic link stands where/],
      ["EMFILE", /Too many open files/],
      ["EIO", /input\/output error/],
      ["EWHATEVER", /Cannot finish writing \/x: EWHATEVER: boom/],
    ];
    const messages = new Set<string>();
    for (const [code, pattern] of cases) {
      const e = cacheFsError(errnoError(code), "writing", "/x");
      assert.ok(e instanceof CacheError, code);
      assert.equal(exitCodeForError(e), EXIT.USAGE, code);
      assert.match(e.message, pattern, code);
      assert.equal((e.cause as Error).message, `${code}: boom`);
      messages.add(e.message);
    }
    assert.ok(messages.size >= 11, "distinct messages");
    const long = cacheFsError(errnoError("ENAMETOOLONG"), "linking", `/c/${"d/".repeat(1500)}x`);
    assert.ok(long.message.length < 600, "a 3,000-byte path is shortened in the message");
  });

  test("ensureCacheDir makes folders one level at a time and refuses a link or a file on the way", () => {
    const dir = tempDir();
    const outside = tempDir("modelvet-outside-");
    try {
      ensureCacheDir(dir.path, join(dir.path, "a", "b", "c"));
      assert.equal(isRealCacheDir(dir.path, join(dir.path, "a", "b", "c")), true);
      assert.equal(isRealCacheDir(dir.path, join(dir.path, "a", "x")), false);
      symlinkSync(outside.path, join(dir.path, "a", "link"));
      assert.throws(
        () => ensureCacheDir(dir.path, join(dir.path, "a", "link", "inner")),
        (e: unknown) => e instanceof CacheError && /symbolic link/.test(e.message),
      );
      assert.deepEqual(readdirSync(outside.path), [], "nothing made through the link");
      writeFileSync(join(dir.path, "a", "file"), "");
      assert.throws(
        () => ensureCacheDir(dir.path, join(dir.path, "a", "file", "inner")),
        (e: unknown) => e instanceof CacheError && /is a file, not a folder/.test(e.message),
      );
      assert.throws(() => ensureCacheDir(dir.path, outside.path), /outside the cache/);
    } finally {
      dir.cleanup();
      outside.cleanup();
    }
  });

  test("a blob that is a link or a folder is never hashed as a verified blob", async () => {
    const dir = tempDir();
    try {
      const target = join(dir.path, "target");
      writeFileSync(target, "{}");
      const link = join(dir.path, "link");
      symlinkSync(target, link);
      const folder = join(dir.path, "folder");
      mkdirSync(folder);
      const expected = { size: 2, gitOid: "9e26dfeeb6e641a33dae4961196235bdb965b21b" };
      assert.deepEqual(await verifyCachedBlob("x.json", target, expected), {
        sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
      });
      for (const path of [link, folder, join(dir.path, "missing")]) {
        const result = await verifyCachedBlob("x.json", path, expected);
        assert.equal("code" in result && result.code, "CACHE_CORRUPT", path);
      }
    } finally {
      dir.cleanup();
    }
  });

  test("scanners open a blob with no-follow: a link or a FIFO swapped in is refused, never followed or waited on", () => {
    const dir = tempDir();
    try {
      const target = join(dir.path, "target");
      writeFileSync(target, "{}");
      const source = openFileSource(target);
      assert.equal(source.read(0, 10).toString(), "{}");
      source.close();
      const link = join(dir.path, "link");
      symlinkSync(target, link);
      assert.throws(() => openFileSource(link), /Cannot open/);
      const fifo = join(dir.path, "fifo");
      if (spawnSync("mkfifo", [fifo]).status === 0)
        assert.throws(() => openFileSource(fifo), /named pipe/);
    } finally {
      dir.cleanup();
    }
  });
});
