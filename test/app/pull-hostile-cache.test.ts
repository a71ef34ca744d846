/**
 * `pull` into a cache someone else can write to, and against trees the filesystem cannot hold:
 * planted links, planted partial files, two files with one blob, folders where files go. Each
 * test asserts what is on disk afterwards (inside and outside the cache), not only the result.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { type PullOptions, pullModels } from "../../src/app/pull.js";
import { EXIT, exitCodeForError } from "../../src/cli/exit-codes.js";
import { ModelvetError } from "../../src/core/errors.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { HubClient } from "../../src/io/hub.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { readOrgAllowlist } from "../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { tempDir } from "../helpers/run-cli.js";

const TINY = "google-bert/fixture-tiny-bert";
const noSleep = async () => {};
/** A pickle that would run `echo` when loaded: structurally real, harmless. */
const PICKLE = Buffer.from("cposix\nsystem\n(S'echo pwned'\ntR.", "latin1");

/** A typed cache error (exit 2) whose message matches. */
function cacheError(pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ModelvetError, `a typed error, got ${String(e)}`);
    assert.equal(e.code, "CACHE", e.message);
    assert.equal(exitCodeForError(e), EXIT.USAGE);
    assert.match(e.message, pattern);
    return true;
  };
}

describe("pull into a hostile cache", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  let outside: { path: string; cleanup: () => void };
  const scanPolicy = loadScanPolicy();
  const organizations = readOrgAllowlist();

  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
  });
  afterEach(() => {
    hub.resetKnobs();
    hub.resetRepos();
    dir?.cleanup();
    outside?.cleanup();
  });

  function options(overrides: Partial<PullOptions> = {}): PullOptions {
    dir = tempDir();
    outside = tempDir("modelvet-outside-");
    return {
      client: new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: noSleep }),
      cacheDir: dir.path,
      models: [{ repo: TINY, ref: undefined, include: [], exclude: [] }],
      policy: {
        scan: scanPolicy,
        organizations,
        project: { organizations: { add: [], remove: [] }, repos: { allow: [], deny: [] } },
        acceptedFindings: [],
      },
      today: "2026-11-22",
      ...overrides,
    };
  }
  const cache = () => new RepoCache(dir.path, TINY);
  const blobs = () => (existsSync(cache().blobsDir) ? readdirSync(cache().blobsDir).sort() : []);

  test("a snapshots/<commit> folder planted as a symlink is refused: nothing is written through it", async () => {
    const opts = options();
    const commit = hub.resolve(TINY, "main");
    mkdirSync(join(cache().repoDir, "snapshots"), { recursive: true });
    symlinkSync(outside.path, cache().snapshotDir(commit));
    await assert.rejects(pullModels(opts), cacheError(/snapshots.*symbolic link/));
    assert.deepEqual(readdirSync(outside.path), [], "the attacker's folder stays empty");
    assert.equal(readlinkSync(cache().snapshotDir(commit)), outside.path);
  });

  test("a blobs/ folder planted as a symlink is refused before any byte is written", async () => {
    const opts = options();
    mkdirSync(cache().repoDir, { recursive: true });
    symlinkSync(outside.path, cache().blobsDir);
    await assert.rejects(pullModels(opts), cacheError(/blobs.*symbolic link/));
    assert.deepEqual(readdirSync(outside.path), []);
  });

  test("a planted .incomplete symlink is never opened: the file it points at is untouched", async () => {
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    const victim = join(outside.path, "victim.txt");
    writeFileSync(victim, "precious bytes outside the cache\n");
    mkdirSync(cache().blobsDir, { recursive: true });
    const planted = join(cache().blobsDir, `${f.sha256}.deadbeef.incomplete`);
    symlinkSync(victim, planted);
    const [model] = await pullModels(opts);
    assert.equal(model?.verdict, "clean");
    assert.equal(readFileSync(victim, "utf8"), "precious bytes outside the cache\n");
    assert.ok(lstatSync(planted).isSymbolicLink(), "someone else's file is left as it was");
    assert.ok(readFileSync(cache().blobPath(f.sha256)).equals(f.bytes));
  });

  test("a partial file this run did not create (the official client's name) is neither adopted nor touched", async () => {
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    mkdirSync(cache().blobsDir, { recursive: true });
    // What huggingface_hub would be writing right now, or what an attacker planted.
    const theirs = join(cache().blobsDir, `${f.sha256}.0badcafe.incomplete`);
    const plain = join(cache().blobsDir, `${f.sha256}.incomplete`);
    writeFileSync(theirs, f.bytes.subarray(0, 100));
    writeFileSync(plain, PICKLE);
    const before = hub.requests.length;
    const [model] = await pullModels(opts);
    assert.equal(model?.verdict, "clean");
    const ranges = hub.requests.slice(before).map((r) => r.headers.range);
    assert.ok(
      ranges.every((r) => r === undefined),
      `no resume from a foreign file: ${ranges}`,
    );
    assert.ok(readFileSync(theirs).equals(f.bytes.subarray(0, 100)), "their partial file is kept");
    assert.ok(readFileSync(plain).equals(PICKLE), "their partial file is kept");
    assert.ok(readFileSync(cache().blobPath(f.sha256)).equals(f.bytes));
    assert.deepEqual(
      blobs().filter((b) => b.includes("modelvet")),
      [],
      "modelvet's own partial files are gone",
    );
  });

  test("a complete, wrong partial file planted under the official name never reaches blobs/", async () => {
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    mkdirSync(cache().blobsDir, { recursive: true });
    const wrong = Buffer.alloc(f.size, 0x41);
    PICKLE.copy(wrong);
    writeFileSync(join(cache().blobsDir, `${f.sha256}.12345678.incomplete`), wrong);
    const [model] = await pullModels(opts);
    assert.equal(model?.verdict, "clean");
    assert.ok(readFileSync(cache().blobPath(f.sha256)).equals(f.bytes));
  });

  test("a blobs/<id> planted as a symlink to outside bytes is replaced by a verified file", async () => {
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    const copy = join(outside.path, "copy");
    writeFileSync(copy, f.bytes); // right bytes today, the attacker's to change tomorrow
    mkdirSync(cache().blobsDir, { recursive: true });
    symlinkSync(copy, cache().blobPath(f.sha256));
    const [model] = await pullModels(opts);
    assert.equal(model?.verdict, "clean");
    const blob = cache().blobPath(f.sha256);
    assert.ok(lstatSync(blob).isFile(), "a regular file inside the cache, not a link out of it");
    assert.ok(readFileSync(blob).equals(f.bytes));
    assert.ok(readFileSync(copy).equals(f.bytes), "the outside file is not written");
  });

  test("two files with one blob id share one download: both linked, one verified blob, nothing partial", async () => {
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    const commit = hub.pushCommit(TINY, {
      branch: "main",
      message: "duplicate weights",
      files: { "copy/model.safetensors": f.bytes, "copy2/model.safetensors": f.bytes },
    });
    const [model] = await pullModels(opts);
    assert.equal(model?.commit, commit);
    assert.equal(model?.verdict, "clean", JSON.stringify(model?.files.map((x) => x.scan)));
    for (const path of ["model.safetensors", "copy/model.safetensors", "copy2/model.safetensors"]) {
      const link = cache().snapshotPath(commit, path);
      assert.equal(realpathSync(link), realpathSync(cache().blobPath(f.sha256)));
      assert.ok(readFileSync(link).equals(f.bytes));
    }
    assert.deepEqual(
      blobs().filter((b) => b.startsWith(f.sha256)),
      [f.sha256],
    );
  });

  test("two files with one blob id against a Hub serving a pickle for one: only verified bytes are linked", async () => {
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    const commit = hub.pushCommit(TINY, {
      branch: "main",
      message: "duplicate weights",
      files: { "copy/model.safetensors": f.bytes },
    });
    const evil = Buffer.alloc(f.size, 0x20);
    PICKLE.copy(evil);
    hub.tamper(TINY, "copy/model.safetensors", evil);
    const [model] = await pullModels(opts);
    assert.equal(model?.commit, commit);
    for (const file of model?.files ?? []) {
      if (file.status !== "linked" || !file.path.endsWith("model.safetensors")) continue;
      const bytes = readFileSync(cache().snapshotPath(commit, file.path));
      assert.ok(bytes.equals(f.bytes), `${file.path} links to the published bytes only`);
    }
    for (const name of blobs())
      assert.ok(
        !readFileSync(join(cache().blobsDir, name)).equals(evil),
        `the pickle is nowhere in blobs/ (${name})`,
      );
  });
});

