import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { classifyTensorflowOp } from "../../../src/scan/savedmodel/ops.js";
import { bytesSource } from "../../../src/scan/source.js";
import { bytes, cat, pbBytes, pbVarint, savedModel, tfNode } from "../protobuf/encode.js";
import {
  assertExpected,
  emptyPolicy,
  formatFixtures,
  scanFixture,
} from "../protobuf/fixture-manifest.js";

const scan = (bytes: Uint8Array): Promise<ScanNode> =>
  scanSource(bytesSource(bytes), { policy: emptyPolicy, path: "saved_model.pb" });

describe("SavedModel fixtures (hand-encoded protobuf)", () => {
  for (const fixture of formatFixtures("savedmodel/")) {
    it(`${fixture.path} → ${fixture.verdict}`, async () => {
      assertExpected(await scanFixture(fixture), fixture);
    });
  }

  it("summarises tags, signatures, ops and checkpoint ops", async () => {
    const [benign] = formatFixtures("savedmodel/benign/saved_model.pb");
    const node = await scanFixture(benign!);
    assert.deepEqual(node.summary?.tags, [["serve"]]);
    assert.deepEqual(node.summary?.signatures, ["serving_default"]);
    assert.equal(node.summary?.tensorflowVersion, "2.15.0");
    assert.equal(node.summary?.nodes, 7);
    assert.deepEqual(node.summary?.checkpointOps, ["RestoreV2", "SaveV2"]);
    assert.deepEqual(node.summary?.assets, ["vocab.txt"]);
  });
});

describe("SavedModel ops", () => {
  for (const op of ["PyFunc", "PyFuncStateless", "EagerPyFunc", "WriteFile"]) {
    it(`${op} is malicious`, () => assert.equal(classifyTensorflowOp(op)?.verdict, "malicious"));
  }
  for (const op of ["ReadFile", "MatchingFiles", "ImmutableConst", "DebugIdentityV2"]) {
    it(`${op} is suspicious`, () => assert.equal(classifyTensorflowOp(op)?.verdict, "suspicious"));
  }
  for (const op of ["MatMul", "Const", "SaveV2", "RestoreV2"]) {
    it(`${op} imposes nothing`, () =>
      assert.notEqual(classifyTensorflowOp(op)?.verdict ?? "clean", "malicious"));
  }
});

describe("SavedModel hostile catalogue", () => {
  const base = [tfNode("x", "Placeholder"), tfNode("y", "Identity")];
  const cases: Array<{ name: string; bytes: () => Uint8Array; verdict: string; code: string }> = [
    {
      name: "PyFunc in a function nested in the library",
      bytes: () =>
        savedModel(base, [
          ["f1", [tfNode("a", "MatMul")]],
          ["f2", [tfNode("p", "PyFunc")]],
        ]),
      verdict: "malicious",
      code: "SAVEDMODEL_DANGEROUS_OP",
    },
    {
      name: "MatchingFiles next to a WriteFile",
      bytes: () => savedModel([...base, tfNode("m", "MatchingFiles"), tfNode("w", "WriteFile")]),
      verdict: "malicious",
      code: "SAVEDMODEL_DANGEROUS_OP",
    },
    {
      name: "Keras metadata whose JSON does not parse",
      bytes: () =>
        bytes(
          pbBytes(
            1,
            cat(
              pbVarint(2, 1),
              pbBytes(3, "root"),
              pbBytes(4, "_tf_keras_layer"),
              pbBytes(5, '{"class_name": '),
            ),
          ),
        ),
      verdict: "unscannable",
      code: "KERAS_INVALID",
    },
    {
      name: "Keras metadata: Lambda nested in a Bidirectional wrapper",
      bytes: () =>
        bytes(
          pbBytes(
            1,
            cat(
              pbBytes(3, "root.layer-0"),
              pbBytes(4, "_tf_keras_layer"),
              pbBytes(
                5,
                JSON.stringify({
                  class_name: "Bidirectional",
                  config: {
                    layer: {
                      class_name: "Lambda",
                      config: {
                        name: "l",
                        function: ["AAAA", null, null],
                        function_type: "lambda",
                      },
                    },
                  },
                }),
              ),
            ),
          ),
        ),
      verdict: "malicious",
      code: "KERAS_LAMBDA",
    },
    {
      name: "truncated inside the graph",
      bytes: () => {
        const full = savedModel([...base, tfNode("r", "ReadFile")]);
        return full.subarray(0, full.length - 3);
      },
      verdict: "unscannable",
      code: "UNSCANNABLE",
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const node = await scan(c.bytes());
      assert.equal(node.verdict, c.verdict, JSON.stringify(node.findings));
      assert.ok(
        node.findings.some((f) => f.code === c.code),
        JSON.stringify(node.findings),
      );
    });
  }
});
