/**
 * BlobWriter against real files: what is hashed is exactly what lands on disk, across many batches,
 * with backpressure honoured, from a resume position, and with a disk that refuses writes.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, test } from "node:test";
import { BlobWriter } from "../../src/io/blob-writer.js";
import { tempDir } from "../helpers/run-cli.js";

let dir: { path: string; cleanup: () => void } | undefined;
afterEach(() => dir?.cleanup());

/** Deterministic uneven chunk sizes (1 byte to ~70 KB). */
function chunksOf(data: Buffer, seed = 7): Buffer[] {
  const out: Buffer[] = [];
  let x = seed;
  for (let at = 0; at < data.length; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = Math.min(data.length - at, 1 + (x % 70_000));
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Feeds chunks the way io/download.ts does: pause on false, resume on whenReady. */
async function feed(sink: BlobWriter, chunks: Buffer[], track?: (chunk: Buffer) => void) {
  for (const chunk of chunks) {
    track?.(chunk);
    if (!sink.write(chunk)) await sink.whenReady();
  }
}

test("the bytes hashed are the bytes on disk, over many batches, with backpressure bounding what waits", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  const data = randomBytes(3 * 1024 * 1024 + 17);
  const hash = createHash("sha256");
  const handle = await open(path, "w");
  let written = 0;
  let handed = 0;
  let worstWaiting = 0;
  const sink = new BlobWriter(handle, 0, hash, {
    batchBytes: 64 * 1024,
    maxInFlightBytes: 128 * 1024,
    syncEveryBytes: 256 * 1024,
    onWritten: (n) => {
      written += n;
    },
  });
  try {
    await feed(sink, chunksOf(data), (chunk) => {
      handed += chunk.length;
      worstWaiting = Math.max(worstWaiting, handed - written);
    });
    assert.equal(await sink.close(), data.length);
  } finally {
    await handle.close();
  }
  assert.ok(readFileSync(path).equals(data), "file content");
  assert.equal(hash.digest("hex"), createHash("sha256").update(data).digest("hex"));
  assert.equal(written, data.length, "onWritten saw every byte");
  // At most the in-flight bound plus the one chunk that crossed it.
  assert.ok(worstWaiting <= 128 * 1024 + 70_000, `waiting peaked at ${worstWaiting}`);
});

test("writing from a resume position keeps the prefix and cuts off stale bytes after the end", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  const data = randomBytes(300_000);
  // An earlier attempt left 100 000 good bytes and then junk (as if a longer body had been cut).
  writeFileSync(path, Buffer.concat([data.subarray(0, 100_000), Buffer.alloc(400_000, 0xee)]));
  const hash = createHash("sha256");
  const handle = await open(path, "r+");
  const sink = new BlobWriter(handle, 100_000, hash, { batchBytes: 32 * 1024 });
  try {
    await feed(sink, chunksOf(data.subarray(100_000), 3));
    assert.equal(await sink.close(), data.length);
  } finally {
    await handle.close();
  }
  assert.ok(readFileSync(path).equals(data));
  assert.equal(
    hash.digest("hex"),
    createHash("sha256").update(data.subarray(100_000)).digest("hex"),
    "only the new bytes went through this sink's hash",
  );
});

test("thousands of tiny chunks (more than one writev may take) still land in order", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  const data = randomBytes(5000);
  const hash = createHash("sha256");
  const handle = await open(path, "w");
  const sink = new BlobWriter(handle, 0, hash, { batchBytes: 1 << 20 });
  try {
    for (let i = 0; i < data.length; i++) sink.write(new Uint8Array(data.subarray(i, i + 1)));
    sink.write(new Uint8Array(0));
    assert.equal(await sink.close(), data.length);
  } finally {
    await handle.close();
  }
  assert.ok(readFileSync(path).equals(data));
  assert.equal(hash.digest("hex"), createHash("sha256").update(data).digest("hex"));
});

test("a disk that refuses the write fails the sink: the next write or close throws, waiting ends", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  writeFileSync(path, "");
  const handle = await open(path, "r"); // writes fail with EBADF
  const sink = new BlobWriter(handle, 0, createHash("sha256"), {
    batchBytes: 1024,
    maxInFlightBytes: 1024,
  });
  try {
    assert.equal(sink.write(randomBytes(4096)), false, "over the in-flight bound");
    await sink.whenReady(); // must resolve although no write will ever succeed
    assert.throws(() => sink.write(randomBytes(10)), { code: "EBADF" });
    await assert.rejects(sink.close(), { code: "EBADF" });
    await sink.settle();
  } finally {
    await handle.close();
  }
  assert.equal(readFileSync(path).length, 0);
});
