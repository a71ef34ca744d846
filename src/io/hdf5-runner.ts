/**
 * h5wasm where it can be stopped. Some damaged HDF5 files make the HDF5 library (inside h5wasm)
 * loop forever without reading anything, so no budget checked from inside can end the scan. The
 * runner reads HDF5 in a worker thread (io/hdf5-worker.ts) and terminates it when a read takes
 * longer than the deadline; the scan then reports BUDGET_EXCEEDED (unscannable) and the next file
 * gets a fresh worker.
 *
 * One warm worker serves every file, one file at a time: h5wasm is loaded once (~0.2-0.5 s of CPU
 * in a fresh thread, the same as on the calling thread before) and a small file costs a few
 * messages. The file's bytes stay here: the worker asks for each read (a message, then
 * Atomics.wait on `control`) and this thread copies the bytes from the ByteSource into the shared
 * `data` buffer, so a 2 GB model costs only the metadata HDF5 reads, as on the calling thread.
 * The worker is unref'd while idle, so it never keeps the process alive.
 */
import type { Worker } from "node:worker_threads";
import { describeError } from "../core/errors.js";
import { Hdf5BudgetExceeded } from "../core/hdf5-budget.js";
import type { Hdf5Contents, Hdf5Reader } from "../scan/keras/hdf5-read.js";
import type { ByteSource } from "../scan/source.js";
import { type Hdf5WorkerData, type Hdf5WorkerReply, READ_DONE } from "./hdf5-wire.js";
import { startWorker, workerFileUrl } from "./thread-pool.js";

/**
 * What one file's HDF5 read may take (wall clock, from when the warm worker gets the file). Real
 * models' metadata takes milliseconds (2-5 ms of CPU per keras fixture; a 2 GB tf_model.h5 reads
 * a few hundred KB), so 2 s leaves a wide margin even on a loaded machine, while each damaged file
 * that loops costs at most this plus a worker restart (~0.35 s of CPU): a folder with a few of
 * them, or a test suite that scans them several times, stays quick.
 */
export const DEFAULT_HDF5_DEADLINE_MS = 2_000;

/** A worker that has not loaded h5wasm by then is given up (not a property of the file). */
const START_TIMEOUT_MS = 120_000;
/** Largest read served in one round trip; larger reads take several. */
const SHARED_BYTES = 1 << 20;

export interface Hdf5RunnerOptions {
  /** Wall-clock milliseconds one file's read may take (default DEFAULT_HDF5_DEADLINE_MS). */
  deadlineMs?: number;
}

interface Job {
  onMessage(reply: Hdf5WorkerReply): void;
  onGone(reason: string): void;
}

interface Live {
  worker: Worker;
  state: Int32Array;
  data: Uint8Array;
  ready: Promise<void>;
  dead: boolean;
  job: Job | undefined;
}

export class Hdf5Runner {
  readonly deadlineMs: number;
  /** Worker threads started so far (a new one after each deadline or crash). */
  workersStarted = 0;
  #live: Live | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #nextId = 0;

  constructor(options: Hdf5RunnerOptions = {}) {
    this.deadlineMs = options.deadlineMs ?? DEFAULT_HDF5_DEADLINE_MS;
  }

  /** An Hdf5Reader (KerasPolicy.readHdf5): files are read one after another. */
  readonly read: Hdf5Reader = (source, limits) => {
    const run = this.#tail.then(() => this.#run(source, limits));
    this.#tail = run.catch(() => undefined);
    return run;
  };

  /** Stops the worker (a later read starts a new one). */
  async close(): Promise<void> {
    const live = this.#live;
    if (live === undefined) return;
    this.#kill(live);
    await live.worker.terminate();
  }

  async #run(source: ByteSource, limits: Parameters<Hdf5Reader>[1]): Promise<Hdf5Contents> {
    const live = this.#live ?? this.#spawn();
    live.worker.ref();
    try {
      await this.#ready(live);
      const id = ++this.#nextId;
      return await new Promise<Hdf5Contents>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#kill(live);
          reject(
            new Hdf5BudgetExceeded(
              `HDF5 did not finish reading the file within ${this.deadlineMs / 1000} s (damaged structures can make it loop forever), so it was stopped.`,
              this.deadlineMs,
            ),
          );
        }, this.deadlineMs);
        live.job = {
          onMessage: (reply) => {
            if (!("id" in reply) || reply.id !== id) return;
            if (reply.type === "read") {
              this.#serveRead(live, source, reply.offset, reply.length);
              return;
            }
            clearTimeout(timer);
            if (reply.type === "done") resolve(reply.contents);
            else if (reply.budget !== undefined)
              reject(new Hdf5BudgetExceeded(reply.message, reply.budget));
            else reject(new Error(reply.message));
          },
          onGone: (reason) => {
            clearTimeout(timer);
            reject(new Error(reason));
          },
        };
        live.worker.postMessage({ id, size: source.size, limits });
      });
    } finally {
      live.job = undefined;
      if (!live.dead) live.worker.unref();
    }
  }

  async #ready(live: Live): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.#kill(live);
        reject(new Error(`the HDF5 worker thread did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
    });
    try {
      await Promise.race([live.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Answers one read of the worker: the bytes, or the source's error as text. */
  #serveRead(live: Live, source: ByteSource, offset: number, length: number): void {
    try {
      const bytes = source.read(offset, Math.min(length, live.data.length));
      live.data.set(bytes);
      Atomics.store(live.state, 1, bytes.length);
    } catch (error) {
      const text = new TextEncoder().encode(describeError(error)).subarray(0, live.data.length);
      live.data.set(text);
      Atomics.store(live.state, 1, -(text.length + 1));
    }
    Atomics.store(live.state, 0, READ_DONE);
    Atomics.notify(live.state, 0);
  }

  #spawn(): Live {
    const control = new SharedArrayBuffer(8);
    const data = new SharedArrayBuffer(SHARED_BYTES);
    const worker = startWorker(workerFileUrl(import.meta.url, "hdf5-worker"), {
      control,
      data,
    } satisfies Hdf5WorkerData);
    this.workersStarted++;
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const live: Live = {
      worker,
      state: new Int32Array(control),
      data: new Uint8Array(data),
      ready: new Promise<void>((resolve, reject) => {
        ready = resolve;
        failed = reject;
      }),
      dead: false,
      job: undefined,
    };
    live.ready.catch(() => undefined);
    worker.on("message", (reply: Hdf5WorkerReply) => {
      if (reply.type === "ready") ready();
      else live.job?.onMessage(reply);
    });
    const gone = (reason: string) => {
      if (live.dead) return;
      this.#kill(live);
      failed(new Error(reason));
      live.job?.onGone(reason);
    };
    worker.on("error", (error) => gone(`the HDF5 worker thread crashed: ${error.message}`));
    worker.on("exit", (code) => gone(`the HDF5 worker thread exited (code ${code})`));
    this.#live = live;
    return live;
  }

  /** Marks `live` dead and terminates it; the next read starts a new worker. */
  #kill(live: Live): void {
    live.dead = true;
    if (this.#live === live) this.#live = undefined;
    void live.worker.terminate();
  }
}

let shared: Hdf5Runner | undefined;

/** The process's runner, with the default deadline (one warm worker for every scan of this thread). */
export function sharedHdf5Reader(): Hdf5Reader {
  shared ??= new Hdf5Runner();
  return shared.read;
}
