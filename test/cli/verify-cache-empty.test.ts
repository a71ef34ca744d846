/**
 * `modelvet verify-cache` with nothing to check must not read as a pass: a cache folder that does
 * not exist (a typo in --cache-dir or HF_HUB_CACHE in a CI step) is a usage error, and an empty
 * cache says that nothing was verified instead of "The cache matches".
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

test("a cache folder that does not exist is exit 2 naming it, online and offline, never 'matches'", async () => {
  const dir = tempDir();
  try {
    const missing = join(dir.path, "no-such-cache");
    for (const args of [["--offline"], []]) {
      const r = await runCliInProcess(["verify-cache", ...args, "--cache-dir", missing], {
        env: { HF_ENDPOINT: "http://127.0.0.1:9", HF_TOKEN: "", HF_HOME: join(dir.path, "home") },
      });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /no-such-cache/);
      assert.match(r.stderr, /no huggingface_hub cache/i);
      assert.doesNotMatch(r.stdout, /matches/);
    }
    const file = join(dir.path, "a-file");
    writeFileSync(file, "x");
    const notDir = await runCliInProcess(["verify-cache", "--offline", "--cache-dir", file]);
    assert.equal(notDir.code, 2, notDir.stdout + notDir.stderr);
  } finally {
    dir.cleanup();
  }
});

test("an empty cache: exit 0, and it says nothing was verified", async () => {
  const dir = tempDir();
  try {
    const cache = join(dir.path, "cache");
    mkdirSync(cache);
    const r = await runCliInProcess(["verify-cache", "--offline", "--cache-dir", cache]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Nothing in the cache to verify\./);
    assert.doesNotMatch(r.stdout, /The cache matches/);
  } finally {
    dir.cleanup();
  }
});
