/**
 * ONNX: places an external-data location or a custom operator can hide that the hostile catalogue
 * in scan.test.ts does not reach: the training_info graphs, sparse tensors held by node attributes
 * (values and indices), a node with no op_type, a model-local function with no domain. Each must
 * be found and named where it sits.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";
import {
  cat,
  externalTensor,
  onnxGraph,
  onnxModel,
  onnxNode,
  pbBytes,
} from "../protobuf/encode.js";
import { emptyPolicy } from "../protobuf/fixture-manifest.js";

const scan = (bytes: Uint8Array): Promise<ScanNode> =>
  scanSource(bytesSource(bytes), { policy: emptyPolicy, path: "model.onnx" });

const ADD = pbBytes(1, onnxNode("Add"));
const escaping = (name: string) => externalTensor(name, ["location", "../../.ssh/id_rsa"]);

async function expectEscape(bytes: Uint8Array, where: string): Promise<void> {
  const node = await scan(bytes);
  assert.equal(node.verdict, "malicious", JSON.stringify(node.findings));
  const f = node.findings.find((x) => x.code === "ONNX_EXTERNAL_DATA_ESCAPE");
  assert.ok(f, JSON.stringify(node.findings));
  assert.ok(f.message.includes(where), f.message);
}

describe("ONNX: external data in less common places", () => {
  it("in the training_info initialization graph", async () => {
    const training = pbBytes(20, pbBytes(1, onnxGraph(pbBytes(5, escaping("t0")))));
    await expectEscape(
      onnxModel(onnxGraph(ADD), training),
      'tensor "t0" in training.initialization',
    );
  });

  it("in the training_info algorithm graph", async () => {
    const training = pbBytes(20, pbBytes(2, onnxGraph(pbBytes(5, escaping("t1")))));
    await expectEscape(onnxModel(onnxGraph(ADD), training), 'tensor "t1" in training.algorithm');
  });

  it("in the values of a node attribute's sparse_tensor", async () => {
    const attr = pbBytes(5, cat(pbBytes(1, "value"), pbBytes(22, pbBytes(1, escaping("sv")))));
    await expectEscape(
      onnxModel(onnxGraph(pbBytes(1, onnxNode("Constant", "", attr)))),
      'tensor "sv" in graph > Constant',
    );
  });

  it("in the indices of a tensor in a node attribute's sparse_tensors list", async () => {
    const attr = pbBytes(5, cat(pbBytes(1, "values"), pbBytes(23, pbBytes(2, escaping("si")))));
    await expectEscape(
      onnxModel(onnxGraph(pbBytes(1, onnxNode("Constant", "", attr)))),
      'tensor "si" in graph > Constant',
    );
  });

  it("in an attribute of a node that has no op_type (named 'node')", async () => {
    const attr = pbBytes(5, cat(pbBytes(1, "t"), pbBytes(5, escaping("n"))));
    await expectEscape(onnxModel(onnxGraph(pbBytes(1, attr))), 'tensor "n" in graph > node');
  });
});

describe("ONNX: custom operators in a model-local function with no domain", () => {
  it("is reported as a custom domain, first seen in 'function F'", async () => {
    const fn = pbBytes(25, cat(pbBytes(1, "F"), pbBytes(7, onnxNode("Evil", "org.evil"))));
    const node = await scan(onnxModel(onnxGraph(ADD), fn));
    const f = node.findings.find((x) => x.code === "ONNX_CUSTOM_DOMAIN");
    assert.ok(f, JSON.stringify(node.findings));
    assert.equal(f.verdict, "suspicious");
    assert.match(f.message, /"org\.evil" \(Evil\).*first seen in function F\)/);
    assert.deepEqual(node.summary?.customDomains, { "org.evil": ["Evil"] });
  });
});
