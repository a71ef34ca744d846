import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { classifyProtobuf } from "../../../src/scan/protobuf/classify.js";
import { scanProtobuf } from "../../../src/scan/protobuf/scan.js";
import { ProtoWindow } from "../../../src/scan/protobuf/wire.js";
import { bytesSource } from "../../../src/scan/source.js";
import { bytes, cat, pbBytes, pbVarint, varint } from "./encode.js";
import {
  assertExpected,
  directContext,
  emptyPolicy,
  formatFixtures,
  scanFixture,
} from "./fixture-manifest.js";

const scan = (data: Uint8Array): Promise<ScanNode> =>
  scanSource(bytesSource(data), { policy: emptyPolicy, path: "file.pb" });

const classify = (data: Uint8Array) => classifyProtobuf(new ProtoWindow(bytesSource(data)));

describe("protobuf fixtures", () => {
  for (const fixture of [...formatFixtures("protobuf/"), ...formatFixtures("sentencepiece/")]) {
    it(`${fixture.path} → ${fixture.verdict}`, async () => {
      assertExpected(await scanFixture(fixture), fixture);
    });
  }

  it("summarises a SentencePiece model", async () => {
    const [spm] = formatFixtures("sentencepiece/");
    const node = await scanFixture(spm!);
    assert.equal(node.summary?.pieces, 6);
    assert.equal(node.summary?.modelType, "unigram");
    assert.equal(node.summary?.vocabSize, 6);
    assert.deepEqual(node.summary?.piecesByType, { unknown: 1, control: 2, normal: 3 });
  });
});

describe("protobuf classification", () => {
  const piece = (text: string) =>
    pbBytes(1, cat(pbBytes(1, text), [0x15, 0, 0, 0x80, 0xbf], pbVarint(3, 1)));

  it("tells ONNX, SavedModel, SentencePiece and fingerprints apart", () => {
    assert.equal(
      classify(bytes(pbVarint(1, 8), pbBytes(7, pbBytes(1, pbBytes(4, "Add"))))).kind,
      "onnx",
    );
    assert.equal(classify(bytes(pbVarint(1, 1), pbBytes(2, pbBytes(2, "")))).kind, "savedmodel");
    assert.equal(classify(bytes(piece("a"), piece("b"))).kind, "sentencepiece");
    const fp = bytes(
      pbVarint(1, 1),
      pbVarint(2, 2),
      pbVarint(3, 3),
      pbVarint(4, 4),
      pbVarint(5, 5),
      pbBytes(6, pbVarint(1, 1)),
    );
    assert.equal(classify(fp).kind, "tf-fingerprint");
  });

  it("does not take an ONNX header without a graph for a SavedModel", () => {
    assert.equal(classify(bytes(pbVarint(1, 8), pbBytes(2, "pytorch"))).kind, "unknown");
  });

  it("does not take a piece list with invalid UTF-8 for SentencePiece", () => {
    assert.equal(classify(bytes(pbBytes(1, pbBytes(1, [0xff, 0xfe])))).kind, "unknown");
  });

  it("rejects a lone varint (not a fingerprint, not anything)", () => {
    assert.equal(classify(bytes(pbVarint(1, 5))).kind, "unknown");
  });
});

describe("protobuf hostile catalogue", () => {
  const cases: Array<[string, Uint8Array]> = [
    ["truncated varint", bytes([0x08, 0xff, 0xff])],
    ["eleven-byte varint", bytes([0x08], new Array(10).fill(0xff), [0x01])],
    ["length past the end", bytes([0x08, 0x01, 0x3a], varint(1_000_000), [1, 2, 3])],
    ["length of 2^63", bytes([0x08, 0x01, 0x3a], varint(2n ** 63n))],
    ["group start (wire type 3)", bytes([0x08, 0x01, 0x0b])],
    ["group start at the start", bytes([0x0b, 0x08, 0x01, 0x0c])],
    ["wire type 7", bytes([0x08, 0x01, 0x0f])],
    ["field number 0", bytes([0x08, 0x01, 0x02, 0x00])],
    ["truncated fixed64", bytes([0x08, 0x01, 0x09, 1, 2])],
    ["ONNX graph as a varint", bytes(pbVarint(1, 8), pbVarint(7, 1))],
    ["SavedModel with a varint meta graph", bytes(pbVarint(1, 1), pbVarint(2, 5))],
    [
      "keras_metadata-like message",
      bytes(pbBytes(1, cat(pbVarint(1, 0), pbBytes(2, "root"), pbBytes(4, "{}")))),
    ],
  ];
  for (const [name, data] of cases) {
    it(name, async () => {
      const node = await scan(data);
      assert.equal(node.verdict, "unscannable", JSON.stringify(node));
      assert.ok(node.findings.length > 0);
    });
  }

  it("random bytes starting with 0x08 or 0x0a never throw and are never clean", async () => {
    let seed = 0x2545f491;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (let i = 0; i < 400; i++) {
      const data = new Uint8Array(1 + Math.floor(rand() * 200));
      for (let j = 0; j < data.length; j++) data[j] = Math.floor(rand() * 256);
      data[0] = i % 2 === 0 ? 0x08 : 0x0a;
      // Straight to the scanner: the dispatcher would hide a throw.
      const node = await scanProtobuf(bytesSource(data), directContext("r.pb"), {
        format: "protobuf",
      });
      assert.equal(node.verdict, "unscannable", `case ${i}: ${JSON.stringify(node)}`);
    }
  });

  it("every truncation of the ONNX and SavedModel fixtures ends without a throw", async () => {
    // A protobuf cut at a field boundary is a shorter valid message, so some prefixes are
    // legitimately clean; what must never happen is an exception out of the scanner.
    let blocked = 0;
    let total = 0;
    for (const fixture of [...formatFixtures("onnx/"), ...formatFixtures("savedmodel/")]) {
      const full = readFileSync(`fixtures/formats/${fixture.path}`);
      for (let cut = 1; cut < full.length; cut++) {
        const node = await scanProtobuf(bytesSource(full.subarray(0, cut)), directContext("t.pb"), {
          format: "protobuf",
        });
        total++;
        if (node.verdict !== "clean") blocked++;
      }
    }
    assert.ok(blocked > total / 2, `${blocked} of ${total} truncations blocked`);
  });
});
