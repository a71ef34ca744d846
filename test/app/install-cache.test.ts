/**
 * Caches shared with the official client (issue #15, items 1-4): `pull` from models.lock writes
 * refs/ exactly as huggingface_hub does; `HF_HUB_OFFLINE` installs from the cache alone; caches
 * laid out without symlinks (as huggingface_hub writes them with HF_HUB_DISABLE_SYMLINKS=1) verify
 * by their bytes; files never fetched are "not in cache", not corrupt. Real fixture Hub, real
 * files on disk; the symlink-less caches are built by `copySnapshot` below, which follows
 * huggingface_hub's `_create_symlink` fallback (file_download.py): a new blob is moved into
 * snapshots/ (no blob left), an existing one is copied (blob kept).
 */
import assert from "node:assert/strict";
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { runCi } from "../../src/app/ci.js";
import { installFromLock } from "../../src/app/install.js";
import { lockProject } from "../../src/app/lock.js";
import type { PullPolicy } from "../../src/app/pull.js";
import { verifyCache } from "../../src/app/verify-cache.js";
import type { Lockfile } from "../../src/core/lockfile.js";
import { type ProjectFile, parseProjectFile } from "../../src/core/project.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { HubClient } from "../../src/io/hub.js";
import { computePolicyDigest } from "../../src/io/policy-digest.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { readOrgAllowlist } from "../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { tempDir } from "../helpers/run-cli.js";

const TINY = "google-bert/fixture-tiny-bert";
const MULTI = "acme/multi-branch";
const SEMVER = "acme/semver-model";
const SAFE = "acme/tiny-safetensors";
const noSleep = async () => {};
const TODAY = "2026-11-22";

/**
 * Turn a snapshot modelvet wrote (links into blobs/) into the layout huggingface_hub writes when
 * symlinks are off: every entry becomes a regular file holding the bytes; with `moveBlobs` the
 * blob is moved (a "new blob" in `_create_symlink`), else copied (an existing blob).
 */
function copySnapshot(cache: RepoCache, commit: string, moveBlobs: boolean): void {
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      const stat = lstatSync(full);
      if (stat.isDirectory()) walk(full);
      else if (stat.isSymbolicLink()) {
        const blob = join(dir, readlinkSync(full));
        unlinkSync(full);
        if (moveBlobs) renameSync(blob, full);
        else copyFileSync(blob, full);
      }
    }
  };
  walk(cache.snapshotDir(commit));
}

