/**
 * Worker thread for io/hdf5-runner.ts: runs h5wasm (scan/keras/hdf5.ts readHdf5Contents) where
 * the caller can stop it. The file's bytes stay with the caller: HDF5's reads are synchronous, so
 * each one is a request posted to the caller followed by Atomics.wait on a shared buffer, which the
 * caller fills from its ByteSource (see Hdf5Runner for the protocol). Reads go through a 64 KiB
 * read-ahead block, so HDF5's many small metadata reads cost few round trips.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Hdf5BudgetExceeded } from "../core/hdf5-budget.js";
import {
  type Hdf5Contents,
  type Hdf5ReadLimits,
  readHdf5Contents,
} from "../scan/keras/hdf5-read.js";
import { type ByteSource, readAheadSource } from "../scan/source.js";
import { type Hdf5WorkerData, type Hdf5WorkerReply, READ_DONE, READ_WAITING } from "./hdf5-wire.js";

if (parentPort === null) throw new Error("hdf5-worker runs only inside a worker thread");
const port = parentPort;
const { control, data } = workerData as Hdf5WorkerData;
const state = new Int32Array(control);
const buffer = new Uint8Array(data);

/** Reads `length` bytes at `offset` from the caller's source, one shared buffer at a time. */
function proxySource(id: number, size: number): ByteSource {
  return {
    size,
    read(offset, length) {
      const start = Math.min(Math.max(0, offset), size);
      const total = Math.min(size - start, Math.max(0, length));
      const out = new Uint8Array(total);
      for (let done = 0; done < total; ) {
        const n = Math.min(buffer.length, total - done);
        Atomics.store(state, 0, READ_WAITING);
        port.postMessage({
          type: "read",
          id,
          offset: start + done,
          length: n,
        } satisfies Hdf5WorkerReply);
        Atomics.wait(state, 0, READ_WAITING);
        const got = Atomics.load(state, 1);
        if (Atomics.load(state, 0) !== READ_DONE || got < 0) {
          const len = Math.min(buffer.length, -got - 1);
          throw new Error(new TextDecoder().decode(buffer.slice(0, Math.max(0, len))));
        }
        out.set(buffer.subarray(0, got), done);
        if (got < n) return out.subarray(0, done + got);
        done += got;
      }
      return out;
    },
  };
}

port.on("message", (job: { id: number; size: number; limits: Hdf5ReadLimits }) => {
  readHdf5Contents(readAheadSource(proxySource(job.id, job.size), 1 << 16), job.limits).then(
    (contents: Hdf5Contents) =>
      port.postMessage({ type: "done", id: job.id, contents } satisfies Hdf5WorkerReply),
    (error: unknown) =>
      port.postMessage({
        type: "failed",
        id: job.id,
        message: error instanceof Error ? error.message : String(error),
        budget: error instanceof Hdf5BudgetExceeded ? error.limit : undefined,
      } satisfies Hdf5WorkerReply),
  );
});

// Load h5wasm before saying ready, so a job's deadline never pays for it.
readHdf5Contents(
  { size: 0, read: () => new Uint8Array(0) },
  { maxAttributeBytes: 0, maxReadBytes: 0 },
)
  .catch(() => undefined)
  .then(() => port.postMessage({ type: "ready" } satisfies Hdf5WorkerReply));
