/**
 * Protobuf files that do not start with field 1: writers omit default-valued fields, so a
 * SavedModel with schema version 0 starts with meta_graphs (0x12) and an ONNX model without
 * ir_version with producer_name or graph. The manifest has three such fixtures (their expected
 * verdicts are also checked with the other fixtures by the savedmodel/ and onnx/ scan tests); here
 * every other committed SavedModel and ONNX fixture is also scanned without its leading field 1,
 * so the rest of each file is the generator's bytes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { applyCompanionData } from "../../../src/scan/companions.js";
import { detectFormat } from "../../../src/scan/detect.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { looksLikeProtobuf, PROTOBUF_BY_STRUCTURE } from "../../../src/scan/protobuf/probe.js";
import { scanProtobuf } from "../../../src/scan/protobuf/scan.js";
import { MAX_FIELDS_PER_MESSAGE } from "../../../src/scan/protobuf/wire.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";
import { bytes, cat, pbBytes, pbVarint, savedModel, tfNode, varint } from "./encode.js";
import {
  directContext,
  emptyPolicy,
  type FormatFixture,
  formatFixtures,
} from "./fixture-manifest.js";

/** The message without its leading field 1 (a varint), as a writer that omits it would emit. */
function withoutField1(data: Uint8Array): Uint8Array {
  assert.equal(data[0], 0x08, "the original starts with field 1 as a varint");
  let i = 1;
  while ((data[i] ?? 0) & 0x80) i++;
  return data.subarray(i + 1);
}

const fixtureBytes = (f: FormatFixture) =>
  new Uint8Array(readFileSync(`fixtures/formats/${f.path}`));

const startsWithField1 = (f: FormatFixture) => fixtureBytes(f)[0] === 0x08;

const scan = (data: Uint8Array, path = "saved_model.pb"): Promise<ScanNode> =>
  scanSource(bytesSource(data), { policy: emptyPolicy, path });

/** Scans through the scanner directly (the dispatcher would turn a throw into a node). */
const scanDirect = (data: Uint8Array) =>
  scanProtobuf(bytesSource(data), directContext("x.pb"), detectFormat(bytesSource(data)));

function assertLike(node: ScanNode, fixture: FormatFixture): void {
  const detail = JSON.stringify(node.findings);
  assert.equal(node.format, fixture.format, detail);
  assert.equal(node.verdict, fixture.verdict, detail);
  for (const code of fixture.codes ?? [])
    assert.ok(
      node.findings.some((f) => f.code === code),
      `${code}: ${detail}`,
    );
  if (fixture.verdict === "clean") assert.equal(node.findings.length, 0, detail);
}

describe("manifest fixtures without field 1", () => {
  const cases: Array<[string, number]> = [
    ["savedmodel/no-schema-version/saved_model.pb", 0x12],
    ["onnx/no-ir-version.onnx", 0x12],
    ["onnx/graph-first.onnx", 0x3a],
  ];
  for (const [path, first] of cases) {
    it(`${path} starts with 0x${first.toString(16)} and is found by structure`, async () => {
      const [fixture] = formatFixtures(path);
      assert.ok(fixture, `${path} is in the manifest`);
      const data = fixtureBytes(fixture);
      assert.equal(data[0], first);
      assert.deepEqual(detectFormat(bytesSource(data)), {
        format: "protobuf",
        detail: PROTOBUF_BY_STRUCTURE,
      });
      assertLike(await scan(data, path), fixture);
    });
  }

  it("the SavedModel one reports both its ReadFile and its PyFunc", async () => {
    const [fixture] = formatFixtures("savedmodel/no-schema-version/");
    const node = await scan(fixtureBytes(fixture!));
    const ops = node.findings.map((f) => (f.evidence as { op?: string } | undefined)?.op).sort();
    assert.deepEqual(ops, ["PyFunc", "ReadFile"]);
  });
});

