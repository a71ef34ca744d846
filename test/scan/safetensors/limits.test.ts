/** A safetensors header with more JSON values than modelvet parses is refused with a limit message, not walked. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { validateSafetensors } from "../../../src/scan/safetensors/header.js";
import {
  MAX_JSON_VALUES,
  parseStrictJson,
  StrictJsonLimitError,
} from "../../../src/scan/safetensors/strict-json.js";
import { bytesSource } from "../../../src/scan/source.js";

function file(header: string): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

describe("safetensors header value limit", () => {
  test("one value past the limit throws StrictJsonLimitError; at the limit it parses", () => {
    // The outer array is one value, each element another.
    const at = `[${"0,".repeat(MAX_JSON_VALUES - 2)}0]`;
    assert.equal((parseStrictJson(at).value as unknown[]).length, MAX_JSON_VALUES - 1);
    assert.throws(() => parseStrictJson(`[0,${at.slice(1)}`), StrictJsonLimitError);
  });

  test("validateSafetensors reports it as too large to check, naming the limit", () => {
    const { violations } = validateSafetensors(
      bytesSource(file(`{"a":[${"0,".repeat(MAX_JSON_VALUES)}0]}`)),
    );
    assert.equal(violations.length, 1);
    assert.match(
      violations[0]?.message ?? "",
      /too large to check: more than 1000000 values, modelvet's limit/,
    );
  });
});
