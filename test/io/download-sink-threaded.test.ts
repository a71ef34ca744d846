/**
 * ThreadedSink against real files and a real worker thread: the file holds exactly the bytes
 * handed over and the digests the worker returns equal node:crypto over that file, whatever the
 * chunks look like (odd sizes, subarrays of one buffer, pooled small Buffers, untransferable
 * memory); backpressure bounds what waits; a resume hashes the prefix in the worker; a disk that
 * fails, a worker that dies and a worker that cannot start end in an error, never a hang.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, test } from "node:test";
import { fileURLToPath } from "node:url";
import { markAsUntransferable } from "node:worker_threads";
import { ThreadedSink, type ThreadedSinkOptions } from "../../src/io/download-sink-threaded.js";
import { WorkerCrash } from "../../src/io/thread-pool.js";
import { tempDir } from "../helpers/run-cli.js";

let dir: { path: string; cleanup: () => void } | undefined;
afterEach(() => dir?.cleanup());

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex");
const gitSha1 = (data: Uint8Array) =>
  createHash("sha1").update(`blob ${data.length}\0`).update(data).digest("hex");

/** Deterministic uneven sizes (1 byte to ~70 KB), each chunk in its own fresh ArrayBuffer. */
function ownChunksOf(data: Buffer, seed = 7): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = seed;
  for (let at = 0; at < data.length; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = Math.min(data.length - at, 1 + (x % 70_000));
    out.push(new Uint8Array(data.subarray(at, at + n)));
    at += n;
  }
  return out;
}

/** Feeds chunks the way io/download.ts does: pause on false, resume on whenReady. */
async function feed(sink: ThreadedSink, chunks: Uint8Array[], before?: (n: number) => void) {
  for (const chunk of chunks) {
    before?.(chunk.byteLength);
    if (!sink.write(chunk)) await sink.whenReady();
  }
}

async function closeAndSettle(sink: ThreadedSink): Promise<number> {
  try {
    return await sink.close();
  } finally {
    await sink.settle();
  }
}

test("many batches of odd chunks: the file is the bytes given, the digests are node:crypto's, waiting stays bounded", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  const data = randomBytes(5 * 1024 * 1024 + 17);
  const chunks = ownChunksOf(data);
  let handed = 0;
  let written = 0;
  let worstWaiting = 0;
  const options: ThreadedSinkOptions = {
    batchBytes: 64 * 1024,
    maxInFlightBytes: 256 * 1024,
    syncEveryBytes: 512 * 1024,
    onWritten: (n) => {
      written += n;
    },
  };
  const sink = new ThreadedSink({ path, position: 0, gitBlobSize: data.length }, options);
  await feed(sink, chunks, (n) => {
    handed += n;
    worstWaiting = Math.max(worstWaiting, handed - written);
  });
  assert.equal(sink.position, data.length);
  assert.equal(await closeAndSettle(sink), data.length);
  const onDisk = readFileSync(path);
  assert.ok(onDisk.equals(data), "file content");
  assert.deepEqual(sink.digests(), {
    bytes: data.length,
    sha256: sha256(onDisk),
    gitSha1: gitSha1(onDisk),
  });
  assert.equal(written, data.length, "onWritten saw every byte");
  assert.ok(worstWaiting <= 256 * 1024 + 70_000, `waiting peaked at ${worstWaiting}`);
  assert.ok(
    chunks.every((c) => c.byteLength === 0),
    "every chunk's memory was moved, not copied",
  );
});

test("subarrays of one buffer, pooled small Buffers and untransferable memory are copied, in order", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  const big = randomBytes(3 * 1024 * 1024 + 5);
  const keep = Buffer.from(big);
  const pinned = new Uint8Array(randomBytes(100_000));
  markAsUntransferable(pinned.buffer);
  const chunks: Uint8Array[] = [];
  // Subarrays that share `big`'s memory, interleaved with pooled Buffers (8 KiB pool slabs) and
  // chunks that own their memory.
  let x = 11;
  for (let at = 0; at < big.length; ) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const n = Math.min(big.length - at, 1 + (x % 90_000));
    chunks.push(big.subarray(at, at + n));
    chunks.push(Buffer.from(`pool-${at}`));
    if (x % 3 === 0) chunks.push(new Uint8Array(randomBytes(1 + (x % 5000))));
    at += n;
  }
  chunks.push(pinned);
  const expected = Buffer.concat(chunks.map((c) => Buffer.from(c)));
  const sink = new ThreadedSink(
    { path, position: 0, gitBlobSize: undefined },
    { batchBytes: 256 * 1024, maxInFlightBytes: 1024 * 1024 },
  );
  await feed(sink, chunks);
  assert.equal(await closeAndSettle(sink), expected.length);
  const onDisk = readFileSync(path);
  assert.ok(onDisk.equals(expected), "file content");
  assert.deepEqual(sink.digests(), {
    bytes: expected.length,
    sha256: sha256(onDisk),
    gitSha1: undefined,
  });
  assert.ok(big.equals(keep), "the shared buffer was neither moved nor changed");
  assert.equal(pinned.byteLength, 100_000, "untransferable memory stays with its owner");
});

test("thousands of one-byte chunks are packed and land in order", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  const data = randomBytes(20_000);
  const sink = new ThreadedSink({ path, position: 0, gitBlobSize: undefined });
  for (let i = 0; i < data.length; i++) sink.write(new Uint8Array(data.subarray(i, i + 1)));
  sink.write(new Uint8Array(0));
  assert.equal(await closeAndSettle(sink), data.length);
  assert.ok(readFileSync(path).equals(data));
  assert.equal(sink.digests().sha256, sha256(data));
});

