/**
 * Signatures of Hub models through the fixture Hub: a repo signed in the test with a test key
 * (DSSE built with node:crypto), policy.signatures requiring it. lock records the signer; a file
 * changed after signing, a missing signature, another key, or another signer than the lock each
 * block with a SIGNATURE_* finding, in lock (pull) and in ci (class `signature`).
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { runCi } from "../../src/app/ci.js";
import { inspectModels } from "../../src/app/inspect.js";
import { lockProject } from "../../src/app/lock.js";
import type { PullPolicy } from "../../src/app/pull.js";
import { parseLockfile, serializeLockfile } from "../../src/core/lockfile.js";
import { parseProjectFile } from "../../src/core/project.js";
import type { SignatureRule } from "../../src/core/signature/policy.js";
import { HubClient } from "../../src/io/hub.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { readOrgAllowlist } from "../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { tempDir } from "../helpers/run-cli.js";
import { makeTestKey, signFiles, type TestKey } from "../helpers/signature-sign.js";

const TINY = "google-bert/fixture-tiny-bert";
const noSleep = async () => {};

describe("model signatures on the Hub: lock and ci", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  let client: HubClient;
  const key = makeTestKey();
  const other = makeTestKey();

  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
  });
  afterEach(() => {
    hub.resetRepos();
    dir.cleanup();
  });

  /** Sign TINY's files at main with `by` and push model.sig; returns the new commit. */
  async function signTiny(by: TestKey, change?: Record<string, string>): Promise<string> {
    const commit = hub.resolve(TINY, "main");
    const listing = await client.listRepoFiles(TINY, commit);
    const files: Record<string, Uint8Array> = {};
    for (const f of listing) {
      if (f.path === ".gitattributes") continue;
      files[f.path] = hub.file(TINY, "main", f.path).bytes;
    }
    return hub.pushCommit(TINY, {
      branch: "main",
      message: "sign",
      files: { "model.sig": signFiles(by, files), ...(change ?? {}) },
    });
  }

  function setup(rules: SignatureRule[]) {
    dir = tempDir();
    client = new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: noSleep });
    writeFileSync(join(dir.path, "signer.pub"), key.publicPem);
    writeFileSync(join(dir.path, "other.pub"), other.publicPem);
    const project = parseProjectFile(
      JSON.stringify({ models: { [TINY]: "main" }, policy: { signatures: rules } }),
    );
    const policy: PullPolicy = {
      scan: loadScanPolicy(),
      organizations: readOrgAllowlist(),
      project: project.policy,
      acceptedFindings: [],
      signatures: { rules: project.policy.signatures, baseDir: dir.path },
    };
    return { project, policy };
  }

  const lock = (s: ReturnType<typeof setup>, previous?: ReturnType<typeof parseLockfile>) =>
    lockProject({
      client,
      cacheDir: join(dir.path, "cache"),
      project: s.project,
      previous,
      update: "all",
      policy: s.policy,
      policyDigest: `sha256:${"0".repeat(64)}`,
      today: "2026-12-05",
    });

  const ci = (s: ReturnType<typeof setup>, l: ReturnType<typeof parseLockfile>) =>
    runCi({
      client,
      cacheDir: join(dir.path, "cache"),
      project: s.project,
      lock: l,
      policy: s.policy,
      policyDigest: `sha256:${"0".repeat(64)}`,
      today: "2026-12-05",
      download: false,
      offline: false,
    });

  const sigCodes = (findings: { code: string }[]) =>
    findings.map((f) => f.code).filter((c) => c.startsWith("SIGNATURE_"));

  test("a signed model locks with its signer recorded; ci holds", async () => {
    const s = setup([{ models: "google-bert", publicKey: "signer.pub" }]);
    await signTiny(key);
    const result = await lock(s);
    const pulled = result.pulled[0]!;
    assert.deepEqual(pulled.findings, []);
    assert.equal(result.blocked, false);
    assert.equal(pulled.signature?.verified, true);
    assert.ok((pulled.signature?.checked ?? 0) >= 2);
    const entry = result.lock.models[TINY]!;
    assert.equal(entry.signature?.method, "key");
    assert.match(entry.signature!.identity, /^sha256:[0-9a-f]{64}$/);
    assert.equal(result.lock.lockfileVersion, "1.1.0");
    // The lock round-trips through its own parser.
    const reread = parseLockfile(serializeLockfile(result.lock));
    assert.deepEqual(reread.models[TINY]!.signature, entry.signature);
    const checked = await ci(s, reread);
    assert.deepEqual(
      checked.problems.filter((p) => p.class === "signature"),
      [],
    );
  });

  test("a file changed after signing blocks the lock (SIGNATURE_FILE_MISMATCH)", async () => {
    const s = setup([{ models: "google-bert", publicKey: "signer.pub" }]);
    await signTiny(key, { "config.json": '{"model_type":"bert","changed":true}\n' });
    const result = await lock(s);
    assert.equal(result.blocked, true);
    const findings = result.pulled[0]!.findings;
    assert.deepEqual(sigCodes(findings), ["SIGNATURE_FILE_MISMATCH"]);
    assert.match(
      findings[0]!.message,
      /config\.json: the bytes do not match the SHA-256 in the signature/,
    );
    assert.equal(result.lock.models[TINY]?.signature, undefined);
    // Nothing of the model is left where a loader would look.
    const snapshot = result.pulled[0]!.snapshotDir!;
    for (const f of result.pulled[0]!.files) {
      assert.equal(f.status, "blocked", f.path);
      assert.equal(existsSync(join(snapshot, f.path)), false, f.path);
    }
  });

  test("a required signature that is absent blocks (SIGNATURE_MISSING)", async () => {
    const s = setup([{ models: TINY, publicKey: "signer.pub" }]);
    const result = await lock(s);
    assert.equal(result.blocked, true);
    assert.deepEqual(sigCodes(result.pulled[0]!.findings), ["SIGNATURE_MISSING"]);
    assert.match(result.pulled[0]!.findings[0]!.message, /must be signed .* but has no model\.sig/);
  });

  test("a model signed with another key does not verify", async () => {
    const s = setup([{ models: "google-bert", publicKey: "signer.pub" }]);
    await signTiny(other);
    const result = await lock(s);
    assert.equal(result.blocked, true);
    assert.deepEqual(sigCodes(result.pulled[0]!.findings), ["SIGNATURE_INVALID"]);
  });

  test("ci: the policy now trusts another key, or the lock names another signer: class signature", async () => {
    const s = setup([{ models: "google-bert", publicKey: "signer.pub" }]);
    await signTiny(key);
    const locked = (await lock(s)).lock;

    const moved = setup([{ models: "google-bert", publicKey: "other.pub" }]);
    const r1 = await ci(moved, locked);
    const p1 = r1.problems.filter((p) => p.class === "signature");
    assert.deepEqual(
      p1.map((p) => p.finding.code),
      ["SIGNATURE_INVALID"],
    );

    const edited = structuredClone(locked);
    edited.models[TINY]!.signature!.identity = `sha256:${"1".repeat(64)}`;
    const r2 = await ci(s, edited);
    const p2 = r2.problems.filter((p) => p.class === "signature");
    assert.deepEqual(
      p2.map((p) => p.finding.code),
      ["SIGNATURE_SIGNER_MISMATCH"],
    );
    assert.match(p2[0]!.finding.message, /as models\.lock records/);
  });

  const inspect = (s: ReturnType<typeof setup>) =>
    inspectModels({
      refs: [TINY],
      client,
      orgAllowlist: s.policy.organizations,
      projectPolicy: s.project.policy,
      signatures: s.policy.signatures!,
    });

  test("inspect: signed and by whom, from model.sig and the Hub's LFS digests, no weights read", async () => {
    const s = setup([{ models: "google-bert", publicKey: "signer.pub" }]);
    await signTiny(key);
    const before = hub.requests.length;
    const m = (await inspect(s)).models[0]!;
    assert.equal(m.verdict, "clean");
    assert.equal(m.signature?.verified, true);
    assert.equal(m.signature?.signer?.method, "key");
    assert.ok(m.signature!.checked >= 1, "the LFS weights are compared with the Hub's sha256");
    assert.ok(m.signature!.unchecked.includes("config.json"));
    assert.match(
      m.signature!.summary,
      /^signed by key sha256:[0-9a-f]{64} \[key\]; \d+ digest\(s\) match, \d+ checked on download$/,
    );
    const weights = hub.requests.slice(before).filter((r) => r.url.includes("model.safetensors"));
    assert.deepEqual(weights, [], "no weight file is requested");
  });

  test("inspect: weights changed after signing are caught before download", async () => {
    const s = setup([{ models: "google-bert", publicKey: "signer.pub" }]);
    const original = hub.file(TINY, "main", "model.safetensors").bytes;
    await signTiny(key, {
      "model.safetensors": Buffer.concat([original, Buffer.from("x")]).toString("latin1"),
    });
    const m = (await inspect(s)).models[0]!;
    assert.notEqual(m.verdict, "clean");
    assert.deepEqual(sigCodes(m.findings), ["SIGNATURE_FILE_MISMATCH"]);
  });

  test("inspect: a key-signed model with no rule is shown as signed but unverified, not blocked", async () => {
    const s = setup([]);
    await signTiny(key);
    const m = (await inspect(s)).models[0]!;
    assert.equal(m.verdict, "clean");
    assert.match(m.signature!.summary, /signed with a private key; not verified/);
  });

  test("ci: policy requires a signature the lock does not record: SIGNATURE_MISSING", async () => {
    const unsigned = setup([]);
    const locked = (await lock(unsigned)).lock;
    assert.equal(locked.lockfileVersion, "1.0.0");
    const s = setup([{ models: "google-bert", publicKey: "signer.pub" }]);
    const r = await ci(s, locked);
    const p = r.problems.filter((x) => x.class === "signature");
    assert.deepEqual(
      p.map((x) => x.finding.code),
      ["SIGNATURE_MISSING"],
    );
    assert.match(p[0]!.finding.message, /models\.lock records none/);
  });
});
