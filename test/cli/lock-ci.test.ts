/**
 * add → lock → ci → pull, end to end: the built CLI against the fixture Hub, one test per failure
 * class of `ci` and per kind of lockfile tampering. Exit codes, outputs and files on disk.
 */
import assert from "node:assert/strict";
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  computeManifestDigest,
  type Lockfile,
  parseLockfile,
  serializeLockfile,
} from "../../src/core/lockfile.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { withHubProject } from "../helpers/hub-project.js";
import { hubEnv, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const TINY = "google-bert/fixture-tiny-bert";

describe("add, lock, ci and pull against the fixture Hub", () => {
  const p = withHubProject();
  const { cli } = p;
  const readLock = () => parseLockfile(readFileSync(join(p.dir, "models.lock"), "utf8"));
  const writeLock = (lock: Lockfile) =>
    writeFileSync(join(p.dir, "models.lock"), serializeLockfile(lock));
  const writeProject = (project: unknown) =>
    writeFileSync(join(p.dir, "modelvet.json"), `${JSON.stringify(project, null, 2)}\n`);
  const ACME = { organizations: { add: [{ name: "acme", reason: "fixture organization" }] } };

  // What `add TINY` leaves (modelvet.json, models.lock and the cache), made once against the
  // fresh Hub: the tests that start from there copy it rather than run the CLI again each (the
  // first test checks add itself). The cache's links are relative, so the copy is whole.
  let added: { path: string; cleanup: () => void } | undefined;
  before(async () => {
    added = tempDir();
    const env = hubEnv(p.hub.url, added.path);
    const add = await runCliInProcess(["add", TINY, "--quiet"], { cwd: added.path, env });
    assert.equal(add.code, 0, add.stdout + add.stderr);
  });
  after(() => added?.cleanup());
  const startAdded = () => cpSync(added!.path, p.dir, { recursive: true, verbatimSymlinks: true });

  test("add writes modelvet.json and models.lock; ci, ci --offline and ci --download hold; pull installs from the lock", async () => {
    const add = await cli("add", TINY, "--quiet");
    assert.equal(add.code, 0, add.stdout + add.stderr);
    assert.match(add.stdout, /\+ google-bert\/fixture-tiny-bert @ [0-9a-f]{12}/);
    const project = JSON.parse(readFileSync(join(p.dir, "modelvet.json"), "utf8")) as {
      models: Record<string, string>;
    };
    assert.deepEqual(project.models, { [TINY]: "HEAD" });
    const lock = readLock();
    const entry = lock.models[TINY]!;
    assert.equal(entry.revision, p.hub.resolve(TINY, "main"));
    assert.equal(
      entry.files["model.safetensors"]?.sha256,
      p.hub.file(TINY, "main", "model.safetensors").sha256,
    );
    assert.equal(entry.files["model.safetensors"]?.scan.verdict, "clean");

    for (const args of [["ci"], ["ci", "--offline"], ["ci", "--download"]]) {
      const r = await cli(...args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /The lock holds\./);
    }
    const before = readFileSync(join(p.dir, "models.lock"), "utf8");
    const lockAgain = await cli("lock", "--quiet");
    assert.equal(lockAgain.code, 0);
    assert.match(lockAgain.stdout, /up to date/);
    assert.equal(readFileSync(join(p.dir, "models.lock"), "utf8"), before, "lock is stable");

    p.env.HF_HUB_CACHE = join(p.dir, "fresh-cache");
    const install = await cli("pull", "--quiet");
    assert.equal(install.code, 0, install.stdout + install.stderr);
    const snapshot = new RepoCache(p.env.HF_HUB_CACHE, TINY).snapshotDir(entry.revision);
    assert.deepEqual(readdirSync(snapshot).sort(), Object.keys(entry.files).sort());
  });

  test("out of sync: a model declared but not locked exits 5 and says to run modelvet lock", async () => {
    startAdded();
    writeProject({ models: { [TINY]: "HEAD", "acme/tiny-safetensors": "main" }, policy: ACME });
    const r = await cli("ci");
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stdout, /acme\/tiny-safetensors is in modelvet\.json but not in models\.lock/);
    assert.match(r.stdout, /run `modelvet lock`/);
    const install = await cli("pull", "--quiet");
    assert.equal(install.code, 5, "pull refuses to install from a lock that is out of sync");
  });

  test("policy: an organization removed from the allowlist exits 6", async () => {
    startAdded();
    writeProject({
      models: { [TINY]: "HEAD" },
      policy: { organizations: { remove: [{ name: "google-bert", reason: "legal review" }] } },
    });
    const r = await cli("ci");
    assert.equal(r.code, 6, r.stdout + r.stderr);
    assert.match(r.stdout, /POLICY_DENIED.*project:remove org google-bert/);
  });

  test("revision gone: a super-squashed branch whose pinned commit vanished exits 8", async () => {
    writeProject({ models: { "acme/tiny-safetensors": "main" }, policy: ACME });
    const lock = await cli("lock", "--quiet");
    assert.equal(lock.code, 0, lock.stdout + lock.stderr);
    p.hub.superSquash("acme/tiny-safetensors", "main");
    const r = await cli("ci");
    assert.equal(r.code, 8, r.stdout + r.stderr);
    assert.match(r.stdout, /REVISION_GONE/);
  });

  test("drift: a re-tagged release exits 7; a branch that moved on is only a note", async () => {
    writeProject({ models: { "acme/semver-model": "v1.0.0" }, policy: ACME });
    assert.equal((await cli("lock", "--quiet")).code, 0);
    p.hub.moveTag("acme/semver-model", "v1.0.0", p.hub.resolve("acme/semver-model", "v2.0.0"));
    const r = await cli("ci");
    assert.equal(r.code, 7, r.stdout + r.stderr);
    assert.match(r.stdout, /re-tagged upstream/);

    writeProject({ models: { "acme/semver-model": "main" }, policy: ACME });
    assert.equal((await cli("lock", "--quiet")).code, 0);
    p.hub.moveBranch("acme/semver-model", "main", p.hub.resolve("acme/semver-model", "v1.2.0"));
    const moved = await cli("ci");
    assert.equal(moved.code, 0, moved.stdout);
    assert.match(moved.stdout, /note: acme\/semver-model: main has moved/);
  });

  test("drift: the Hub's tree at the pinned commit differs from a consistent lock (digest, size, extra and missing files) exits 7", async () => {
    startAdded();
    const lock = readLock();
    const files = lock.models[TINY]!.files;
    files["model.safetensors"]!.sha256 = "0".repeat(64);
    files["config.json"]!.size += 1;
    files["ghost.bin"] = { ...files["config.json"]! };
    delete files["tokenizer_config.json"];
    lock.models[TINY]!.manifestDigest = computeManifestDigest(files);
    writeLock(lock);
    const r = await cli("ci", "--format", "json");
    assert.equal(r.code, 7, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as {
      problems: { class: string; path?: string; finding: { code: string } }[];
    };
    const seen = result.problems.map((p) => `${p.finding.code}:${p.path}`).sort();
    assert.deepEqual(seen, [
      "LOCK_EXTRA_ENTRY:tokenizer_config.json",
      "LOCK_MISMATCH:config.json",
      "LOCK_MISMATCH:model.safetensors",
      "LOCK_MISSING_ENTRY:ghost.bin",
    ]);
  });

  test("integrity: wrong bytes under the right digest pass the metadata check but exit 9 with --download", async () => {
    startAdded();
    p.env.HF_HUB_CACHE = join(p.dir, "other-cache");
    p.hub.tamper(TINY, "model.safetensors");
    assert.equal((await cli("ci")).code, 0, "metadata alone cannot see it");
    const r = await cli("ci", "--download");
    assert.equal(r.code, 9, r.stdout + r.stderr);
    assert.match(r.stdout, /DIGEST_MISMATCH/);
    const snapshot = new RepoCache(p.env.HF_HUB_CACHE, TINY).snapshotDir(
      p.hub.resolve(TINY, "main"),
    );
    assert.ok(!existsSync(join(snapshot, "model.safetensors")), "the tampered file is not linked");
  });

  test("integrity offline: a missing or corrupted cache exits 9", async () => {
    startAdded();
    const cache = new RepoCache(p.env.HF_HUB_CACHE!, TINY);
    const blob = cache.blobPath(p.hub.file(TINY, "main", "model.safetensors").sha256);
    writeFileSync(blob, Buffer.alloc(readFileSync(blob).length));
    const r = await cli("ci", "--offline");
    assert.equal(r.code, 9, r.stdout + r.stderr);
    assert.match(r.stdout, /CACHE_CORRUPT/);
  });

  test("blocked: a lock that recorded a malicious file as clean fails the rescan with --download (exit 1)", async () => {
    const repo = "acme/malicious-pickle";
    writeProject({ models: { [repo]: "main" }, policy: ACME });
    const refused = await cli("lock", "--quiet");
    assert.equal(refused.code, 1, "lock refuses to pin a malicious model");
    assert.ok(!existsSync(join(p.dir, "models.lock")), "and writes nothing");
    const files: Lockfile["models"][string]["files"] = {};
    for (const path of ["config.json", "pytorch_model.bin"]) {
      const f = p.hub.file(repo, "main", path);
      files[path] = {
        size: f.size,
        gitOid: f.oid,
        lfs: f.lfs,
        sha256: f.sha256,
        scan: {
          format: "pickle",
          verdict: "clean",
          scanner: "0.0.1",
          policy: `sha256:${"1".repeat(64)}`,
        },
      };
    }
    writeProject({
      models: { [repo]: { ref: "main", include: ["config.json", "pytorch_model.bin"] } },
      policy: ACME,
    });
    writeLock({
      lockfileVersion: "1.0.0",
      models: {
        [repo]: {
          ref: "main",
          revision: p.hub.resolve(repo, "main"),
          include: ["config.json", "pytorch_model.bin"],
          exclude: [],
          manifestDigest: computeManifestDigest(files),
          files,
        },
      },
    });
    assert.equal((await cli("ci")).code, 0, "metadata matches");
    const r = await cli("ci", "--download");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /PICKLE_DANGEROUS/);
    assert.match(r.stdout, /note: 1 model\(s\) were locked by another scanner version/);
  });

  test("ci --offline judges custom code as --download does: an accepted REMOTE_CODE holds, a withdrawn one blocks", async () => {
    const repo = "acme/custom-code-model";
    const accepted = {
      model: repo,
      path: "config.json",
      sha256: p.hub.file(repo, "main", "config.json").sha256,
      code: "REMOTE_CODE",
      reason: "reviewed modeling_tiny.py",
    };
    writeProject({ models: { [repo]: "main" }, policy: ACME });
    const refused = await cli("lock", "--quiet");
    assert.equal(refused.code, 1, "custom code blocks until a reviewed finding is accepted");
    writeProject({ models: { [repo]: "main" }, policy: { ...ACME, acceptedFindings: [accepted] } });
    const lock = await cli("lock", "--quiet");
    assert.equal(lock.code, 0, lock.stdout + lock.stderr);
    for (const args of [
      ["ci", "--offline"],
      ["ci", "--download"],
    ]) {
      const r = await cli(...args);
      assert.equal(r.code, 0, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    }
    // The cache still holds every file; only the acceptance goes. A rescan of config.json on its
    // own would call it clean: the verdict must come from the folder pass, offline too.
    writeProject({ models: { [repo]: "main" }, policy: ACME });
    for (const args of [
      ["ci", "--offline"],
      ["ci", "--download"],
    ]) {
      const r = await cli(...args, "--format", "json");
      assert.equal(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      const result = JSON.parse(r.stdout) as {
        problems: { class: string; path?: string; finding: { code: string; message: string } }[];
      };
      assert.deepEqual(
        result.problems.map((p) => [p.class, p.path, p.finding.code]),
        [["blocked", "config.json", "REMOTE_CODE"]],
        args.join(" "),
      );
      assert.match(result.problems[0]!.finding.message, /^acme\/custom-code-model\/config\.json: /);
    }
  });

  test("tampered lockfiles are refused with exit 2 and a message naming the problem", async () => {
    startAdded();
    const good = readFileSync(join(p.dir, "models.lock"), "utf8");
    const cases: [string, string, RegExp][] = [
      [
        "digest",
        good.replace(/"sha256": "[0-9a-f]{64}"/, `"sha256": "${"e".repeat(64)}"`),
        /manifestDigest does not match/,
      ],
      ["size", good.replace(/"size": \d+/, '"size": 1'), /LOCK_MISMATCH|size/],
      [
        "revision",
        good.replace(/"revision": "[0-9a-f]{40}"/, '"revision": "main"'),
        /40-hex commit/,
      ],
      [
        "unknown version",
        good.replace('"lockfileVersion": "1.0.0"', '"lockfileVersion": "2.0.0"'),
        /not readable by this modelvet/,
      ],
      ["malformed", good.slice(0, good.length / 2), /not valid JSON/],
    ];
    for (const [name, text, pattern] of cases) {
      writeFileSync(join(p.dir, "models.lock"), text);
      const r = await cli("ci");
      if (name === "size") {
        // A size edit alone keeps the manifest digest (it covers digests, not sizes): drift.
        assert.equal(r.code, 7, `${name}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout, pattern);
        continue;
      }
      assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, pattern, name);
    }
  });

  test("sarif output points at models.lock lines", async () => {
    startAdded();
    writeProject({
      models: { [TINY]: "HEAD" },
      policy: { organizations: { remove: [{ name: "google-bert", reason: "legal review" }] } },
    });
    const r = await cli("ci", "--format", "sarif");
    assert.equal(r.code, 6);
    const log = JSON.parse(r.stdout) as {
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } };
          }[];
        }[];
      }[];
    };
    const result = log.runs[0]!.results[0]!;
    assert.equal(result.ruleId, "POLICY_DENIED");
    assert.equal(result.locations[0]?.physicalLocation.artifactLocation.uri, "models.lock");
    assert.equal(result.locations[0]?.physicalLocation.region?.startLine, 4);
  });

  test("two lock runs at once both succeed and leave one valid lock", async () => {
    writeProject({ models: { [TINY]: "HEAD", "acme/tiny-safetensors": "main" }, policy: ACME });
    const [a, b] = await Promise.all([
      p.spawnCli("lock", "--quiet"),
      p.spawnCli("lock", "--quiet"),
    ]);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const lock = readLock();
    assert.deepEqual(Object.keys(lock.models).sort(), ["acme/tiny-safetensors", TINY]);
    assert.ok(!existsSync(join(p.dir, "models.lock.lock")), "the mutex file is gone");
    assert.deepEqual(
      readdirSync(p.dir).filter((n) => n.includes("tmp")),
      [],
    );
  });
});