describe("SavedModel without saved_model_schema_version (starts with meta_graphs, 0x12)", () => {
  const fixtures = formatFixtures("savedmodel/").filter(
    (f) => f.path.endsWith("saved_model.pb") && startsWithField1(f),
  );

  it("covers the dangerous-op fixtures", () => {
    const codes = fixtures.flatMap((f) => f.codes ?? []);
    assert.ok(codes.includes("SAVEDMODEL_DANGEROUS_OP"));
    assert.ok(fixtures.some((f) => f.verdict === "clean"));
  });

  for (const fixture of fixtures) {
    it(`${fixture.path} without field 1 → ${fixture.format}, ${fixture.verdict}`, async () => {
      const data = withoutField1(fixtureBytes(fixture));
      assert.equal(data[0], 0x12);
      assert.deepEqual(detectFormat(bytesSource(data)), {
        format: "protobuf",
        detail: PROTOBUF_BY_STRUCTURE,
      });
      assertLike(await scan(data), fixture);
    });
  }

  it("keeps the summary of the benign model", async () => {
    const [benign] = formatFixtures("savedmodel/benign/saved_model.pb");
    const node = await scan(withoutField1(fixtureBytes(benign!)));
    assert.equal(node.summary?.nodes, 7);
    assert.deepEqual(node.summary?.checkpointOps, ["RestoreV2", "SaveV2"]);
  });

  it("finds PyFunc, WriteFile and ReadFile in a model larger than the detection window", async () => {
    // The first field's payload runs past the 8 KiB that detection reads at once, so the probe
    // must follow it with a read of its own.
    const filler = Array.from({ length: 400 }, (_, i) => tfNode(`dense_${i}/MatMul`, "MatMul"));
    const data = withoutField1(
      savedModel(
        [...filler, tfNode("r", "ReadFile"), tfNode("w", "WriteFile")],
        [["f", [tfNode("p", "PyFunc")]]],
      ),
    );
    assert.ok(data.length > 8192);
    assert.equal(detectFormat(bytesSource(data)).format, "protobuf");
    const node = await scan(data);
    assert.equal(node.format, "savedmodel");
    assert.equal(node.verdict, "malicious");
    const ops = node.findings
      .filter((f) => f.code === "SAVEDMODEL_DANGEROUS_OP")
      .map((f) => (f.evidence as { op?: string } | undefined)?.op)
      .sort();
    assert.deepEqual(ops, ["PyFunc", "ReadFile", "WriteFile"]);
  });
});

describe("ONNX model without ir_version", () => {
  const fixtures = formatFixtures("onnx/").filter(startsWithField1);
  for (const fixture of fixtures) {
    it(`${fixture.path} without field 1 → ${fixture.format}, ${fixture.verdict}`, async () => {
      const data = withoutField1(fixtureBytes(fixture));
      assert.ok(data[0] !== 0x08 && data[0] !== 0x0a);
      assert.equal(detectFormat(bytesSource(data)).detail, PROTOBUF_BY_STRUCTURE);
      const node = await scan(data, "model.onnx");
      assertLike(node, fixture);
      assert.equal(node.summary?.irVersion, undefined);
    });
  }

  it("an ONNX model whose first field is the graph (0x3a) is still walked", async () => {
    const graph = cat(
      pbBytes(1, cat(pbBytes(1, "x"), pbBytes(2, "y"), pbBytes(4, "Evil"), pbBytes(7, "evil.ops"))),
    );
    const data = bytes(pbBytes(7, graph), pbBytes(8, cat(pbBytes(1, "evil.ops"), pbVarint(2, 1))));
    assert.equal(data[0], 0x3a);
    const node = await scan(data, "model.onnx");
    assert.equal(node.format, "onnx");
    assert.ok(
      node.findings.some((f) => f.code === "ONNX_CUSTOM_DOMAIN"),
      JSON.stringify(node.findings),
    );
  });
});

