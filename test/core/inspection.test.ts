/**
 * The pure decisions of `modelvet inspect` (core/inspection.ts), without a Hub: each file judged by
 * its name and metadata, the Hub's scan as advice only, which configs are read, and what a config's
 * bytes and code references mean. test/app/inspect.test.ts covers the same through the fixture Hub.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  evaluateCodeReference,
  evaluateCustomCodeConfig,
  hubSecurityFinding,
  inspectFile,
  MAX_CONFIG_BYTES,
  MAX_CONFIG_FILES,
  oversizeConfigFinding,
  selectCustomCodeConfigs,
  summarizeInspections,
} from "../../src/core/inspection.js";
import type { RepoFile } from "../../src/core/repo-file.js";

const OID = "a".repeat(40);
const SHA = "b".repeat(64);
const file = (path: string, extra: Partial<RepoFile> = {}): RepoFile => ({
  path,
  size: 10,
  gitOid: OID,
  ...extra,
});
const codes = (findings: readonly { code: string; verdict: string }[]) =>
  findings.map((f) => `${f.code}:${f.verdict}`);
const bytes = (text: string) => new TextEncoder().encode(text);

describe("inspectFile: a file judged by its name and the Hub's metadata", () => {
  test("safetensors is clean, with the sha256 the Hub publishes for LFS files", () => {
    const f = inspectFile(file("model.safetensors", { lfs: { sha256: SHA, size: 10 } }), new Set());
    assert.equal(f.verdict, "clean");
    assert.deepEqual(f.findings, []);
    assert.deepEqual(f.digest, { algorithm: "sha256", value: SHA });
    assert.equal(f.lfs, true);
    assert.equal(f.hubStatus, undefined);
  });

  test("a pickle is FORMAT_RISKY and a name that says nothing is UNKNOWN_FORMAT, both suspicious", () => {
    const pickle = inspectFile(file("pytorch_model.bin"), new Set());
    assert.deepEqual(codes(pickle.findings), ["FORMAT_RISKY:suspicious"]);
    assert.equal(pickle.verdict, "suspicious");
    assert.deepEqual(pickle.digest, { algorithm: "git-sha1", value: OID });
    const unknown = inspectFile(file("weights.xyz123"), new Set());
    assert.deepEqual(codes(unknown.findings), ["UNKNOWN_FORMAT:suspicious"]);
  });

  test("code is suspicious only when a config makes loaders run it", () => {
    const run = inspectFile(file("modeling_x.py"), new Set(["modeling_x.py"]));
    assert.deepEqual(codes(run.findings), ["REMOTE_CODE:suspicious"]);
    const idle = inspectFile(file("modeling_x.py"), new Set());
    assert.deepEqual(codes(idle.findings), ["REMOTE_CODE:clean"]);
    assert.equal(idle.verdict, "clean");
  });

  test("the Hub's own scan is advice: an unsafe status is a clean finding, never a verdict", () => {
    const f = inspectFile(
      file("config.json", { hubSecurity: { status: "unsafe", detail: { x: 1 } } }),
      new Set(),
    );
    assert.deepEqual(codes(f.findings), ["HUB_SECURITY_STATUS:clean"]);
    assert.equal(f.hubStatus, "unsafe");
    const safe = inspectFile(
      file("config.json", { hubSecurity: { status: "safe", detail: null } }),
      new Set(),
    );
    assert.deepEqual(safe.findings, []);
    assert.equal(safe.hubStatus, "safe");
  });
});

describe("hubSecurityFinding", () => {
  test("none when the Hub gave no status; one clean finding naming flagged files otherwise", () => {
    assert.equal(hubSecurityFinding({ available: false, note: "none" }), undefined);
    const f = hubSecurityFinding({
      available: true,
      scansDone: true,
      filesWithIssues: [{ path: "a.bin", level: "danger" }],
    });
    assert.equal(f?.code, "HUB_SECURITY_STATUS");
    assert.equal(f?.verdict, "clean");
    assert.match(f?.message ?? "", /done, flagged a\.bin \(danger\)/);
    assert.match(
      hubSecurityFinding({ available: true, scansDone: false })?.message ?? "",
      /not finished, no file flagged/,
    );
  });
});

describe("which config files are read", () => {
  test("config files in any folder; past MAX_CONFIG_FILES custom code cannot be ruled out", () => {
    const few = selectCustomCodeConfigs([
      file("config.json"),
      file("sub/config.json"),
      file("a.py"),
    ]);
    assert.deepEqual(few.configFiles, ["config.json", "sub/config.json"]);
    assert.equal(few.toRead.length, 2);
    assert.deepEqual(few.findings, []);
    const many = selectCustomCodeConfigs(
      Array.from({ length: MAX_CONFIG_FILES + 1 }, (_, i) => file(`m${i}/config.json`)),
    );
    assert.equal(many.configFiles.length, MAX_CONFIG_FILES + 1);
    assert.equal(many.toRead.length, MAX_CONFIG_FILES);
    assert.deepEqual(codes(many.findings), ["UNSCANNABLE:unscannable"]);
  });

  test("a config over MAX_CONFIG_BYTES is not read: unscannable", () => {
    assert.equal(oversizeConfigFinding(file("config.json", { size: MAX_CONFIG_BYTES })), undefined);
    const f = oversizeConfigFinding(file("config.json", { size: MAX_CONFIG_BYTES + 1 }));
    assert.equal(f?.verdict, "unscannable");
  });
});

describe("what a config's bytes declare", () => {
  const tree = new Map([
    ["config.json", file("config.json")],
    ["modeling_x.py", file("modeling_x.py")],
  ]);
  const evaluate = (fetched: Parameters<typeof evaluateCustomCodeConfig>[0]["fetched"]) =>
    evaluateCustomCodeConfig({ file: file("config.json"), fetched, byPath: tree, repo: "org/m" });

  test("bytes that do not match the tree are malicious, with expected and actual", () => {
    const size = evaluate({ ok: false, algorithm: "size", expected: 10, actual: 11 });
    assert.deepEqual(codes(size.findings), ["SIZE_MISMATCH:malicious"]);
    assert.equal(size.findings[0]?.expected, 10);
    const digest = evaluate({ ok: false, algorithm: "git-sha1", expected: OID, actual: "c" });
    assert.deepEqual(codes(digest.findings), ["DIGEST_MISMATCH:malicious"]);
    assert.match(digest.findings[0]?.message ?? "", /the git-sha1 the Hub's tree publishes/);
  });

  test("bytes that are not UTF-8 JSON are unscannable, never clean", () => {
    for (const raw of [bytes("{not json"), new Uint8Array([0x7b, 0xff, 0x7d])]) {
      const out = evaluate({ ok: true, bytes: raw });
      assert.deepEqual(codes(out.findings), ["UNSCANNABLE:unscannable"]);
      assert.deepEqual(out.references, []);
    }
  });

  test("an auto_map entry to a module in the repo names the file that would run", () => {
    const out = evaluate({
      ok: true,
      bytes: bytes(JSON.stringify({ auto_map: { AutoModel: "modeling_x.XModel" } })),
    });
    assert.deepEqual(codes(out.findings), ["REMOTE_CODE:suspicious"]);
    assert.deepEqual(out.modulePaths, ["modeling_x.py"]);
    assert.equal(out.references.length, 1);
  });

  test("a module that is missing, or in another repo, is never followed quietly", () => {
    const missing = evaluate({
      ok: true,
      bytes: bytes(JSON.stringify({ auto_map: { AutoModel: "modeling_y.YModel" } })),
    });
    assert.deepEqual(codes(missing.findings), ["REMOTE_CODE_MISSING:unscannable"]);
    assert.deepEqual(missing.modulePaths, []);
    const cross = evaluate({
      ok: true,
      bytes: bytes(JSON.stringify({ auto_map: { AutoModel: "other/repo--modeling_x.XModel" } })),
    });
    assert.deepEqual(codes(cross.findings), ["REMOTE_CODE_CROSS_REPO:suspicious"]);
    assert.deepEqual(cross.modulePaths, []);
  });

  test("a reference that cannot be followed is unscannable", () => {
    const judged = evaluateCodeReference(
      {
        source: "config.json: auto_map.AutoModel",
        reference: "nodot",
        repo: undefined,
        moduleFile: undefined,
        className: undefined,
        problem: "no class name",
      },
      "",
      tree,
      "org/m",
    );
    assert.equal(judged.finding.verdict, "unscannable");
    assert.equal(judged.module, undefined);
  });

  test("a module is looked up beside its config first, then at the root", () => {
    const sub = new Map([["sub/modeling_x.py", file("sub/modeling_x.py")]]);
    const ref = {
      source: "sub/config.json: auto_map.AutoModel",
      reference: "modeling_x.XModel",
      repo: undefined,
      moduleFile: "modeling_x.py",
      className: "XModel",
      problem: undefined,
    };
    assert.equal(evaluateCodeReference(ref, "sub/", sub, "org/m").module, "sub/modeling_x.py");
    assert.equal(evaluateCodeReference(ref, "", tree, "org/m").module, "modeling_x.py");
  });
});

test("summarizeInspections counts models, those that block, those undecided", () => {
  assert.deepEqual(
    summarizeInspections([
      { verdict: "clean" },
      { verdict: "suspicious" },
      { verdict: "clean", error: { code: "HUB_NOT_FOUND" } },
    ]),
    { models: 3, blocked: 1, errors: 1 },
  );
});
