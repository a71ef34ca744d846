/**
 * The built CLI with caches shared with the official client (issue #15, items 2 and 4):
 * `HF_HUB_OFFLINE=1 modelvet pull` installs models.lock from the cache without one request to the
 * fixture Hub, and fails closed (exit 3) when a locked file is not cached; files never fetched are
 * a note for `ci --offline` and `verify-cache` (exit 0) unless `--require-complete` (exit 9 / 1).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import { parseLockfile } from "../../src/core/lockfile.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { hubEnv, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const TINY = "google-bert/fixture-tiny-bert";

describe("offline install and partial caches, through the CLI", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;

  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
  });
  beforeEach(() => {
    dir = tempDir();
    env = hubEnv(hub.url, dir.path);
  });
  afterEach(() => dir.cleanup());

  const cli = (...args: string[]) => runCliInProcess(args, { cwd: dir.path, env });
  const commit = () =>
    parseLockfile(readFileSync(join(dir.path, "models.lock"), "utf8")).models[TINY]!.revision;

  test("HF_HUB_OFFLINE=1 pull installs from the cache with zero requests; an empty cache exits 3", async () => {
    assert.equal((await cli("add", TINY, "--quiet")).code, 0);
    const cache = new RepoCache(env.HF_HUB_CACHE!, TINY);
    rmSync(join(cache.repoDir, "snapshots"), { recursive: true });
    rmSync(join(cache.repoDir, "refs"), { recursive: true });
    env.HF_HUB_OFFLINE = "1";
    const before = hub.requests.length;
    const ok = await cli("pull", "--quiet");
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /offline: from the cache alone/);
    assert.equal(readFileSync(join(cache.repoDir, "refs", "main"), "utf8"), commit());
    assert.ok(existsSync(join(cache.snapshotDir(commit()), "model.safetensors")));

    env.HF_HUB_CACHE = join(dir.path, "empty-cache");
    const empty = await cli("pull", "--quiet");
    assert.equal(empty.code, 3, empty.stdout + empty.stderr);
    assert.match(empty.stdout, /CACHE_MISSING: .*config\.json is not in the cache/);
    assert.match(empty.stdout, /unset HF_HUB_OFFLINE/);
    assert.equal(hub.requests.length, before, "no request reached the fixture Hub");
  });

  test("a file never fetched is a note for ci --offline and verify-cache; --require-complete fails", async () => {
    assert.equal((await cli("add", TINY, "--quiet")).code, 0);
    const cache = new RepoCache(env.HF_HUB_CACHE!, TINY);
    unlinkSync(join(cache.snapshotDir(commit()), "tokenizer_config.json"));

    const ci = await cli("ci", "--offline");
    assert.equal(ci.code, 0, ci.stdout + ci.stderr);
    assert.match(ci.stdout, /not in the cache.*tokenizer_config\.json/);
    const strict = await cli("ci", "--offline", "--require-complete");
    assert.equal(strict.code, 9, strict.stdout + strict.stderr);
    assert.match(strict.stdout, /CACHE_MISSING/);

    const verify = await cli("verify-cache", TINY);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /1 not in the cache/);
    assert.match(verify.stdout, /The cache matches\. 1 file\(s\) were never fetched/);
    const complete = await cli("verify-cache", TINY, "--require-complete");
    assert.equal(complete.code, 1, complete.stdout + complete.stderr);
  });
});
