/**
 * Which refs/ a pull writes: what huggingface_hub's `_cache_commit_hash_for_specific_revision`
 * writes for the same revision (refs/<revision> unless it is the commit itself; "main" when no
 * revision is given), plus the tag a semver range picked.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cacheRefsFor, looksLikeRange } from "../../src/core/cache-refs.js";

const C = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233a";

test("the default branch is refs/main; a full commit writes nothing", () => {
  assert.deepEqual(cacheRefsFor(undefined, C, { kind: "default-branch" }), ["main"]);
  assert.deepEqual(cacheRefsFor("HEAD", C, undefined), ["main"]);
  assert.deepEqual(cacheRefsFor(C, C, { kind: "commit" }), []);
  assert.deepEqual(cacheRefsFor(C.toUpperCase(), C, undefined), []);
});

test("branches, tags, pull requests and short ids are written as they were asked", () => {
  assert.deepEqual(cacheRefsFor("dev", C, { kind: "branch", name: "dev" }), ["dev"]);
  assert.deepEqual(cacheRefsFor("release/v1", C, undefined), ["release/v1"]);
  assert.deepEqual(cacheRefsFor("v1.0.0", C, undefined), ["v1.0.0"]);
  assert.deepEqual(cacheRefsFor("refs/pr/3", C, { kind: "pull-request", ref: "refs/pr/3" }), [
    "refs/pr/3",
  ]);
  assert.deepEqual(cacheRefsFor("0f1e2d3", C, { kind: "short-commit", prefix: "0f1e2d3" }), [
    "0f1e2d3",
  ]);
  assert.deepEqual(cacheRefsFor("0F1E2D3", C, undefined), ["0F1E2D3"]);
  assert.deepEqual(cacheRefsFor("refs/heads/dev", C, { kind: "branch", name: "dev" }), [
    "dev",
    "refs/heads/dev",
  ]);
});

test("a semver range writes the tag it picked, and nothing when only its text is known", () => {
  const source = { kind: "semver", range: "^1.2", tag: "v1.2.3", version: "1.2.3" } as const;
  assert.deepEqual(cacheRefsFor("^1.2", C, source), ["v1.2.3"]);
  assert.deepEqual(cacheRefsFor("^1.2", C, undefined), []);
  assert.deepEqual(cacheRefsFor(">=1.0.0 <2", C, undefined), []);
  assert.equal(looksLikeRange("~1.2"), true);
  assert.equal(looksLikeRange("v1.2.0"), false);
  assert.equal(looksLikeRange("main"), false);
});