test("a resume: the worker hashes the prefix on disk, writes after it and cuts stale bytes", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob.incomplete");
  const data = randomBytes(2 * 1024 * 1024 + 999);
  const have = 700_001;
  writeFileSync(path, Buffer.concat([data.subarray(0, have), Buffer.alloc(3_000_000, 0xee)]));
  const sink = new ThreadedSink(
    { path, position: have, gitBlobSize: data.length },
    { batchBytes: 100_000 },
  );
  assert.equal(sink.position, have);
  await feed(sink, ownChunksOf(data.subarray(have), 5));
  assert.equal(await closeAndSettle(sink), data.length);
  assert.ok(readFileSync(path).equals(data));
  assert.deepEqual(sink.digests(), {
    bytes: data.length,
    sha256: sha256(data),
    gitSha1: gitSha1(data),
  });
});

test("an empty transfer still closes: the digests are of the prefix alone", async () => {
  dir = tempDir();
  const path = join(dir.path, "blob.incomplete");
  const data = randomBytes(12_345);
  writeFileSync(path, data);
  const sink = new ThreadedSink({ path, position: data.length, gitBlobSize: undefined });
  assert.equal(await closeAndSettle(sink), data.length);
  assert.equal(sink.digests().sha256, sha256(data));
});

test("a file the worker cannot open fails the sink with the disk's error: writes throw, close rejects, no hang", async () => {
  dir = tempDir();
  const path = join(dir.path, "no-such-dir", "blob");
  const sink = new ThreadedSink(
    { path, position: 0, gitBlobSize: undefined },
    { batchBytes: 64 * 1024, maxInFlightBytes: 64 * 1024 },
  );
  let thrown: unknown;
  try {
    for (let i = 0; i < 1000; i++)
      if (!sink.write(new Uint8Array(randomBytes(64 * 1024)))) await sink.whenReady();
  } catch (error) {
    thrown = error;
  }
  assert.equal((thrown as { code?: string } | undefined)?.code, "ENOENT");
  await assert.rejects(sink.close(), { code: "ENOENT" });
  await sink.settle();
});

test("a disk that refuses writes mid-file (/dev/full) fails the sink: close rejects, settle ends", async () => {
  const sink = new ThreadedSink(
    { path: "/dev/full", position: 0, gitBlobSize: undefined },
    { batchBytes: 64 * 1024, maxInFlightBytes: 128 * 1024 },
  );
  let failure: unknown;
  try {
    for (let i = 0; i < 200; i++)
      if (!sink.write(new Uint8Array(randomBytes(32 * 1024)))) await sink.whenReady();
    await sink.close();
  } catch (error) {
    failure = error;
  }
  await sink.settle();
  assert.ok(failure instanceof Error, "the sink failed");
  assert.equal((failure as { code?: string }).code, "ENOSPC", String(failure));
  assert.throws(() => sink.digests());
});

for (const how of ["throw", "exit"] as const) {
  test(`a write thread that dies mid-file (${how}) is a WorkerCrash from write or close, and settle ends`, async () => {
    dir = tempDir();
    const path = join(dir.path, `blob-${how}`);
    const data = randomBytes(4 * 1024 * 1024);
    const sink = new ThreadedSink(
      { path, position: 0, gitBlobSize: undefined },
      {
        batchBytes: 64 * 1024,
        maxInFlightBytes: 256 * 1024,
        workerUrl: new URL("./crashing-sink-worker.ts", import.meta.url),
      },
    );
    let failure: unknown;
    try {
      await feed(sink, ownChunksOf(data));
      await sink.close();
    } catch (error) {
      failure = error;
    }
    await sink.settle();
    assert.ok(failure instanceof WorkerCrash, String(failure));
    assert.match(failure.message, how === "throw" ? /the write thread broke/ : /exit code 3/);
    assert.ok(statSync(path).size < data.length, "what reached the file stays, never more");
  });
}

test("a write thread that cannot start fails the sink instead of hanging", async () => {
  dir = tempDir();
  const sink = new ThreadedSink(
    { path: join(dir.path, "blob"), position: 0, gitBlobSize: undefined },
    {
      maxInFlightBytes: 64 * 1024,
      workerUrl: new URL("./no-such-worker.ts", import.meta.url),
    },
  );
  let failure: unknown;
  try {
    for (let i = 0; i < 100; i++)
      if (!sink.write(new Uint8Array(randomBytes(64 * 1024)))) await sink.whenReady();
    await sink.close();
  } catch (error) {
    failure = error;
  }
  await sink.settle();
  assert.ok(failure instanceof WorkerCrash, String(failure));
  assert.match(failure.message, /could not start|crashed|stopped/);
});

test("the write thread starts in a process run as `node --input-type=module -e` (its flags are not passed on)", () => {
  dir = tempDir();
  const path = join(dir.path, "blob");
  const module = new URL("../../src/io/download-sink-threaded.ts", import.meta.url).href;
  // A .js entry file, as the built CLI has: a worker started from a file inherits the process's
  // flags, and `--input-type` makes it fail.
  const entry = new URL("./js-entry-sink-worker.mjs", import.meta.url).href;
  const code = `
    const workerUrl = new URL(${JSON.stringify(entry)});
    const { ThreadedSink } = await import(${JSON.stringify(module)});
    const sink = new ThreadedSink({ path: ${JSON.stringify(path)}, position: 0 }, { workerUrl });
    sink.write(new Uint8Array(1000).fill(7));
    try { await sink.close(); } finally { await sink.settle(); }
    process.stdout.write(sink.digests().sha256);
  `;
  const child = spawnSync(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", code],
    { cwd: fileURLToPath(new URL("../..", import.meta.url)), encoding: "utf8" },
  );
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout, sha256(new Uint8Array(1000).fill(7)));
  assert.equal(readFileSync(path).length, 1000);
});
