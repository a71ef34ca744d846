/**
 * LightGBM model text: header fields at their edges. A monotone constraint outside -1..1 and a
 * tree_sizes list longer than any model are refused with their reason; a model text without a
 * version line (LightGBM's loader does not need one) passes with an empty version.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkLightgbmModelText } from "../../../src/scan/lightgbm/model-text.js";
import { model, TREE } from "./helpers.js";

function refused(text: string, problem: RegExp): void {
  const r = checkLightgbmModelText(text);
  assert.equal(r.ok, false, JSON.stringify(r));
  assert.match(r.ok ? "" : r.problem, problem);
}

describe("LightGBM model text: header edges", () => {
  it("refuses a monotone constraint of 2", () => {
    refused(
      model([TREE], { monotone_constraints: "2 0" }),
      /a monotone constraint is not -1, 0 or 1/,
    );
  });

  it("refuses a tree_sizes list of 1,000,001 trees before reading any tree", () => {
    refused(
      model([TREE], { tree_sizes: Array(1_000_001).fill("1").join(" ") }),
      /tree_sizes lists too many trees/,
    );
  });

  it("passes a model with no version line, reporting an empty version", () => {
    const r = checkLightgbmModelText(model([TREE], { version: "<none>" }));
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.model, { version: "", trees: 1, maxFeatureIdx: 1 });
  });
});