describe("protobuf probe: hostile heads", () => {
  // None starts with 0x08/0x0a, so only the structural probe could call them protobuf.
  const cases: Array<[string, Uint8Array]> = [
    ["wire type 3 (group)", bytes([0x13, 0x01, 0x02, 0x03])],
    ["wire type 7", bytes([0x17, 0x01, 0x02, 0x03])],
    ["field number 0", bytes([0x02, 0x01, 0x41])],
    ["key longer than two bytes", bytes([0x92, 0x80, 0x01, 0x00])],
    ["valid field, then a bad tag", bytes(pbBytes(2, "ok"), [0x0f, 0x00])],
    ["eleven-byte varint", bytes([0x10], new Array(10).fill(0xff), [0x01])],
    ["ten-byte varint over 64 bits", bytes([0x10], new Array(9).fill(0xff), [0x02])],
    ["length past the end", bytes([0x12], varint(1000), [1, 2, 3])],
    ["length of 2^63", bytes([0x12], varint(2n ** 63n), [1, 2, 3])],
    ["length past the end of a large file", bytes([0x12], varint(20_000), new Array(19_000))],
    ["truncated length varint", bytes([0x12, 0x85])],
    ["truncated varint value", bytes([0x10, 0xff, 0xff])],
    ["truncated fixed64", bytes([0x11, 1, 2, 3])],
    ["truncated fixed32", bytes([0x15, 1, 2])],
    ["second field truncated", bytes(pbBytes(2, "ab"), [0x1d, 0x00])],
    ["lone key", bytes([0x12])],
  ];
  for (const [name, data] of cases) {
    it(`${name}: not protobuf, unscannable`, async () => {
      assert.equal(looksLikeProtobuf(bytesSource(data), data), false);
      const detection = detectFormat(bytesSource(data));
      assert.notEqual(detection.format, "protobuf");
      const node = await scan(data, "blob.bin");
      assert.equal(node.verdict, "unscannable", JSON.stringify(node));
    });
  }

  it("a float tensor filled with one constant is not protobuf", () => {
    // 28 e9 d5 3f (1.6711779f) reads as field 5, a varint, over and over.
    const data = new Uint8Array(new Float32Array(4096).fill(1.6711779).buffer);
    assert.deepEqual([...data.subarray(0, 8)], [0x28, 0xe9, 0xd5, 0x3f, 0x28, 0xe9, 0xd5, 0x3f]);
    assert.equal(detectFormat(bytesSource(data)).format, "unknown");
  });

  it("reads past the head are few and stay inside the file", () => {
    const data = bytes([0x12], varint(20_000), new Array(20_000).fill(0x41), pbBytes(3, "z"));
    const reads: Array<[number, number]> = [];
    const inner = bytesSource(data);
    const source: ByteSource = {
      size: inner.size,
      read(offset, length) {
        reads.push([offset, length]);
        assert.ok(offset >= 0 && offset < inner.size, `read at ${offset}`);
        return inner.read(offset, length);
      },
    };
    assert.equal(detectFormat(source).detail, PROTOBUF_BY_STRUCTURE);
    // head, the zip end-record search at the tail (a zip behind prepended data), the probe, and
    // the pickle reading's first byte
    assert.ok(reads.length <= 4, JSON.stringify(reads));
  });
});

