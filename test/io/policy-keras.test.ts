/** allowlist/keras-modules.json: the shipped file loads; every rule of the format is enforced. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseKerasPolicy, readKerasPolicy } from "../../src/io/policy-keras.js";
import { kerasKey } from "../../src/scan/keras/policy.js";

const group = (modules: string[], names: string[]) => ({
  modules,
  names,
  reason: "r",
  provenance: ["p"],
});
const doc = (over: Record<string, unknown> = {}) => ({
  groups: [group(["keras.layers"], ["Dense"])],
  legacyNames: ["Dense", "Custom>Adam"],
  dangerousModules: [{ module: "os", reason: "shell" }],
  dangerousNames: [{ name: "eval", reason: "code" }],
  ...over,
});

describe("keras-modules.json", () => {
  test("the shipped file loads: exact pairs, legacy names, dangerous lists", () => {
    const p = readKerasPolicy();
    assert.ok(p.allowed.has(kerasKey("keras.layers", "Dense")));
    assert.ok(p.allowed.has(kerasKey("keras.src.layers", "Conv2D")));
    assert.ok(p.allowed.has(kerasKey("keras.activations", "relu")));
    assert.ok(!p.allowed.has(kerasKey("keras.layers", "Lambda")), "Lambda is never allowed");
    assert.ok(p.legacyNames.has("Sequential"));
    assert.ok(p.dangerousModules.has("os"));
    assert.ok(p.dangerousNames.has("get_file"));
  });

  test("a valid document parses", () => {
    const p = parseKerasPolicy(doc(), "f.json");
    assert.deepEqual([...p.allowed], [kerasKey("keras.layers", "Dense")]);
  });

  const invalid: Array<[string, Record<string, unknown>, RegExp]> = [
    ["a whole module", { groups: [group(["keras.layers"], ["*"])] }, /whole module/],
    ["a dotted name", { groups: [group(["keras"], ["layers.Dense"])] }, /dotted/],
    ["a dunder name", { groups: [group(["keras"], ["__init__"])] }, /dunder/],
    ["a bad module", { groups: [group(["keras..x"], ["Dense"])] }, /module name/],
    [
      "an allowed pair in a dangerous module",
      { groups: [group(["os.path"], ["join"])] },
      /dangerous/,
    ],
    ["an allowed dangerous name", { groups: [group(["keras.layers"], ["eval"])] }, /dangerous/],
    [
      "a duplicate pair",
      { groups: [group(["keras.layers"], ["Dense"]), group(["keras.layers"], ["Dense"])] },
      /duplicate/,
    ],
    [
      "a missing reason",
      { groups: [{ modules: ["keras"], names: ["X"], provenance: ["p"] }] },
      /groups\[0\]\.reason/,
    ],
    ["an unknown key", { extra: 1 }, /\$/],
    ["a dunder legacy name", { legacyNames: ["__class__"] }, /dunder/],
    [
      "a duplicate dangerous module",
      {
        dangerousModules: [
          { module: "os", reason: "a" },
          { module: "os", reason: "b" },
        ],
      },
      /duplicate/,
    ],
  ];
  for (const [name, over, pattern] of invalid) {
    test(`rejects ${name}, naming the file and path`, () => {
      assert.throws(
        () => parseKerasPolicy(doc(over), "f.json"),
        (e: Error & { code?: string }) =>
          e.code === "POLICY_FILE_INVALID" &&
          e.message.includes("f.json") &&
          pattern.test(e.message),
      );
    });
  }

  const dir = mkdtempSync(join(tmpdir(), "modelvet-keras-policy-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a policy folder without keras-modules.json falls back to the shipped file", () => {
    assert.equal(readKerasPolicy(dir).allowed.size, readKerasPolicy().allowed.size);
  });

  test("a keras-modules.json that is not JSON is an error naming it", () => {
    const sub = mkdtempSync(join(dir, "bad-"));
    writeFileSync(join(sub, "keras-modules.json"), "{ nope");
    assert.throws(() => readKerasPolicy(sub), /keras-modules\.json.*JSON/);
  });

  test("a project keras-modules.json replaces the shipped one", () => {
    const sub = mkdtempSync(join(dir, "own-"));
    writeFileSync(join(sub, "keras-modules.json"), JSON.stringify(doc()));
    assert.equal(readKerasPolicy(sub).allowed.size, 1);
  });
});
