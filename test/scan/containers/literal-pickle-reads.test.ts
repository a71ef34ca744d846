/** The literal decoder reads a file through a read-ahead block, not one read per opcode. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeLiteralPickle } from "../../../src/scan/containers/literal-pickle.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";

function counting(bytes: Uint8Array): ByteSource & { reads: number } {
  const inner = bytesSource(bytes);
  const src = {
    size: inner.size,
    reads: 0,
    read(offset: number, length: number): Uint8Array {
      src.reads += 1;
      return inner.read(offset, length);
    },
  };
  return src;
}

describe("decodeLiteralPickle reads", () => {
  test("a list of 10,000 small ints (20,000 opcode bytes) costs one read, and decodes right", () => {
    const n = 10_000;
    const body: number[] = [0x80, 2, 0x5d, 0x28]; // PROTO 2, EMPTY_LIST, MARK
    for (let i = 0; i < n; i++) body.push(0x4b, i & 0xff); // BININT1
    body.push(0x65, 0x2e); // APPENDS, STOP
    const source = counting(Uint8Array.from(body));
    const { value, end } = decodeLiteralPickle(source, 0);
    assert.ok(Array.isArray(value));
    assert.equal(value.length, n);
    assert.equal(value[257], 1);
    assert.equal(end, body.length);
    assert.ok(source.reads <= 2, `${source.reads} reads`);
  });

  test("a pickle at an offset of a larger source still decodes (reads stay within the source)", () => {
    const pickle = [0x80, 2, 0x58, 3, 0, 0, 0, 0x61, 0x62, 0x63, 0x2e]; // BINUNICODE "abc", STOP
    const bytes = new Uint8Array(100_000);
    bytes.set(pickle, 70_000);
    const source = counting(bytes);
    assert.deepEqual(decodeLiteralPickle(source, 70_000), {
      value: "abc",
      end: 70_000 + pickle.length,
    });
    assert.ok(source.reads <= 2, `${source.reads} reads`);
  });
});
