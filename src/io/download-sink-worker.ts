/**
 * Worker thread for io/download-sink-threaded.ts: opens the `.incomplete` file, hashes the resumed
 * prefix, then hashes and writes every batch of chunks it is sent through a BlobWriter
 * (io/blob-writer.ts: 1 MiB writev batches, background fdatasync), acknowledging bytes as they
 * reach the file.
 *
 * Messages are handled in the order sent. Chunks arriving before the file is open wait in the
 * port (the listener is attached only then). After any failure the worker reports it once and
 * drops further chunks; `settle` still waits for every started write before closing the file, so
 * what reached the file stays for the next attempt.
 */
import type { FileHandle } from "node:fs/promises";
import { parentPort, workerData } from "node:worker_threads";
import type { BlobWriter } from "./blob-writer.js";
import { openBlobWriter } from "./download-sink.js";
import type { FromSinkWorker, SinkWorkerData, ToSinkWorker } from "./download-sink-threaded.js";
import type { Hashes } from "./file-digest.js";

const port = parentPort;
if (port === null) throw new Error("download-sink-worker runs only inside a worker thread");
const data = workerData as SinkWorkerData;
const post = (message: FromSinkWorker) => port.postMessage(message);

let failed = false;
function fail(error: unknown): void {
  if (failed) return;
  failed = true;
  const e = error as { message?: unknown; code?: unknown };
  post({
    type: "failed",
    message: typeof e?.message === "string" ? e.message : String(error),
    code: typeof e?.code === "string" ? e.code : undefined,
  });
}

let opened: { hashes: Hashes; handle: FileHandle; writer: BlobWriter } | undefined;
try {
  opened = await openBlobWriter(
    { path: data.path, open: data.open, position: data.position, gitBlobSize: data.gitBlobSize },
    {
      ...data.options,
      onWritten: (bytes) => post({ type: "written", bytes }),
      onFailure: fail,
    },
  );
} catch (error) {
  fail(error);
}

let handleClosed = false;
async function closeHandle(): Promise<void> {
  if (opened === undefined || handleClosed) return;
  handleClosed = true;
  await opened.handle.close();
}

/** close and settle run one after the other, after the chunks sent before them were taken. */
let tail: Promise<void> = Promise.resolve();

port.on("message", (message: ToSinkWorker) => {
  if (message.type === "chunks") {
    if (failed || opened === undefined) return;
    try {
      for (const chunk of message.chunks) opened.writer.write(chunk);
    } catch (error) {
      fail(error);
    }
    return;
  }
  if (message.type === "close") {
    tail = tail.then(async () => {
      if (failed || opened === undefined) return fail(new Error("the sink had failed"));
      try {
        const end = await opened.writer.close();
        await closeHandle();
        post({ type: "closed", end, digests: opened.hashes.digests() });
      } catch (error) {
        fail(error);
      }
    });
    return;
  }
  tail = tail.then(async () => {
    try {
      await opened?.writer.settle();
      await closeHandle();
    } catch (error) {
      fail(error);
    }
    post({ type: "settled" });
  });
});
