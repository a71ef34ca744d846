import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../src/core/errors.js";
import { formatModelRef, parseModelRef } from "../../src/core/model-ref.js";

describe("parseModelRef", () => {
  it("reads org/name without a ref as the default branch", () => {
    assert.deepEqual(parseModelRef("google-bert/bert-base-uncased"), {
      repo: "google-bert/bert-base-uncased",
      org: "google-bert",
      name: "bert-base-uncased",
      ref: undefined,
    });
  });

  it("keeps everything after the first @ as the ref, slashes and spaces included", () => {
    assert.equal(parseModelRef("acme/x@release/v1").ref, "release/v1");
    assert.equal(parseModelRef("acme/x@>=1 <2").ref, ">=1 <2");
    assert.equal(parseModelRef("acme/x@^1.2").ref, "^1.2");
    assert.equal(parseModelRef("acme/x@refs/pr/1").ref, "refs/pr/1");
  });

  it("round-trips through formatModelRef", () => {
    for (const text of ["a/b", "a/b@main", "Qwen/Qwen2.5-0.5B@v1.0"]) {
      assert.equal(formatModelRef(parseModelRef(text)), text);
    }
  });

  const bad: Array<[string, RegExp]> = [
    ["gpt2", /Legacy names without an organization/],
    ["a/b/c", /expected org\/name/],
    ["/b", /not a valid Hub name/],
    ["a/", /not a valid Hub name/],
    ["a--b/c", /no "--"/],
    ["a/b..c", /no "--" or "\.\."/],
    ["-a/b", /not a valid Hub name/],
    ["a/b@", /nothing after "@"/],
    ["a/b@ma\u0000in", /control characters/],
    ["a/b@x\\y", /backslash/],
    [`a/${"x".repeat(97)}`, /at most 96/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input).slice(0, 30)} with a usage error`, () => {
      assert.throws(
        () => parseModelRef(input),
        (e: unknown) => e instanceof UsageError && message.test(e.message),
      );
    });
  }
});
