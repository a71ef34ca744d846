/** The format list and the scanner registry agree: every format detection can name has a scanner. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FORMATS } from "../../src/scan/context.js";
import { SCANNERS } from "../../src/scan/registry.js";

describe("scanner registry", () => {
  it("has exactly one scanner per declared format", () => {
    assert.deepEqual(Object.keys(SCANNERS).sort(), [...FORMATS].sort());
    assert.equal(new Set(FORMATS).size, FORMATS.length, "a format is listed twice");
    for (const format of FORMATS) assert.equal(typeof SCANNERS[format], "function", format);
  });
});
