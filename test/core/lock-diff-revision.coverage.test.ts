/**
 * Pure core helpers whose every case a user can meet: what a lock update says when a model goes
 * away or only a file's metadata moves, how each kind of revision is described, what an empty
 * list of refs reads as, and which file names are plain text by name.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeLockChange, diffLockfiles } from "../../src/core/lock-diff.js";
import type { LockedFile, Lockfile } from "../../src/core/lockfile.js";
import { classifyName } from "../../src/core/name-format.js";
import { describeRevisionSource, notFound } from "../../src/core/revision.js";

const REV_A = "a".repeat(40);
const file = (over: Partial<LockedFile> = {}): LockedFile =>
  ({
    size: 4,
    gitOid: "1".repeat(40),
    lfs: false,
    sha256: "2".repeat(64),
    scan: { verdict: "clean", format: "safetensors" },
    ...over,
  }) as LockedFile;
const lock = (models: Record<string, { files: Record<string, LockedFile> }>): Lockfile =>
  ({
    models: Object.fromEntries(
      Object.entries(models).map(([id, m]) => [id, { revision: REV_A, ref: "main", ...m }]),
    ),
  }) as unknown as Lockfile;

describe("lock diff", () => {
  it("a model that leaves the lock is one removal line with its revision", () => {
    const changes = diffLockfiles(lock({ "acme/x": { files: { a: file() } } }), lock({}));
    assert.deepEqual(changes, [{ kind: "model-removed", model: "acme/x", revision: REV_A }]);
    assert.equal(describeLockChange(changes[0]!), `- acme/x @ ${REV_A.slice(0, 12)}`);
  });

  it("a file whose git id alone changed says its metadata changed", () => {
    const changes = diffLockfiles(
      lock({ "acme/x": { files: { a: file() } } }),
      lock({ "acme/x": { files: { a: file({ gitOid: "3".repeat(40) }) } } }),
    );
    assert.equal(changes.length, 1);
    assert.equal(describeLockChange(changes[0]!), "  ~ acme/x/a: metadata changed");
  });

  it("a verdict change is named with both verdicts", () => {
    const changes = diffLockfiles(
      lock({ "acme/x": { files: { a: file() } } }),
      lock({
        "acme/x": {
          files: { a: file({ scan: { ...file().scan, verdict: "malicious" } }) },
        },
      }),
    );
    assert.equal(describeLockChange(changes[0]!), "  ~ acme/x/a: verdict clean -> malicious");
  });
});

describe("revision descriptions", () => {
  it("names each kind of source as a user wrote it", () => {
    assert.equal(describeRevisionSource({ kind: "tag", name: "v1.0" }), "tag v1.0");
    assert.equal(describeRevisionSource({ kind: "pull-request", ref: "refs/pr/3" }), "refs/pr/3");
    assert.equal(describeRevisionSource({ kind: "commit" }), "commit");
    assert.equal(
      describeRevisionSource({ kind: "short-commit", prefix: "0f1e2d3" }),
      "short commit 0f1e2d3",
    );
  });

  it("a repository with no branch or tag says none for each", () => {
    const error = notFound("acme/x", "dev", { branches: [], tags: [] } as never);
    assert.match(error.message, /\(branches: none; tags: none\)/);
  });
});

describe("file names", () => {
  it("licence, notice, readme and copying files are text whatever their extension", () => {
    for (const name of ["LICENSE", "licence.md5x", "NOTICE", "README.rst2", "COPYING.LESSER"]) {
      assert.deepEqual(classifyName(`acme/${name}`), { format: "text", risk: "safe" }, name);
    }
    assert.deepEqual(classifyName("licenses"), { format: "unknown", risk: "unknown" });
  });
});
