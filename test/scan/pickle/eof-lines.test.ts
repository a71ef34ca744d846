/**
 * GLOBAL/INST lines the end of the data cuts, and module paths that are not Python names (issue
 * #12, fixtures/differential/fixed/py-readline-eof*.pkl, text-invalid-submodule.pkl).
 * pickle._Unpickler (joblib) reads a cut line as `readline()[:-1]` and imports that module before
 * it fails; __import__("a.x)") imports the package `a` before it fails on the child. Each import
 * that happens is named; such bytes are never text/clean.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { detectFormat } from "../../../src/scan/detect.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";

const policy = loadScanPolicy();
const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const scan = (s: string): Promise<ScanNode> =>
  scanSource(bytesSource(latin1(s)), { policy, path: "model.joblib" });
const pairs = (node: ScanNode) =>
  node.findings.flatMap((f) => (f.global ? [[f.global.module, f.global.name]] : []));

describe("pickle lines cut by the end of the data (pure-Python reading)", () => {
  for (const [bytes, module, name] of [
    ["(cos", "o", ""],
    ["(cantigravityy", "antigravity", ""],
    ["cos\nsys", "os", "sy"],
    ["cos\n", "os", ""],
  ] as const) {
    it(`${JSON.stringify(bytes)}: a pickle importing ${module} (name ${JSON.stringify(name)}), not clean`, async () => {
      assert.equal(detectFormat(bytesSource(latin1(bytes))).format, "pickle");
      const node = await scan(bytes);
      assert.notEqual(node.verdict, "clean");
      assert.deepEqual(pairs(node), [[module, name]]);
    });
  }

  it("an INST cut in its name line imports and calls: os.system with the marked arguments", async () => {
    const node = await scan("(S'echo hi'\nios\nsystemX");
    assert.equal(node.verdict, "malicious");
    assert.ok(
      node.findings.some((f) => f.code === "PICKLE_DANGEROUS_CALL" && /os\.system/.test(f.message)),
    );
  });

  it("a cut line that leaves no module imports nothing: `c`, `cx` stay text", async () => {
    for (const s of ["c", "cx"]) assert.equal(detectFormat(bytesSource(latin1(s))).format, "text");
  });
});

describe("module paths that import a parent package before they fail", () => {
  it("antigravity.x) imports antigravity: named, never clean", async () => {
    const node = await scan("cantigravity.x)\nfly\n");
    assert.equal(node.format, "pickle");
    assert.equal(node.verdict, "malicious");
    const f = node.findings.find((x) => x.code === "PICKLE_UNSAFE_NAME");
    assert.ok(
      f && /imports antigravity \(running its top-level code\)/.test(f.message),
      f?.message,
    );
  });

  it("a dangerous parent package is malicious whatever follows it: os.x y / system", async () => {
    const node = await scan("cos.x y\nsystem\n");
    assert.ok(node.findings.some((f) => f.code === "PICKLE_DANGEROUS_GLOBAL"));
  });

  it("the import runs before the name is looked up: a name that is no identifier still counts", async () => {
    const node = await scan("cos\nnot a name\n");
    assert.equal(node.verdict, "malicious");
  });

  it("prose whose first word is no identifier stays text", () => {
    for (const s of ["install with pip\nthen run it\n", "c'est la vie\nok\n", "c3po.x\ny\n"])
      assert.equal(detectFormat(bytesSource(latin1(s))).format, "text", s);
  });
});
