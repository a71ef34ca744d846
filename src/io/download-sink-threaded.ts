/**
 * A DownloadSink (io/download-sink.ts) whose hashing and writing run on one worker thread
 * (io/download-sink-worker.ts), so that on a large download the thread receiving the body does little
 * else: receiving, hashing and the disk each get their own core where there are cores.
 *
 * Chunks are gathered into messages of about `batchBytes` (at most 64 chunks) and their memory is
 * moved, not copied (postMessage transfer list): after `write` the caller's chunk is empty. A
 * chunk that does not own its whole ArrayBuffer (a subarray, a pooled small Buffer, shared
 * memory) is copied first; small ones are packed together so that a server sending tiny chunks
 * does not cost one ArrayBuffer each. The hash state cannot cross threads, so the worker opens the
 * file and hashes the resumed prefix itself; the digests come back with `close()`.
 *
 * Backpressure: bytes handed over and not yet written (acknowledged by the worker) are bounded by
 * `maxInFlightBytes` (default 8 MiB), whatever the file size. Failure: a write or sync error in the
 * worker, a worker that dies or cannot start, all become the sink's failure: the next `write`
 * throws it, `whenReady` resolves, `close` rejects with it. `settle()` always ends: it waits until the worker
 * has finished the writes it started (or has died) and then terminates it.
 */
import type { Worker } from "node:worker_threads";
import { DEFAULT_BATCH_BYTES } from "./blob-writer.js";
import type { DownloadSink, SinkOptions, SinkTarget } from "./download-sink.js";
import type { FileDigests } from "./file-digest.js";
import { startWorker, WorkerCrash, workerFileUrl } from "./thread-pool.js";

/**
 * Files at least this large go through a ThreadedSink. Starting and stopping the worker costs
 * 45-75 ms (dist/); downloads from a loopback origin, alternating, 6 each (ms, min-max):
 * 64 MiB inline 222-343 vs threaded 268-362, 96 MiB 377-452 vs 372-481, 128 MiB 509-687 vs
 * 467-609, 256 MiB 790-1093 vs 763-868. Break-even is around 100 MiB.
 */
export const DEFAULT_OFF_THREAD_MIN_BYTES = 128 << 20;

/**
 * Bytes handed over and not yet written, by default. Twice the inline sink's: between the socket
 * and the disk there are more stages to keep busy (the message queue, the hash, libuv's write).
 * Measured on 2 GB, dist/, same passes: 482-493 MB/s at 4 MiB vs 501-621 at 8 MiB to disk, and
 * 533-572 vs 532-619 to /dev/shm; the inline sink 442-469 on both.
 */
export const DEFAULT_THREADED_IN_FLIGHT_BYTES = 8 << 20;

/** Chunks per message at most (tiny chunks are packed before this matters). */
const MAX_CHUNKS_PER_MESSAGE = 64;
/** Chunks that must be copied are packed into pieces of about this size. */
const COPY_PACK_BYTES = 64 << 10;

export interface SinkWorkerData {
  path: string;
  open: SinkTarget["open"];
  position: number;
  gitBlobSize: number | undefined;
  options: SinkOptions;
}

export type ToSinkWorker =
  | { type: "chunks"; chunks: Uint8Array[] }
  | { type: "close" }
  | { type: "settle" };

export type FromSinkWorker =
  | { type: "written"; bytes: number }
  | { type: "closed"; end: number; digests: FileDigests }
  | { type: "failed"; message: string; code: string | undefined }
  | { type: "settled" };

export interface ThreadedSinkOptions extends SinkOptions {
  onWritten?: ((bytes: number) => void) | undefined;
  /** The worker's module (default io/download-sink-worker); tests pass one that misbehaves. */
  workerUrl?: URL;
}

/** A chunk whose memory can be moved to the worker as it is. */
function ownsItsBuffer(chunk: Uint8Array): boolean {
  return (
    chunk.byteOffset === 0 &&
    chunk.buffer instanceof ArrayBuffer &&
    chunk.buffer.byteLength === chunk.byteLength
  );
}

function isDataCloneError(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === "DataCloneError";
}

export class ThreadedSink implements DownloadSink {
  readonly #worker: Worker | undefined;
  readonly #start: number;
  readonly #messageBytes: number;
  readonly #maxInFlight: number;
  readonly #onWritten: ((bytes: number) => void) | undefined;
  /** Gathered for the next message, and the ArrayBuffers it moves. */
  #chunks: Uint8Array[] = [];
  #transfer: ArrayBuffer[] = [];
  #gathered = 0;
  /** Chunks waiting to be copied into one fresh buffer (in order, before the next moved chunk). */
  #toCopy: Uint8Array[] = [];
  #toCopyBytes = 0;
  /** Bytes handed over by the caller, and bytes the worker has written. */
  #handed = 0;
  #written = 0;
  #failure: { error: unknown } | undefined;
  #waiters: (() => void)[] = [];
  #closing: { resolve: (end: number) => void; reject: (error: unknown) => void } | undefined;
  #digests: FileDigests | undefined;
  /** Resolves once the worker has exited (or never started). */
  readonly #exited: Promise<void>;
  #onSettled: (() => void) | undefined;
  #settling: Promise<void> | undefined;
  /** close() succeeded or settle() began: the worker's exit is expected. */
  #done = false;