describe("pull: filesystem faults are typed errors with their own message", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  const scanPolicy = loadScanPolicy();
  const organizations = readOrgAllowlist();

  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
  });
  afterEach(() => {
    hub.resetKnobs();
    hub.resetRepos();
    dir?.cleanup();
  });

  function options(): PullOptions {
    dir = tempDir();
    return {
      client: new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: noSleep }),
      cacheDir: dir.path,
      models: [{ repo: TINY, ref: undefined, include: [], exclude: [] }],
      policy: {
        scan: scanPolicy,
        organizations,
        project: { organizations: { add: [], remove: [] }, repos: { allow: [], deny: [] } },
        acceptedFindings: [],
      },
      today: "2026-11-22",
    };
  }
  const cache = () => new RepoCache(dir.path, TINY);

  test("a folder where a blob should be", async () => {
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    mkdirSync(join(cache().blobPath(f.sha256), "inside"), { recursive: true });
    await assert.rejects(pullModels(opts), cacheError(/is a folder, not a file/));
    assert.ok(lstatSync(cache().blobPath(f.sha256)).isDirectory(), "the folder is not removed");
    assert.deepEqual(
      readdirSync(cache().blobsDir).filter((b) => b.endsWith(".incomplete")),
      [],
    );
  });

  test("a tree listing a file and a folder of the same name", () => {
    // The fixture Hub (like git) cannot hold such a tree, so the check pull runs on every tree
    // before downloading is called directly; linkSnapshot refuses it too (test/io/cache-store).
    dir = tempDir();
    const commit = "a".repeat(40);
    assert.throws(
      () => cache().checkTreeFits(commit, ["weights", "config.json", "weights/a.json"]),
      cacheError(/"weights" as both a file and a folder/),
    );
    assert.doesNotThrow(() => cache().checkTreeFits(commit, ["weights/a.json", "weights/b.json"]));
  });

  test("a 300-byte path component", async () => {
    const opts = options();
    hub.pushCommit(TINY, {
      branch: "main",
      message: "long name",
      files: { [`${"a".repeat(300)}.json`]: "{}\n" },
    });
    await assert.rejects(pullModels(opts), cacheError(/255 bytes/));
  });

  test("1,500 levels of folders", async () => {
    const opts = options();
    hub.pushCommit(TINY, {
      branch: "main",
      message: "deep",
      files: { [`${"d/".repeat(1500)}x.json`]: "{}\n" },
    });
    await assert.rejects(pullModels(opts), cacheError(/too long|too deep/));
  });
});
