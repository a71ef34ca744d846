import assert from "node:assert/strict";
import { test } from "node:test";
import { finding } from "../../src/core/finding.js";
import { makeNode, type ScanNode } from "../../src/core/report.js";
import { applyCompanionData } from "../../src/scan/companions.js";

const unknown = (path: string): ScanNode =>
  makeNode({
    path,
    format: "unknown",
    findings: [finding("UNSCANNABLE", "unscannable", "no format")],
  });

test("ONNX external data named by the model becomes raw data; other unknown files still block", () => {
  const model = makeNode({
    path: "m/onnx/model.onnx",
    format: "onnx",
    findings: [],
    summary: { externalDataFiles: ["model.onnx_data"] },
  });
  const out = applyCompanionData([
    model,
    unknown("m/onnx/model.onnx_data"),
    unknown("m/onnx/other.bin"),
  ]);
  assert.equal(out[1]?.format, "onnx-external-data");
  assert.equal(out[1]?.verdict, "clean");
  assert.equal(out[2]?.verdict, "unscannable");
});

test("a pickle under an external-data name is still a pickle", () => {
  const model = makeNode({
    path: "model.onnx",
    format: "onnx",
    findings: [],
    summary: { externalDataFiles: ["weights.bin"] },
  });
  const evil = makeNode({
    path: "weights.bin",
    format: "pickle",
    findings: [finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "os.system")],
  });
  assert.equal(applyCompanionData([model, evil])[1]?.verdict, "malicious");
});

test("an external-data location that escapes the model folder re-labels nothing", () => {
  const model = makeNode({
    path: "m/model.onnx",
    format: "onnx",
    findings: [],
    summary: { externalDataFiles: ["../secret.bin"] },
  });
  assert.equal(applyCompanionData([model, unknown("secret.bin")])[1]?.verdict, "unscannable");
});

test("SavedModel variables beside saved_model.pb become raw data", () => {
  const model = makeNode({ path: "sm/saved_model.pb", format: "savedmodel", findings: [] });
  const out = applyCompanionData([
    model,
    unknown("sm/variables/variables.index"),
    unknown("sm/variables/variables.data-00000-of-00001"),
    unknown("sm/variables/notes.bin"),
    unknown("elsewhere/variables/variables.index"),
  ]);
  assert.deepEqual(
    out.map((n) => n.format),
    ["savedmodel", "tf-variables", "tf-variables", "unknown", "unknown"],
  );
});
