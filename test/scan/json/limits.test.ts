/** The JSON scanner's item limit: JSON.parse builds every value, so a file of millions of tiny values is refused before parsing. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { countJsonItems, MAX_JSON_ITEMS } from "../../../src/scan/json/scan.js";
import { bytesSource } from "../../../src/scan/source.js";

const policy = loadScanPolicy();
const enc = (s: string) => new TextEncoder().encode(s);

describe("JSON item limit", () => {
  test("counts commas and opening brackets outside strings only", () => {
    assert.equal(countJsonItems(enc("1"), 100), 1);
    assert.equal(countJsonItems(enc("[1,2,{}]"), 100), 5);
    // Commas, brackets and escaped quotes inside strings are not items; multi-byte UTF-8 is fine.
    assert.equal(countJsonItems(enc('{"a,[{": "x\\",y", "é,": [1]}'), 100), 4);
    // Stops once past the limit.
    assert.equal(countJsonItems(enc(`[${"0,".repeat(1000)}0]`), 10), 11);
  });

  test("a file of more tiny values than the limit is BUDGET_EXCEEDED, not parsed", async () => {
    const text = `[${"{},".repeat(MAX_JSON_ITEMS / 2)}{}]`;
    const node = await scanSource(bytesSource(enc(text)), { policy, path: "config.json" });
    assert.equal(node.format, "json");
    assert.equal(node.verdict, "unscannable");
    const f = node.findings.find((x) => x.code === "BUDGET_EXCEEDED");
    assert.ok(f && /limit/.test(f.message), JSON.stringify(node.findings));
  });

  test("a small file with separators inside strings is still parsed and clean", async () => {
    const text = JSON.stringify({ note: "[{,".repeat(1000), model_type: "llama" });
    const node = await scanSource(bytesSource(enc(text)), { policy, path: "config.json" });
    assert.equal(node.verdict, "clean");
    assert.deepEqual(node.summary?.keys, ["note", "model_type"]);
  });
});
