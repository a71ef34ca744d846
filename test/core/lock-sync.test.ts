/**
 * core/lock-sync.ts: when models.lock no longer describes modelvet.json (each way it can differ is
 * one `out-of-sync` problem naming the model), and the blocking findings of a scanned node with the
 * member path in front of each message.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { finding } from "../../src/core/finding.js";
import { blockingFindings, syncProblemsOf } from "../../src/core/lock-sync.js";
import { emptyLockfile, type LockedModel, type Lockfile } from "../../src/core/lockfile.js";
import { parseProjectFile } from "../../src/core/project.js";
import type { ScanNode } from "../../src/core/report.js";

const locked = (ref: string, include: string[] = [], exclude: string[] = []): LockedModel => ({
  ref,
  revision: "a".repeat(40),
  include,
  exclude,
  manifestDigest: `sha256:${"b".repeat(64)}`,
  files: {},
});

const lockOf = (models: Record<string, LockedModel>): Lockfile => ({
  ...emptyLockfile(),
  models,
});

const project = (models: Record<string, unknown>) => parseProjectFile(JSON.stringify({ models }));

test("a lock that describes modelvet.json has no problem (a model without a ref is locked at HEAD)", () => {
  const p = project({
    "acme/a": "main",
    "acme/b": { ref: "v1", include: ["*.json"], exclude: ["*.bin"] },
  });
  assert.deepEqual(
    syncProblemsOf(
      p,
      lockOf({ "acme/a": locked("main"), "acme/b": locked("v1", ["*.json"], ["*.bin"]) }),
    ),
    [],
  );
  const noRef = project({ "acme/c": { include: [] } });
  assert.deepEqual(syncProblemsOf(noRef, lockOf({ "acme/c": locked("HEAD") })), []);
});

test("each way the two files differ is one out-of-sync problem naming the model", () => {
  const p = project({
    "acme/missing": "main",
    "acme/moved": "v2",
    "acme/globs": { ref: "main", include: ["*.json"], exclude: [] },
    "acme/excluded": { ref: "main", include: [], exclude: ["*.bin"] },
    "acme/default": { include: [] },
  });
  const problems = syncProblemsOf(
    p,
    lockOf({
      "acme/moved": locked("v1"),
      "acme/globs": locked("main", ["*.txt"]),
      "acme/excluded": locked("main", [], []),
      "acme/default": locked("main"),
      "acme/gone": locked("main"),
    }),
  );
  const byModel = Object.fromEntries(problems.map((p) => [p.model, p.finding.message]));
  assert.deepEqual(Object.keys(byModel).sort(), [
    "acme/default",
    "acme/excluded",
    "acme/globs",
    "acme/gone",
    "acme/missing",
    "acme/moved",
  ]);
  assert.match(byModel["acme/missing"]!, /in modelvet\.json but not in models\.lock/);
  assert.match(byModel["acme/moved"]!, /asks for v2, the lock was made for v1/);
  assert.match(byModel["acme/default"]!, /asks for HEAD, the lock was made for main/);
  assert.match(byModel["acme/globs"]!, /include\/exclude globs .* differ/);
  assert.match(byModel["acme/excluded"]!, /include\/exclude globs .* differ/);
  assert.match(byModel["acme/gone"]!, /in models\.lock but no longer in modelvet\.json/);
  for (const p of problems) {
    assert.equal(p.class, "out-of-sync");
    assert.equal(p.finding.code, "LOCK_OUT_OF_SYNC");
    assert.equal(p.path, undefined);
  }
});

test("blocking findings: every non-clean finding of a node and its members, member paths in front", () => {
  const clean = finding("LIGHTGBM_MODEL", "clean", "fine");
  const bad = finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "calls os.system");
  const odd = finding("UNSCANNABLE", "unscannable", "cannot read");
  const node: ScanNode = {
    path: "model.zip",
    format: "zip",
    verdict: "malicious",
    findings: [clean, odd],
    members: [
      {
        path: "archive",
        format: "zip",
        verdict: "malicious",
        findings: [],
        members: [{ path: "data.pkl", format: "pickle", verdict: "malicious", findings: [bad] }],
      },
      { path: "ok.json", format: "json", verdict: "clean", findings: [clean] },
    ],
  };
  assert.deepEqual(
    blockingFindings(node).map((f) => [f.code, f.message]),
    [
      ["UNSCANNABLE", "cannot read"],
      ["PICKLE_DANGEROUS_GLOBAL", "archive/data.pkl: calls os.system"],
    ],
  );
  assert.deepEqual(
    blockingFindings(node, "org/name").map((f) => f.message),
    ["org/name: cannot read", "org/name/archive/data.pkl: calls os.system"],
  );
});
