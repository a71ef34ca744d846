import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HubError, UsageError } from "../../src/core/errors.js";
import {
  classifyRef,
  describeRevisionSource,
  matchShortCommit,
  parseTagVersion,
  type RepoRefs,
  resolveName,
  resolveNameFallback,
  resolveSemverRange,
} from "../../src/core/revision.js";

const c = (digit: string) => digit.repeat(40);
const refs: RepoRefs = {
  branches: [
    { name: "main", commit: c("a") },
    { name: "dev", commit: c("b") },
    { name: "1.x", commit: c("c") },
  ],
  tags: [
    { name: "v1.0.0", commit: c("1") },
    { name: "v1.2.0", commit: c("2") },
    { name: "1.2.3", commit: c("3") },
    { name: "v1.3.0-rc.1", commit: c("4") },
    { name: "v2.0.0", commit: c("5") },
    { name: "stable", commit: c("3") },
    { name: "dev", commit: c("b") },
  ],
};

function resolveText(ref: string) {
  const out = resolveName("acme/x", ref, refs);
  if (out.kind === "resolved") return out.revision;
  return resolveNameFallback("acme/x", ref, refs);
}

describe("classifyRef", () => {
  it("sorts refs by their text", () => {
    assert.deepEqual(classifyRef(undefined), { kind: "default" });
    assert.deepEqual(classifyRef("HEAD"), { kind: "default" });
    assert.deepEqual(classifyRef("A".repeat(40)), { kind: "commit", commit: "a".repeat(40) });
    assert.deepEqual(classifyRef("refs/heads/main"), {
      kind: "qualified",
      type: "branch",
      name: "main",
    });
    assert.deepEqual(classifyRef("refs/tags/v1"), { kind: "qualified", type: "tag", name: "v1" });
    assert.deepEqual(classifyRef("refs/pr/12"), { kind: "pull-request", ref: "refs/pr/12" });
    assert.deepEqual(classifyRef("^1.2"), { kind: "name", name: "^1.2" });
    assert.throws(() => classifyRef("refs/heads/"), UsageError);
  });
});

describe("resolveName / resolveNameFallback", () => {
  it("resolves branches and tags by exact name", () => {
    assert.deepEqual(resolveText("main").source, { kind: "branch", name: "main" });
    assert.equal(resolveText("main").commit, c("a"));
    assert.deepEqual(resolveText("stable").source, { kind: "tag", name: "stable" });
    // Same name as branch and tag, same commit: not ambiguous.
    assert.equal(resolveText("dev").commit, c("b"));
  });

  it("refuses a name that is a branch and a tag on different commits", () => {
    const clash: RepoRefs = {
      branches: [{ name: "x", commit: c("a") }],
      tags: [{ name: "x", commit: c("b") }],
    };
    assert.throws(() => resolveName("acme/x", "x", clash), /refs\/heads\/x or @refs\/tags\/x/);
  });

  it("prefers an exact branch name over a semver reading (branch 1.x)", () => {
    assert.deepEqual(resolveText("1.x").source, { kind: "branch", name: "1.x" });
  });

  it("picks the highest tag in a semver range, without prereleases unless asked", () => {
    const caret = resolveText("^1.2");
    assert.equal(caret.commit, c("3"));
    assert.deepEqual(caret.source, {
      kind: "semver",
      range: "^1.2",
      tag: "1.2.3",
      version: "1.2.3",
    });
    assert.equal(resolveText("~1.2.0").commit, c("3"));
    assert.equal(resolveText(">=1 <2").commit, c("3"));
    assert.equal(resolveText("1.0.0").commit, c("1"));
    assert.equal(resolveText("*").commit, c("5"));
    assert.equal(resolveText(">=1.3.0-rc.0 <2").commit, c("4"));
  });

  it("reports a range nothing satisfies as revision-not-found, listing version tags", () => {
    assert.throws(
      () => resolveText("^3"),
      (e: unknown) =>
        e instanceof HubError && e.code === "HUB_REVISION_NOT_FOUND" && /v2\.0\.0/.test(e.message),
    );
  });

  it("reports an unknown name with the branches and tags that exist", () => {
    assert.throws(
      () => resolveText("nope"),
      (e: unknown) =>
        e instanceof HubError && /branches: main, dev, 1\.x; tags: v1\.0\.0/.test(e.message),
    );
  });

  it("sends every short commit id to the history search, even one matching a branch tip", () => {
    assert.deepEqual(resolveName("acme/x", "aaaaaaa", refs), {
      kind: "short-commit",
      prefix: "aaaaaaa",
    });
    assert.deepEqual(resolveName("acme/x", "ABCDEF12", refs), {
      kind: "short-commit",
      prefix: "abcdef12",
    });
  });
});

describe("parseTagVersion", () => {
  it("reads v-prefixed and partial versions, rejects names", () => {
    assert.equal(parseTagVersion("v1.2.3"), "1.2.3");
    assert.equal(parseTagVersion("1.2.3"), "1.2.3");
    assert.equal(parseTagVersion("v1.0"), "1.0.0");
    assert.equal(parseTagVersion("v2"), "2.0.0");
    assert.equal(parseTagVersion("v2.0.0-rc.1"), "2.0.0-rc.1");
    assert.equal(parseTagVersion("stable"), null);
    assert.equal(parseTagVersion("release-2023"), null);
    assert.equal(parseTagVersion("1.2.3.4"), null);
  });
});

describe("resolveSemverRange", () => {
  it("treats two tags with one version as fine on one commit, ambiguous on two", () => {
    const same = [
      { name: "v1.0", commit: c("a") },
      { name: "1.0.0", commit: c("a") },
    ];
    assert.equal(resolveSemverRange("^1", same)?.commit, c("a"));
    const split = [
      { name: "v1.0", commit: c("a") },
      { name: "1.0.0", commit: c("b") },
    ];
    assert.throws(() => resolveSemverRange("^1", split), /point at different commits/);
  });

  it("returns null when nothing satisfies", () => {
    assert.equal(resolveSemverRange("^9", refs.tags), null);
  });
});

describe("matchShortCommit", () => {
  it("finds one, none, or fails on two", () => {
    const ids = [`abc1234${"0".repeat(33)}`, `abc9999${"0".repeat(33)}`];
    assert.equal(matchShortCommit("abc1234", ids), ids[0]);
    assert.equal(matchShortCommit("ABC1234", ids), ids[0]);
    assert.equal(matchShortCommit("fff0000", ids), undefined);
    assert.throws(() => matchShortCommit("abc", ids), /ambiguous/);
  });
});

describe("describeRevisionSource", () => {
  it("says where the commit came from", () => {
    assert.equal(describeRevisionSource({ kind: "branch", name: "main" }), "branch main");
    assert.equal(
      describeRevisionSource({ kind: "semver", range: "^1", tag: "v1.2.0", version: "1.2.0" }),
      "tag v1.2.0 (version 1.2.0, range ^1)",
    );
  });
});
