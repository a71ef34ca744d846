/**
 * A write thread for test/io/threaded-sink.test.ts that dies mid-file: it runs the real
 * io/blob-sink-worker.ts, then on the third batch of chunks either exits (path ending in "exit")
 * or throws an uncaught error.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SinkWorkerData } from "../../src/io/threaded-sink.js";

await import("../../src/io/blob-sink-worker.js");
let batches = 0;
parentPort?.on("message", (message: { type: string }) => {
  if (message.type !== "chunks" || ++batches < 3) return;
  if ((workerData as SinkWorkerData).path.endsWith("exit")) process.exit(3);
  throw new Error("the write thread broke");
});