describe("protobuf found by structure but not classified", () => {
  it("is unscannable, labelled unknown, with the classifier's reason", async () => {
    const data = bytes(pbVarint(3, 5), pbBytes(4, "x"), pbBytes(2, "y"));
    assert.equal(detectFormat(bytesSource(data)).detail, PROTOBUF_BY_STRUCTURE);
    const node = await scan(data, "blob.bin");
    assert.equal(node.verdict, "unscannable");
    assert.equal(node.format, "unknown");
    assert.match(node.findings[0]?.message ?? "", /match no ONNX, SavedModel/);
  });

  it("a SavedModel-like message whose meta graph is garbage is not a SavedModel", async () => {
    const data = bytes(pbBytes(2, [0xff, 0xff, 0xff]));
    const node = await scan(data);
    assert.equal(node.verdict, "unscannable");
    assert.notEqual(node.format, "savedmodel");
  });

  it("raw variables that pass the probe by chance are still re-labelled as the SavedModel's data", async () => {
    // Bytes that parse as a field chain (field 2, 5 bytes; repeated) and match no message.
    const data = bytes(...Array.from({ length: 40 }, (_, i) => pbBytes(2, [i, 1, 2, 3, 4])));
    assert.equal(detectFormat(bytesSource(data)).detail, PROTOBUF_BY_STRUCTURE);
    const variables = await scan(data, "m/variables/variables.data-00000-of-00001");
    assert.equal(variables.verdict, "unscannable");
    const model = await scan(
      withoutField1(savedModel([tfNode("x", "MatMul")])),
      "m/saved_model.pb",
    );
    assert.equal(model.format, "savedmodel");
    const [, relabelled] = applyCompanionData([model, variables]);
    assert.equal(relabelled?.format, "tf-variables");
    assert.equal(relabelled?.verdict, "clean");
  });

  it("variables of float32 0.01 (first byte 0x0a, a protobuf-like start) are the SavedModel's data too", async () => {
    const floats = new Float32Array(4096).fill(0.01);
    const data = new Uint8Array(floats.buffer);
    assert.equal(data[0], 0x0a);
    assert.equal(detectFormat(bytesSource(data)).format, "protobuf");
    const variables = await scan(data, "m/variables/variables.data-00000-of-00001");
    assert.equal(variables.verdict, "unscannable");
    assert.equal(variables.format, "unknown");
    const model = await scan(savedModel([tfNode("x", "MatMul")]), "m/saved_model.pb");
    assert.equal(model.format, "savedmodel");
    const [, relabelled] = applyCompanionData([model, variables]);
    assert.equal(relabelled?.format, "tf-variables");
    assert.equal(relabelled?.verdict, "clean");
  });

  it("a message of more than MAX_FIELDS_PER_MESSAGE fields is not walked to its end: unscannable, saying why", async () => {
    const field = pbBytes(2, [1, 2, 3]); // 5 bytes per field
    const count = MAX_FIELDS_PER_MESSAGE + 1;
    const data = new Uint8Array(field.length * count);
    for (let i = 0; i < count; i++) data.set(field, i * field.length);
    const node = await scan(data, "huge.pb");
    assert.equal(node.verdict, "unscannable");
    assert.match(
      node.findings[0]?.message ?? "",
      /more than 2000000 fields in one message, a limit of this scanner/,
    );
  });

  it("seeded random bytes never throw and are never clean", async () => {
    let seed = 0x9e3779b9;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    let probed = 0;
    for (let i = 0; i < 3000; i++) {
      const data = new Uint8Array(1 + Math.floor(rand() * (i % 3 === 0 ? 24 : 600)));
      for (let j = 0; j < data.length; j++) data[j] = Math.floor(rand() * 256);
      const detection = detectFormat(bytesSource(data));
      if (detection.detail !== PROTOBUF_BY_STRUCTURE) continue;
      probed++;
      const node = await scanDirect(data);
      assert.notEqual(node.verdict, "clean", `case ${i}: ${JSON.stringify(node)}`);
    }
    assert.ok(probed > 0, "no random input passed the probe: the loop checks nothing");
  });

  it("random bytes longer than the probe's field count do not pass it", () => {
    let seed = 0x1234567;
    const rand = () => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) / 2 ** 32;
    };
    for (let i = 0; i < 2000; i++) {
      const data = new Uint8Array(4096);
      for (let j = 0; j < data.length; j++) data[j] = Math.floor(rand() * 256);
      assert.equal(looksLikeProtobuf(bytesSource(data), data), false, `case ${i}`);
    }
  });
});
