/**
 * The official client's download lock (`.locks/<repo folder>/<blob id>.lock`, a flock taken by
 * huggingface_hub through `filelock`) is seen through /proc/locks and waited for: a real flock,
 * held by a real `flock(1)` child process. Linux only (skipped where /proc/locks or flock(1) is
 * missing).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { pullModels } from "../../src/app/pull.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { HubClient } from "../../src/io/hub.js";
import { hubLockPath, isFlockHeld } from "../../src/io/hub-lock.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { readOrgAllowlist } from "../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { tempDir } from "../helpers/run-cli.js";

const TINY = "google-bert/fixture-tiny-bert";
const usable = existsSync("/proc/locks") && spawnSync("flock", ["--version"]).status === 0;

/** A child holding an exclusive flock on `path` until `script` (sh) ends; resolves once it holds it. */
function holdFlock(path: string, script: string): Promise<ChildProcess> {
  mkdirSync(dirname(path), { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn("flock", ["-x", path, "sh", "-c", `echo locked; ${script}`], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    child.on("error", reject);
    child.stdout?.once("data", () => resolve(child));
  });
}

describe("huggingface_hub's download lock", { skip: !usable }, () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
  });
  afterEach(() => dir?.cleanup());

  test("a flock held by another process is seen in /proc/locks, and its release too", async () => {
    dir = tempDir();
    const lock = join(dir.path, "x.lock");
    writeFileSync(lock, "");
    assert.equal(isFlockHeld(lock), false);
    const child = await holdFlock(lock, "sleep 1");
    const exited = new Promise((r) => child.once("exit", r));
    assert.equal(isFlockHeld(lock), true);
    assert.equal(isFlockHeld(join(dir.path, "missing.lock")), undefined);
    await exited;
    assert.equal(isFlockHeld(lock), false);
  });

  test("pull waits while the official client holds a blob's lock, then reuses the blob it finished", async () => {
    dir = tempDir();
    const cache = new RepoCache(dir.path, TINY);
    const f = hub.file(TINY, "main", "model.safetensors");
    const lock = hubLockPath(cache, f.sha256);
    assert.equal(
      lock,
      join(dir.path, ".locks", "models--google-bert--fixture-tiny-bert", `${f.sha256}.lock`),
    );
    mkdirSync(cache.blobsDir, { recursive: true });
    const source = join(dir.path, "finished-by-the-other-client");
    writeFileSync(source, f.bytes);
    // The other client: holds the lock, writes its own partial file, renames it, lets go.
    const incomplete = `${cache.blobPath(f.sha256)}.incomplete`;
    await holdFlock(
      lock,
      `sleep 1; cp '${source}' '${incomplete}'; mv '${incomplete}' '${cache.blobPath(f.sha256)}'`,
    );
    const client = new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: async () => {} });
    const before = hub.requests.length;
    const [model] = await pullModels({
      client,
      cacheDir: dir.path,
      models: [{ repo: TINY, ref: undefined, include: [], exclude: [] }],
      policy: {
        scan: loadScanPolicy(),
        organizations: readOrgAllowlist(),
        project: { organizations: { add: [], remove: [] }, repos: { allow: [], deny: [] } },
        acceptedFindings: [],
      },
      today: "2026-11-22",
    });
    assert.equal(model?.verdict, "clean");
    const fetched = hub.requests.slice(before).filter((r) => r.path.includes("model.safetensors"));
    assert.deepEqual(fetched, [], "the blob the other client finished was not downloaded again");
    assert.ok(readFileSync(cache.blobPath(f.sha256)).equals(f.bytes));
    assert.deepEqual(
      readdirSync(cache.blobsDir).filter((b) => b.endsWith(".incomplete")),
      [],
    );
    assert.ok(existsSync(lock), "modelvet leaves .locks/ alone");
  });
});
