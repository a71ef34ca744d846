/**
 * LZMA-alone (joblib compress='lzma') decoding (issue #13): the real files joblib wrote decode and
 * scan; hostile streams end in a typed error or the output cap, never a crash, hang or output.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ScanError } from "../../../src/core/errors.js";
import { type OutputCap, OutputCapError } from "../../../src/scan/containers/decompress.js";
import { unlzmaAloneCapped } from "../../../src/scan/containers/lzma-alone.js";
import { scan, show } from "../containers/helpers.js";

const fixture = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../../fixtures/realworld/${name}`, import.meta.url)));
const FOREST = fixture("current/sklearn_joblib/forest.lzma.joblib");
const CAP: OutputCap = { max: 64 * 1024 * 1024, reason: "memory" };

const fails = (input: Uint8Array, cap = CAP) => {
  try {
    unlzmaAloneCapped(input, cap);
  } catch (error) {
    if (error instanceof ScanError || error instanceof OutputCapError) return error;
    throw error;
  }
  return undefined;
};

describe("LZMA-alone decoder", () => {
  it("decodes joblib's lzma files to the pickle joblib wrote (scanned clean)", async () => {
    const out = unlzmaAloneCapped(FOREST, CAP);
    assert.equal(out[0], 0x80, "a pickle PROTO opcode");
    assert.equal(out[out.length - 1], 0x2e, "ends with STOP");
    const node = await scan(FOREST);
    assert.equal(node.verdict, "clean", show(node));
    assert.equal(node.members?.[0]?.format, "pickle");
  });

  it("stops at the output cap", () => {
    assert.ok(fails(FOREST, { max: 100, reason: "ratio" }) instanceof OutputCapError);
  });

  it("refuses a truncated stream, trailing bytes, a bad first range byte and bad properties", () => {
    assert.ok(fails(FOREST.subarray(0, FOREST.length - 3)) instanceof ScanError);
    assert.ok(fails(FOREST.subarray(0, 12)) instanceof ScanError);
    const tail = new Uint8Array(FOREST.length + 4);
    tail.set(FOREST);
    assert.ok(fails(tail) instanceof ScanError);
    const badRange = FOREST.slice();
    badRange[13] = 1;
    assert.ok(fails(badRange) instanceof ScanError);
    const badProps = FOREST.slice();
    badProps[0] = 225;
    assert.ok(fails(badProps) instanceof ScanError);
  });

  it("refuses a declared size past the cap without decoding", () => {
    const big = FOREST.slice();
    new DataView(big.buffer).setUint32(9, 0x10, true);
    assert.ok(fails(big) instanceof OutputCapError);
  });

  it("ends every seeded mutation in output or a typed error, never a crash", async () => {
    let seed = 13;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 300; i++) {
      const m = FOREST.slice();
      for (let j = 0; j < 1 + (rand() % 4); j++) m[13 + (rand() % (m.length - 13))] = rand() & 0xff;
      fails(m, { max: 1 << 20, reason: "memory" });
    }
    const m = FOREST.slice();
    m[40] = (m[40] as number) ^ 0xff;
    const node = await scan(m);
    assert.ok(node.verdict !== undefined);
  });
});
