/**
 * The fuzzer's HDF5 assertion (tools/fuzz/compare.ts compareHdf5): what h5py read from a Keras
 * file against modelvet's verdict. A clean verdict on a file whose config h5py reads with a Lambda
 * layer, an unknown class or unparseable JSON is a disagreement; a blocking verdict never is.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ScanNode } from "../../src/core/report.js";
import { kerasKey } from "../../src/scan/keras/policy.js";
import { compareHdf5, type OracleRecord } from "../../tools/fuzz/compare.js";

const keras = {
  allowed: new Set([kerasKey("keras.layers", "Dense")]),
  legacyNames: new Set(["Dense", "Sequential"]),
};
const oracle = (names: [string, string][]): OracleRecord => ({
  readers: { h5py: { keras: names } },
  globals: [],
});
const node = (verdict: ScanNode["verdict"]) => ({ verdict }) as ScanNode;

test("a clean verdict where h5py reads a Lambda, an unknown class or broken JSON is a disagreement", () => {
  assert.equal(
    compareHdf5(oracle([["", "Lambda"]]), node("clean"), keras)[0]?.kind,
    "hdf5-missed/lambda",
  );
  assert.equal(
    compareHdf5(oracle([["evil.mod", "Thing"]]), node("clean"), keras)[0]?.kind,
    "hdf5-missed/unknown-class",
  );
  assert.equal(
    compareHdf5(oracle([["", "Mystery"]]), node("clean"), keras)[0]?.kind,
    "hdf5-missed/unknown-class",
  );
  assert.equal(
    compareHdf5(oracle([["<invalid json>", ""]]), node("clean"), keras)[0]?.kind,
    "hdf5-missed/invalid-json",
  );
});

test("allowed classes, or any blocking verdict, agree", () => {
  assert.deepEqual(
    compareHdf5(
      oracle([
        ["keras.layers", "Dense"],
        ["", "Sequential"],
      ]),
      node("clean"),
      keras,
    ),
    [],
  );
  for (const verdict of ["suspicious", "unscannable", "malicious"] as const)
    assert.deepEqual(compareHdf5(oracle([["", "Lambda"]]), node(verdict), keras), []);
});
