/** TensorFlow >= 2.15 writes FingerprintDef.uuid (field 7) into fingerprint.pb (issue #13). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classifyProtobuf } from "../../../src/scan/protobuf/classify.js";
import { ProtoWindow } from "../../../src/scan/protobuf/wire.js";
import { bytesSource } from "../../../src/scan/source.js";
import { bytes, pbBytes, pbVarint } from "../protobuf/encode.js";

const classify = (data: Uint8Array) => classifyProtobuf(new ProtoWindow(bytesSource(data)));
const fingerprint = (...extra: number[][]) =>
  bytes(
    pbVarint(1, 1),
    pbVarint(2, 2),
    pbVarint(3, 3),
    pbVarint(4, 4),
    pbVarint(5, 5),
    pbBytes(6, pbVarint(1, 2)),
    ...extra,
  );

describe("TensorFlow fingerprint.pb", () => {
  it("reads the uuid field TensorFlow 2.21 writes", () => {
    assert.equal(
      classify(fingerprint(pbBytes(7, "2435576619166478198078220306021910420175"))).kind,
      "tf-fingerprint",
    );
  });

  it("does not take a field 7 holding a message or binary for a uuid", () => {
    assert.equal(classify(fingerprint(pbBytes(7, pbBytes(1, pbBytes(4, "Add"))))).kind, "unknown");
    assert.equal(classify(fingerprint(pbBytes(7, [0xff, 0x00, 0x01]))).kind, "unknown");
    assert.equal(classify(fingerprint(pbBytes(7, "x".repeat(65)))).kind, "unknown");
  });
});
