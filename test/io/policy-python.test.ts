import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { InputError } from "../../src/core/errors.js";
import {
  PYTHON_RULES_FILE,
  parsePythonRules,
  readPythonPolicy,
  readPythonRules,
} from "../../src/io/policy-python.js";

const shipped = JSON.parse(
  readFileSync(new URL("../../allowlist/python-rules.json", import.meta.url), "utf8"),
) as Record<string, unknown> & { calls: Record<string, unknown>[] };

function rejects(value: unknown, path: RegExp) {
  assert.throws(
    () => parsePythonRules(value, "python-rules.json"),
    (error: unknown) =>
      error instanceof InputError &&
      error.code === "POLICY_FILE_INVALID" &&
      path.test(error.message),
  );
}

describe("python-rules.json", () => {
  test("the shipped file loads, with its limits and a rule per dangerous family", () => {
    const rules = readPythonRules();
    for (const name of [
      "os.system",
      "subprocess.*",
      "builtins.eval",
      "marshal.loads",
      "socket.*",
      "torch.load",
    ])
      assert.ok(
        rules.calls.some((c) => c.name === name),
        name,
      );
    assert.ok(rules.limits.maxSourceBytes > 0);
  });
  test("the policy carries a grammar reader that returns both wasm files", () => {
    const g = readPythonPolicy().grammar();
    // WebAssembly modules start with \0asm.
    assert.deepEqual([...g.runtime.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
    assert.deepEqual([...g.language.subarray(0, 4)], [0, 0x61, 0x73, 0x6d]);
  });
  test("invalid files name the JSON path and the problem", () => {
    rejects(
      { ...shipped, calls: [{ ...shipped.calls[0], verdict: "clean" }] },
      /\$\.calls\[0\]\.verdict/,
    );
    rejects(
      { ...shipped, calls: [{ ...shipped.calls[0], name: "os.system; rm" }] },
      /\$\.calls\[0\]\.name/,
    );
    rejects(
      { ...shipped, calls: [shipped.calls[0], shipped.calls[0]] },
      /duplicate rule os\.system/,
    );
    rejects({ ...shipped, secretEnvPatterns: ["("] }, /secretEnvPatterns\[0\].*regular expression/);
    rejects({ ...shipped, unexpected: true }, /\$/);
    const { limits: _omit, ...noLimits } = shipped;
    rejects(noLimits, /\$\.limits/);
  });
  test("a folder without its own file uses the shipped one; a broken own file is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "modelvet-python-rules-"));
    try {
      assert.deepEqual(readPythonRules(dir), readPythonRules());
      writeFileSync(join(dir, PYTHON_RULES_FILE), "{ not json");
      assert.throws(() => readPythonRules(dir), /POLICY_FILE_INVALID|Invalid policy file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
