/**
 * The built CLI against a cache someone else can write to, and against real filesystem faults:
 * a full disk (a small tmpfs, when this process may mount one), a file-size limit (`ulimit -f`, a
 * real EFBIG in a child process, always available), a read-only filesystem, a folder the user may
 * not write. Exit codes, messages and what is left on disk.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import {
  computeManifestDigest,
  parseLockfile,
  serializeLockfile,
} from "../../src/core/lockfile.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { withHubProject } from "../helpers/hub-project.js";
import { BIN, type CliResult } from "../helpers/run-cli.js";

const TINY = "google-bert/fixture-tiny-bert";
const PICKLE = Buffer.from("cposix\nsystem\n(S'echo pwned'\ntR.", "latin1");

/** Run the CLI through bash, e.g. to set a ulimit first, optionally as another user. */
function runShell(
  prefix: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; uid?: number; gid?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`);
    const child = spawn("bash", ["-c", `${prefix} exec ${quoted.join(" ")}`], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: "1", CI: "true", ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.uid !== undefined ? { uid: options.uid, gid: options.gid ?? options.uid } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Mount a tmpfs of `size` at `where`; false when this process may not mount (not root). */
function mountTmpfs(where: string, size: string, readOnly = false): boolean {
  mkdirSync(where, { recursive: true });
  const opts = `size=${size}${readOnly ? ",ro" : ""}`;
  return spawnSync("mount", ["-t", "tmpfs", "-o", opts, "tmpfs", where]).status === 0;
}
function unmount(where: string): void {
  spawnSync("umount", [where]);
}
const isRoot = process.getuid?.() === 0;

describe("the CLI against a hostile cache and a failing disk", () => {
  const mounts: string[] = [];
  // Registered before the project's hooks so that it runs first: the folder holding the mounts
  // can only be removed once they are gone.
  afterEach(() => {
    for (const m of mounts.splice(0)) unmount(m);
  });
  const p = withHubProject();
  const { cli } = p;
  const cache = () => new RepoCache(p.env.HF_HUB_CACHE!, TINY);
  const partials = () =>
    existsSync(cache().blobsDir)
      ? readdirSync(cache().blobsDir).filter((b) => b.endsWith(".incomplete"))
      : [];
  /** A commit with a 512 KiB file on top of TINY's main. */
  const bigCommit = () =>
    p.hub.pushCommit(TINY, {
      branch: "main",
      message: "big weights",
      files: { "big.safetensors": randomBytes(512 * 1024) },
    });

  test("ci --offline: a link re-pointed at /elsewhere/blobs/<right id> holding a pickle is exit 9, not 'The lock holds'", async () => {
    assert.equal((await cli("add", TINY, "--quiet")).code, 0);
    const f = p.hub.file(TINY, "main", "model.safetensors");
    const link = cache().snapshotPath(p.hub.resolve(TINY, "main"), "model.safetensors");
    const elsewhere = join(p.dir, "elsewhere", "blobs");
    mkdirSync(elsewhere, { recursive: true });
    const pickle = Buffer.alloc(f.size, 0x20);
    PICKLE.copy(pickle);
    writeFileSync(join(elsewhere, f.sha256), pickle);
    unlinkSync(link);
    symlinkSync(join(elsewhere, f.sha256), link);
    const r = await cli("ci", "--offline");
    assert.equal(r.code, 9, r.stdout + r.stderr);
    assert.doesNotMatch(r.stdout, /The lock holds/);
    assert.match(r.stdout, /CACHE_CORRUPT/);
    const v = await cli("verify-cache", "--offline");
    assert.equal(v.code, 1, v.stdout + v.stderr);
    assert.doesNotMatch(v.stdout, /The cache matches/);
    assert.equal(readlinkSync(link), join(elsewhere, f.sha256), "verification changes nothing");
  });

  test("pull from the lock: bytes that match the Hub but not the lock's sha256 are never linked and never kept", async () => {
    assert.equal((await cli("add", TINY, "--quiet")).code, 0);
    const lockPath = join(p.dir, "models.lock");
    const lock = parseLockfile(readFileSync(lockPath, "utf8"));
    const files = lock.models[TINY]!.files;
    files["config.json"]!.sha256 = "0".repeat(64); // same size and git id as the Hub's tree
    lock.models[TINY]!.manifestDigest = computeManifestDigest(files);
    writeFileSync(lockPath, serializeLockfile(lock));
    p.env.HF_HUB_CACHE = join(p.dir, "fresh-cache");
    const r = await cli("pull", "--quiet");
    assert.equal(r.code, 9, r.stdout + r.stderr);
    assert.match(r.stdout, /config\.json/);
    const commit = lock.models[TINY]!.revision;
    const snapshot = cache().snapshotDir(commit);
    assert.ok(!existsSync(join(snapshot, "config.json")), "not linked");
    assert.ok(existsSync(join(snapshot, "model.safetensors")), "the other files are");
    const config = p.hub.file(TINY, "main", "config.json");
    assert.ok(!existsSync(cache().blobPath(config.oid)), "the bytes are not kept in blobs/");
    assert.deepEqual(partials(), []);
  });

  test("a file-size limit (ulimit -f: a real EFBIG) is exit 2 with its own message, and no partial file stays", async () => {
    bigCommit();
    const r = await runShell("trap '' XFSZ; ulimit -f 64;", ["pull", TINY, "--quiet"], {
      cwd: p.dir,
      env: p.env,
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /larger than this process may write/);
    assert.doesNotMatch(r.stderr, /internal error/i);
    assert.deepEqual(partials(), [], "no partial file left to grow");
  });

  test("a full disk (a 256 KiB tmpfs) is exit 2 with its own message, and the space is given back", async (t) => {
    const mount = join(p.dir, "small");
    if (!mountTmpfs(mount, "256k")) {
      t.skip("this process may not mount a tmpfs (not root)");
      return;
    }
    mounts.push(mount);
    p.env.HF_HUB_CACHE = mount;
    bigCommit();
    const r = await cli("pull", TINY, "--quiet");
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /No space left on the disk that holds the cache/);
    assert.doesNotMatch(r.stderr, /internal error/i);
    assert.deepEqual(partials(), [], "no partial file left behind");
  });

  test("a read-only filesystem is exit 2 with its own message", async (t) => {
    const mount = join(p.dir, "ro");
    if (!mountTmpfs(mount, "1m", true)) {
      t.skip("this process may not mount a tmpfs (not root)");
      return;
    }
    mounts.push(mount);
    p.env.HF_HUB_CACHE = join(mount, "hub");
    const r = await cli("pull", TINY, "--quiet");
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /read-only filesystem/);
  });

  test("a cache folder the user may not write is exit 2 with its own message", async (t) => {
    if (!isRoot) {
      t.skip("needs root to run the CLI as another user");
      return;
    }
    const locked = join(p.dir, "locked");
    mkdirSync(locked);
    chmodSync(p.dir, 0o755);
    chmodSync(locked, 0o555);
    p.env.HF_HUB_CACHE = join(locked, "hub");
    p.env.HF_HOME = join(locked, "hf-home");
    const r = await runShell("", ["pull", TINY, "--quiet"], { cwd: "/", env: p.env, uid: 65534 });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /Permission denied/);
    assert.deepEqual(readdirSync(locked), []);
  });

  test("a planted snapshots/<commit> link: pull exits 2 and writes nothing through it", async () => {
    const commit = p.hub.resolve(TINY, "main");
    const elsewhere = join(p.dir, "attacker");
    mkdirSync(elsewhere);
    mkdirSync(join(cache().repoDir, "snapshots"), { recursive: true });
    symlinkSync(elsewhere, cache().snapshotDir(commit));
    const r = await cli("pull", TINY, "--quiet");
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /symbolic link/);
    assert.deepEqual(readdirSync(elsewhere), []);
  });
});
