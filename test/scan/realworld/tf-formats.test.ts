/**
 * TFLite models and tf.train.Checkpoint files (issue #13): read as their loaders read them; custom
 * and Flex ops are named; structures that cannot be followed fail closed.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { detectFormat } from "../../../src/scan/detect.js";
import { bytesSource } from "../../../src/scan/source.js";
import { scan, show } from "../containers/helpers.js";

const u16 = (n: number) => [n & 0xff, n >> 8];
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

/** A minimal TFLite FlatBuffer: one operator code with a builtin code and maybe a custom name. */
function tflite(builtin: number, custom?: string): Uint8Array {
  const name = custom === undefined ? [] : [...new TextEncoder().encode(custom)];
  const bytes = [
    ...u32(16), // root table at 16
    ..."TFL3".split("").map((c) => c.charCodeAt(0)),
    ...[...u16(8), ...u16(8), ...u16(0), ...u16(4)], // Model vtable at 8: field 1 at +4
    ...u32(8), // Model table at 16: soffset to vtable
    ...u32(4), // at 20: operator_codes -> 24
    ...u32(1), // vector at 24, one element
    ...u32(16), // at 28: -> 44
    ...[
      ...u16(12),
      ...u16(12),
      ...u16(0),
      ...u16(custom === undefined ? 0 : 4),
      ...u16(0),
      ...u16(8),
    ],
    ...u32(12), // OperatorCode table at 44
    ...u32(8), // at 48: custom_code -> 56
    ...u32(builtin), // at 52: builtin_code
    ...u32(name.length),
    ...name,
    0,
  ];
  return Uint8Array.from(bytes);
}

describe("TFLite", () => {
  it("is detected by its file identifier and reads built-in ops as clean", async () => {
    const model = tflite(0);
    assert.equal(detectFormat(bytesSource(model)).format, "tflite");
    const node = await scan(model);
    assert.equal(node.verdict, "clean", show(node));
  });

  it("names custom and Flex ops as findings", async () => {
    const flex = await scan(tflite(32, "FlexReadFile"));
    assert.equal(flex.verdict, "suspicious");
    assert.match(flex.findings[0]?.message ?? "", /Flex op "FlexReadFile"/);
    const custom = await scan(tflite(32, "MyKernel"));
    assert.match(custom.findings[0]?.message ?? "", /custom op "MyKernel"/);
    assert.equal((await scan(tflite(32))).verdict, "suspicious");
  });

  it("fails closed on offsets outside the file", async () => {
    const model = tflite(0);
    for (const cut of [12, 30, 50]) {
      const node = await scan(model.subarray(0, cut));
      assert.notEqual(node.verdict, "clean", `${cut}: ${show(node)}`);
    }
    const lying = model.slice();
    lying[28] = 0xf0;
    assert.notEqual((await scan(lying)).verdict, "clean");
  });

  it("reads the TFLite model TensorFlow 2.21 wrote as clean", async () => {
    const file = new URL(
      "../../../fixtures/realworld/current/tensorflow_saves/adder.tflite",
      import.meta.url,
    );
    const node = await scan(new Uint8Array(readFileSync(file)));
    assert.equal(node.format, "tflite");
    assert.equal(node.verdict, "clean", show(node));
  });
});

describe("tf.train.Checkpoint", () => {
  const dir = new URL(
    "../../../fixtures/realworld/current/tensorflow_saves/ckpt/",
    import.meta.url,
  );
  const index = new Uint8Array(readFileSync(new URL("model-1.index", dir)));

  it("reads the index (SSTable) as tensor metadata", async () => {
    const node = await scan(index);
    assert.equal(node.format, "tf-checkpoint-index");
    assert.equal(node.verdict, "clean", show(node));
  });

  it("fails closed on an index whose block handles point past the data", async () => {
    const lying = index.slice();
    lying[lying.length - 48] = 0xff;
    lying[lying.length - 47] = 0x7f;
    assert.equal((await scan(lying)).verdict, "unscannable");
  });

  it("labels a data shard only beside its index", async () => {
    const shard = new Uint8Array(readFileSync(new URL("model-1.data-00000-of-00001", dir)));
    assert.notEqual((await scan(shard)).verdict, "clean");
  });
});