  constructor(target: SinkTarget, options: ThreadedSinkOptions = {}) {
    this.#start = target.position;
    this.#messageBytes = Math.max(1, options.batchBytes ?? DEFAULT_BATCH_BYTES);
    this.#maxInFlight = Math.max(
      this.#messageBytes,
      options.maxInFlightBytes ?? DEFAULT_THREADED_IN_FLIGHT_BYTES,
    );
    this.#onWritten = options.onWritten;
    const data: SinkWorkerData = {
      path: target.path,
      open: target.open,
      position: target.position,
      gitBlobSize: target.gitBlobSize,
      options: {
        batchBytes: options.batchBytes,
        maxInFlightBytes: options.maxInFlightBytes,
        syncEveryBytes: options.syncEveryBytes,
      },
    };
    const url = options.workerUrl ?? workerFileUrl(import.meta.url, "download-sink-worker");
    let worker: Worker | undefined;
    try {
      worker = startWorker(url, data);
    } catch (error) {
      this.#fail(new WorkerCrash(`the write thread could not start: ${String(error)}`));
    }
    this.#worker = worker;
    if (worker === undefined) {
      this.#exited = Promise.resolve();
      return;
    }
    this.#exited = new Promise((resolve) => {
      worker.on("exit", (code) => {
        if (!this.#done)
          this.#fail(new WorkerCrash(`the write thread stopped (exit code ${code})`, true));
        this.#onSettled?.();
        resolve();
      });
    });
    worker.on("error", (error: unknown) =>
      this.#fail(
        new WorkerCrash(`the write thread crashed: ${(error as Error)?.message ?? error}`, true),
      ),
    );
    worker.on("message", (message: FromSinkWorker) => this.#receive(message));
  }

  get position(): number {
    return this.#start + this.#handed;
  }

  write(chunk: Uint8Array): boolean {
    if (this.#failure !== undefined) throw this.#failure.error;
    const length = chunk.byteLength;
    if (length === 0) return true;
    if (ownsItsBuffer(chunk) && !this.#transfer.includes(chunk.buffer as ArrayBuffer)) {
      this.#packCopies();
      this.#chunks.push(chunk);
      this.#transfer.push(chunk.buffer as ArrayBuffer);
    } else {
      this.#toCopy.push(chunk);
      this.#toCopyBytes += length;
      if (this.#toCopyBytes >= COPY_PACK_BYTES) this.#packCopies();
    }
    this.#gathered += length;
    this.#handed += length;
    if (this.#gathered >= this.#messageBytes || this.#chunks.length >= MAX_CHUNKS_PER_MESSAGE)
      this.#send();
    if (this.#handed - this.#written < this.#maxInFlight) return true;
    this.#send(); // the worker must see every byte we wait for
    return false;
  }

  whenReady(): Promise<void> {
    if (this.#handed - this.#written < this.#maxInFlight || this.#failure !== undefined)
      return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<number> {
    if (this.#failure !== undefined) throw this.#failure.error;
    this.#send();
    const end = await new Promise<number>((resolve, reject) => {
      this.#closing = { resolve, reject };
      this.#post({ type: "close" });
    });
    this.#done = true;
    return end;
  }

  /** Waits for the worker to finish what it started (or to die), then terminates it. */
  settle(): Promise<void> {
    this.#settling ??= this.#settle();
    return this.#settling;
  }

  digests(): FileDigests {
    if (this.#digests === undefined) throw new Error("digests() before close()");
    return this.#digests;
  }

  async #settle(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    await new Promise<void>((resolve) => {
      this.#onSettled = resolve;
      this.#post({ type: "settle" });
      void this.#exited.then(resolve);
    });
    this.#done = true;
    await worker.terminate();
    await this.#exited;
  }

  #post(message: ToSinkWorker): void {
    try {
      this.#worker?.postMessage(message);
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Copy the chunks that cannot be moved into one fresh buffer, in their place in the order. */
  #packCopies(): void {
    if (this.#toCopyBytes === 0) return;
    const packed = new Uint8Array(this.#toCopyBytes);
    let at = 0;
    for (const chunk of this.#toCopy) {
      packed.set(chunk, at);
      at += chunk.byteLength;
    }
    this.#toCopy = [];
    this.#toCopyBytes = 0;
    this.#chunks.push(packed);
    this.#transfer.push(packed.buffer);
  }

  /** Move the gathered chunks to the worker. */
  #send(): void {
    this.#packCopies();
    if (this.#chunks.length === 0) return;
    const chunks = this.#chunks;
    const transfer = this.#transfer;
    this.#chunks = [];
    this.#transfer = [];
    this.#gathered = 0;
    if (this.#worker === undefined || this.#failure !== undefined) return;
    try {
      this.#worker.postMessage({ type: "chunks", chunks } satisfies ToSinkWorker, transfer);
    } catch (error) {
      if (!isDataCloneError(error)) {
        this.#fail(error);
        return;
      }
      // Memory that cannot be moved (marked untransferable): nothing was moved, send copies.
      const copies = chunks.map((chunk) => new Uint8Array(chunk));
      try {
        this.#worker.postMessage(
          { type: "chunks", chunks: copies } satisfies ToSinkWorker,
          copies.map((c) => c.buffer),
        );
      } catch (again) {
        this.#fail(again);
      }
    }
  }

  #receive(message: FromSinkWorker): void {
    switch (message.type) {
      case "written":
        this.#written += message.bytes;
        this.#onWritten?.(message.bytes);
        if (this.#handed - this.#written < this.#maxInFlight) this.#wake();
        return;
      case "closed":
        this.#digests = message.digests;
        this.#closing?.resolve(message.end);
        this.#closing = undefined;
        return;
      case "failed":
        this.#fail(
          Object.assign(new Error(message.message), message.code ? { code: message.code } : {}),
        );
        return;
      case "settled":
        this.#onSettled?.();
        return;
    }
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = { error };
    this.#closing?.reject(this.#failure.error);
    this.#closing = undefined;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
