/**
 * A write thread for test/io/download-sink-threaded.test.ts that dies mid-file: it runs the real
 * io/download-sink-worker.ts, then on the third batch of chunks either exits (path ending in "exit")
 * or throws an uncaught error.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SinkWorkerData } from "../../src/io/download-sink-threaded.js";

await import("../../src/io/download-sink-worker.js");
let batches = 0;
parentPort?.on("message", (message: { type: string }) => {
  if (message.type !== "chunks" || ++batches < 3) return;
  if ((workerData as SinkWorkerData).path.endsWith("exit")) process.exit(3);
  throw new Error("the write thread broke");
});
