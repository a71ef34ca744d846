/**
 * readAheadSource: the same bytes as its parent for every read, with far fewer parent reads when
 * the reads are small and close together.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { type ByteSource, bytesSource, readAheadSource } from "../../src/scan/source.js";

function counted(bytes: Uint8Array): ByteSource & { reads: number } {
  const inner = bytesSource(bytes);
  const source = {
    reads: 0,
    size: inner.size,
    read(offset: number, length: number) {
      source.reads++;
      // Fresh memory per read, as the file-backed source gives.
      return Uint8Array.from(inner.read(offset, length));
    },
  };
  return source;
}

test("every read returns the parent's bytes: inside a block, across blocks, past the end, larger than a block", () => {
  const data = new Uint8Array(randomBytes(10_000));
  const ahead = readAheadSource(counted(data), 1024);
  const reads: [number, number][] = [
    [0, 10],
    [5, 100],
    [1000, 100], // crosses the first block's end
    [1020, 4],
    [9990, 50], // runs past the end: fewer bytes
    [10_000, 5], // at the end: nothing
    [-5, 3], // before the start: clamped as the parent does
    [3000, 5000], // larger than a block: straight from the parent
    [2990, 20],
  ];
  for (const [offset, length] of reads)
    assert.deepEqual(
      ahead.read(offset, length),
      bytesSource(data).read(offset, length),
      `read(${offset}, ${length})`,
    );
  assert.equal(ahead.size, data.length);
});

test("small sequential reads cost one parent read per block, and earlier bytes stay as they were", () => {
  const data = new Uint8Array(randomBytes(1 << 20));
  const parent = counted(data);
  const ahead = readAheadSource(parent, 64 << 10);
  const kept: Uint8Array[] = [];
  for (let at = 0; at + 7 <= data.length; at += 7) kept.push(ahead.read(at, 7));
  assert.ok(parent.reads <= 17, `${parent.reads} parent reads for ${kept.length} small reads`);
  for (let i = 0; i < kept.length; i += 997)
    assert.deepEqual(kept[i], data.subarray(i * 7, i * 7 + 7), `read ${i} changed`);
});