describe("caches shared with the official client", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void } | undefined;
  let client: HubClient;

  before(async () => {
    hub = await startFixtureHub();
    client = new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: noSleep });
  });
  after(async () => {
    await hub.close();
  });
  afterEach(() => {
    dir?.cleanup();
    dir = undefined;
  });

  const policyFor = (project: ProjectFile): PullPolicy => ({
    scan: loadScanPolicy(),
    organizations: readOrgAllowlist(),
    project: project.policy,
    acceptedFindings: project.policy.acceptedFindings,
  });

  /** A project declaring `models`, locked against the fixture Hub into cache `lock-cache`. */
  async function locked(
    models: Record<string, string>,
  ): Promise<{ project: ProjectFile; lock: Lockfile }> {
    dir = tempDir();
    const project = parseProjectFile(
      JSON.stringify({
        models,
        policy: { organizations: { add: [{ name: "acme", reason: "fixture org" }] } },
      }),
    );
    const result = await lockProject({
      client,
      cacheDir: join(dir.path, "lock-cache"),
      project,
      previous: undefined,
      update: "all",
      policy: policyFor(project),
      policyDigest: computePolicyDigest(project.policy),
      today: TODAY,
    });
    assert.equal(result.blocked, false);
    return { project, lock: result.lock };
  }

  const install = (
    state: { project: ProjectFile; lock: Lockfile },
    cacheDir: string,
    online = true,
  ) =>
    installFromLock({
      client: online ? client : undefined,
      cacheDir,
      project: state.project,
      lock: state.lock,
      policy: policyFor(state.project),
      today: TODAY,
    });

  const ci = (state: { project: ProjectFile; lock: Lockfile }, cacheDir: string, more = {}) =>
    runCi({
      client: undefined,
      cacheDir,
      project: state.project,
      lock: state.lock,
      policy: policyFor(state.project),
      policyDigest: computePolicyDigest(state.project.policy),
      today: TODAY,
      download: false,
      offline: true,
      ...more,
    });

  const refsOf = (cacheDir: string, repo: string): Record<string, string> => {
    const root = join(new RepoCache(cacheDir, repo).repoDir, "refs");
    const out: Record<string, string> = {};
    const walk = (d: string, prefix: string) => {
      if (!existsSync(d)) return;
      for (const name of readdirSync(d)) {
        const full = join(d, name);
        if (lstatSync(full).isDirectory()) walk(full, `${prefix}${name}/`);
        else out[`${prefix}${name}`] = readFileSync(full, "utf8");
      }
    };
    walk(root, "");
    return out;
  };

  test("item 1: pull from the lock writes refs/ as huggingface_hub does: default branch, refs/pr/N, tag, short commit", async () => {
    const short = hub.resolve(SAFE, "main").slice(0, 7);
    const state = await locked({
      [TINY]: "HEAD",
      [MULTI]: "refs/pr/1",
      [SEMVER]: "v1.0.0",
      [SAFE]: short,
    });
    assert.equal(state.lock.models[SAFE]?.revision, hub.resolve(SAFE, "main"));
    const cacheDir = join(dir!.path, "fresh");
    const result = await install(state, cacheDir);
    assert.equal(result.status, "installed");
    assert.deepEqual(refsOf(cacheDir, TINY), { main: hub.resolve(TINY, "main") });
    assert.deepEqual(refsOf(cacheDir, MULTI), { "refs/pr/1": hub.resolve(MULTI, "refs/pr/1") });
    assert.deepEqual(refsOf(cacheDir, SEMVER), { "v1.0.0": hub.resolve(SEMVER, "v1.0.0") });
    assert.deepEqual(refsOf(cacheDir, SAFE), { [short]: hub.resolve(SAFE, "main") });
    // `pull org/name@ref` (here through `lock`) writes the same refs as the install from the lock.
    const lockCache = join(dir!.path, "lock-cache");
    assert.deepEqual(refsOf(lockCache, MULTI), { "refs/pr/1": hub.resolve(MULTI, "refs/pr/1") });
    assert.deepEqual(refsOf(lockCache, SAFE), { [short]: hub.resolve(SAFE, "main") });
    // The snapshot folder is the full commit, never the short id.
    const snapshots = readdirSync(join(new RepoCache(cacheDir, SAFE).repoDir, "snapshots"));
    assert.deepEqual(snapshots, [hub.resolve(SAFE, "main")]);
  });

  test("item 1: a lock pinned by full commit writes no ref; a semver range writes the tag it picked", async () => {
    const commit = hub.resolve(SEMVER, "v1.2.0");
    const state = await locked({ [SEMVER]: commit, [MULTI]: "dev" });
    const cacheDir = join(dir!.path, "fresh");
    await install(state, cacheDir);
    assert.deepEqual(refsOf(cacheDir, SEMVER), {});
    assert.deepEqual(refsOf(cacheDir, MULTI), { dev: hub.resolve(MULTI, "dev") });
    const ranged = await locked({ [SEMVER]: "^1.0.0" });
    const rangedCache = join(dir!.path, "ranged");
    await install(ranged, rangedCache);
    assert.deepEqual(refsOf(rangedCache, SEMVER), { "v1.2.3": hub.resolve(SEMVER, "v1.2.3") });
  });

  test("item 2: offline install never contacts the Hub: it links from the cache and writes refs", async () => {
    const state = await locked({ [TINY]: "HEAD" });
    const cacheDir = join(dir!.path, "lock-cache");
    const cache = new RepoCache(cacheDir, TINY);
    const commit = state.lock.models[TINY]!.revision;
    // The snapshot lost its links and refs; the blobs are still there.
    rmSync(join(cache.repoDir, "snapshots"), { recursive: true });
    rmSync(join(cache.repoDir, "refs"), { recursive: true });
    const before = hub.requests.length;
    const result = await install(state, cacheDir, false);
    assert.equal(hub.requests.length, before, "no request reached the Hub");
    assert.equal(result.status, "installed");
    if (result.status !== "installed") return;
    assert.deepEqual(result.models[0]?.absent, []);
    assert.deepEqual(result.models[0]?.withheld, []);
    assert.deepEqual(
      readdirSync(cache.snapshotDir(commit)).sort(),
      Object.keys(state.lock.models[TINY]!.files).sort(),
    );
    assert.ok(lstatSync(join(cache.snapshotDir(commit), "config.json")).isSymbolicLink());
    assert.deepEqual(refsOf(cacheDir, TINY), { main: commit });
  });

  test("item 2: offline install with a locked file missing from the cache fails closed, no request made", async () => {
    const state = await locked({ [TINY]: "HEAD" });
    const before = hub.requests.length;
    const result = await install(state, join(dir!.path, "empty-cache"), false);
    assert.equal(hub.requests.length, before, "no request reached the Hub");
    assert.equal(result.status, "installed");
    if (result.status !== "installed") return;
    assert.deepEqual(result.models[0]?.absent, Object.keys(state.lock.models[TINY]!.files).sort());
  });

  test("item 3: a symlink-less cache (blobs moved or copied) passes ci --offline and verify-cache; other bytes are still caught", async () => {
    for (const moveBlobs of [true, false]) {
      const state = await locked({ [TINY]: "HEAD" });
      const cacheDir = join(dir!.path, "lock-cache");
      const cache = new RepoCache(cacheDir, TINY);
      const commit = state.lock.models[TINY]!.revision;
      copySnapshot(cache, commit, moveBlobs);
      assert.ok(lstatSync(join(cache.snapshotDir(commit), "config.json")).isFile());
      const held = await ci(state, cacheDir);
      assert.deepEqual(held.problems, [], `moveBlobs=${moveBlobs}`);
      const online = await verifyCache({ cacheDir, targets: [{ repo: TINY }], client });
      assert.deepEqual(
        online.flatMap((c) => c.findings),
        [],
      );
      const pins = new Map([[TINY, state.lock.models[TINY]!]]);
      const offline = await verifyCache({ cacheDir, targets: [{ repo: TINY }], pins });
      assert.deepEqual(
        offline.flatMap((c) => c.findings),
        [],
      );
      assert.equal(offline[0]?.checked, Object.keys(state.lock.models[TINY]!.files).length);
      // Without the lock, a copied file has no name to check its bytes against: not clean.
      const blind = await verifyCache({ cacheDir, targets: [{ repo: TINY }] });
      assert.ok(blind.flatMap((c) => c.findings).every((f) => f.verdict === "unscannable"));
      assert.ok(blind.flatMap((c) => c.findings).length > 0);

      writeFileSync(join(cache.snapshotDir(commit), "config.json"), '{"model_type":"evil"}');
      const caught = await ci(state, cacheDir);
      assert.deepEqual(
        caught.problems.map((p) => `${p.class} ${p.finding.code} ${p.path}`),
        ["integrity CACHE_CORRUPT config.json"],
      );
      const wrong = await verifyCache({ cacheDir, targets: [{ repo: TINY }], client });
      assert.deepEqual(
        wrong.flatMap((c) => c.findings.map((f) => f.code)),
        ["CACHE_CORRUPT"],
      );
      dir!.cleanup();
    }
  });

  test("item 3: offline and without a lock, copied files are checked against huggingface_hub's trees/<commit>.json", async () => {
    const state = await locked({ [TINY]: "HEAD" });
    const cacheDir = join(dir!.path, "lock-cache");
    const cache = new RepoCache(cacheDir, TINY);
    const commit = state.lock.models[TINY]!.revision;
    copySnapshot(cache, commit, true);
    // The listing snapshot_download writes beside the snapshots (huggingface_hub _tree_cache.py).
    const files = state.lock.models[TINY]!.files;
    const listing = (edit: (f: Record<string, unknown>) => void = () => {}) => {
      const out: Record<string, Record<string, unknown>> = {};
      for (const [path, f] of Object.entries(files)) {
        out[path] = f.lfs
          ? { size: f.size, blob_id: f.gitOid, lfs_sha256: f.sha256, lfs_size: f.size }
          : { size: f.size, blob_id: f.gitOid };
        edit(out[path]!);
      }
      return JSON.stringify({ format_version: 1, files: out });
    };
    const trees = join(cache.repoDir, "trees");
    mkdirSync(trees, { recursive: true });
    const offline = () => verifyCache({ cacheDir, targets: [{ repo: TINY }] });

    writeFileSync(join(trees, `${commit}.json`), listing());
    const [held] = await offline();
    assert.deepEqual(held?.findings, []);
    assert.equal(held?.checked, Object.keys(files).length);

    // A listing that names other bytes catches the copies: damaged or stale, not clean.
    writeFileSync(
      join(trees, `${commit}.json`),
      listing((f) => {
        f.size = Number(f.size) + 1;
        if (f.lfs_size !== undefined) f.lfs_size = f.size;
      }),
    );
    const [caught] = await offline();
    assert.ok(caught!.findings.length > 0);
    assert.ok(
      caught!.findings.every((f) => f.code === "CACHE_CORRUPT"),
      JSON.stringify(caught),
    );

    // A listing of another shape (or another format version) is ignored, never guessed at.
    for (const bad of [
      "{",
      JSON.stringify({ format_version: 2, files: {} }),
      listing((f) => {
        f.blob_id = "not-hex";
      }),
    ]) {
      writeFileSync(join(trees, `${commit}.json`), bad);
      const [blind] = await offline();
      assert.ok(blind!.findings.length > 0);
      assert.ok(
        blind!.findings.every((f) => f.code === "CACHE_UNVERIFIED"),
        JSON.stringify(blind),
      );
    }
    dir!.cleanup();
  });

  test("item 3: with HF_HUB_DISABLE_SYMLINKS set, modelvet copies into snapshots/ like the official client", async () => {
    process.env.HF_HUB_DISABLE_SYMLINKS = "1";
    try {
      const state = await locked({ [TINY]: "HEAD" });
      const cache = new RepoCache(join(dir!.path, "lock-cache"), TINY);
      const commit = state.lock.models[TINY]!.revision;
      const entry = join(cache.snapshotDir(commit), "config.json");
      assert.ok(lstatSync(entry).isFile(), "a regular file, not a link");
      assert.equal(
        readFileSync(entry, "utf8"),
        hub.file(TINY, "main", "config.json").bytes.toString("utf8"),
      );
      assert.deepEqual((await ci(state, join(dir!.path, "lock-cache"))).problems, []);
    } finally {
      delete process.env.HF_HUB_DISABLE_SYMLINKS;
    }
  });

  test("item 4: files never fetched are 'not in cache', informational; --require-complete makes them fail; wrong bytes still fail", async () => {
    const state = await locked({ [SAFE]: "main" });
    const cacheDir = join(dir!.path, "lock-cache");
    const cache = new RepoCache(cacheDir, SAFE);
    const commit = state.lock.models[SAFE]!.revision;
    // transformers never fetches README.md
    unlinkSync(join(cache.snapshotDir(commit), "README.md"));
    unlinkSync(join(cache.snapshotDir(commit), "onnx", "README.md"));

    const held = await ci(state, cacheDir);
    assert.deepEqual(held.problems, []);
    assert.ok(
      held.notes.some((n) => /not in the cache.*README\.md, onnx\/README\.md/.test(n)),
      held.notes.join("\n"),
    );
    const strict = await ci(state, cacheDir, { requireComplete: true });
    assert.deepEqual(
      strict.problems.map((p) => `${p.class} ${p.finding.code} ${p.path}`),
      ["integrity CACHE_MISSING README.md", "integrity CACHE_MISSING onnx/README.md"],
    );

    // A model with nothing in the cache proves nothing: that fails.
    const cold = await ci(state, join(dir!.path, "cold-cache"));
    assert.deepEqual(
      cold.problems.map((p) => `${p.class} ${p.finding.code} ${p.finding.verdict}`),
      ["integrity CACHE_MISSING unscannable"],
    );

    const [online] = await verifyCache({ cacheDir, targets: [{ repo: SAFE }], client });
    assert.deepEqual(online?.missing, ["README.md", "onnx/README.md"]);
    assert.ok(online?.findings.every((f) => f.verdict === "clean"));
    const [complete] = await verifyCache({
      cacheDir,
      targets: [{ repo: SAFE }],
      client,
      requireComplete: true,
    });
    assert.deepEqual(
      complete?.findings.map((f) => `${f.code} ${f.verdict}`),
      ["CACHE_MISSING unscannable", "CACHE_MISSING unscannable"],
    );
    writeFileSync(
      join(cache.blobsDir, state.lock.models[SAFE]!.files["config.json"]!.gitOid),
      "{}",
    );
    const [bad] = await verifyCache({ cacheDir, targets: [{ repo: SAFE }], client });
    assert.deepEqual(
      bad?.findings.filter((f) => f.verdict !== "clean").map((f) => f.code),
      ["CACHE_CORRUPT"],
    );
  });
});
