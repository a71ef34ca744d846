/**
 * BlobWriter: writes downloaded bytes into an open blob file (the `.incomplete` download), hashed
 * and written in one pass, with the disk work overlapped with the network. Both download sinks
 * (io/download-sink.ts) write through one: on the calling thread or on the sink's worker thread.
 *
 * Each chunk is hashed as it arrives (while it is still in the CPU cache) and kept, not copied;
 * chunks are gathered into batches (default 1 MiB) that libuv's thread pool writes with one
 * positioned `writev` each while the next batch gathers, so hashing, the kernel's copy into the
 * page cache and the socket all progress at once. The hash is of exactly the buffers that are
 * written: nothing here or in Node changes a chunk after it is emitted (node:http copies every
 * body chunk into fresh memory). When `maxInFlightBytes` are waiting for the disk, `write` returns
 * false and the caller pauses its source until `whenReady()`: memory stays bounded whatever the
 * file size.
 *
 * The sizes are small on purpose: chunks held across several young-generation collections are
 * promoted, and with 4 MiB batches and 16 MiB in flight V8 ran 75-110 full mark-compacts per 2 GB;
 * at 1 MiB / 4 MiB it runs 0-1 (bench/pull.bench.ts prints the count). Copying chunks into reused
 * slabs instead (so every chunk dies young) was measured too: 35-75% more CPU for the same pull,
 * so chunks are kept, not copied.
 *
 * Every `syncEveryBytes` written, an fdatasync starts in the background so the disk drains while
 * the transfer continues; the fsync that `close()` ends with (before any rename) then has only
 * the tail left to flush. It changes when bytes reach the disk, never what is hashed or written.
 */
import type { FileHandle } from "node:fs/promises";

export interface ChunkHasher {
  update(chunk: Uint8Array): void;
}

export interface BlobWriterOptions {
  /** Bytes gathered per write (default 1 MiB). */
  batchBytes?: number;
  /** Bytes handed over but not yet written before `write` asks for a pause (default 4 MiB). */
  maxInFlightBytes?: number;
  /** Start a background fdatasync after this many bytes written since the last (default 64 MiB; 0: never). */
  syncEveryBytes?: number;
  /** Bytes that reached the file (called as each write returns). */
  onWritten?: (bytes: number) => void;
  /** The first write or sync that failed, as it fails (a caller that is not writing learns of it). */
  onFailure?: (error: unknown) => void;
}

export const DEFAULT_BATCH_BYTES = 1 << 20;
export const DEFAULT_MAX_IN_FLIGHT_BYTES = 4 << 20;
export const DEFAULT_SYNC_EVERY_BYTES = 64 << 20;
/** Chunks per writev, well under every system's IOV_MAX (a server may send tiny chunks). */
const MAX_CHUNKS_PER_WRITE = 512;

export class BlobWriter {
  readonly #handle: FileHandle;
  readonly #hasher: ChunkHasher;
  readonly #batchBytes: number;
  readonly #maxInFlight: number;
  readonly #syncEvery: number;
  readonly #onWritten: ((bytes: number) => void) | undefined;
  readonly #onFailure: ((error: unknown) => void) | undefined;
  readonly #writes = new Set<Promise<void>>();
  #batch: Buffer[] = [];
  #batchLength = 0;
  /** File position of the next batch to write. */
  #position: number;
  /** Handed over, not yet written (the gathering batch included). */
  #inFlight = 0;
  /** Bytes written since the last background sync started. */
  #unsynced = 0;
  #syncing: Promise<void> | undefined;
  #failure: { error: unknown } | undefined;
  #waiters: (() => void)[] = [];

  constructor(
    handle: FileHandle,
    position: number,
    hasher: ChunkHasher,
    options: BlobWriterOptions = {},
  ) {
    this.#handle = handle;
    this.#position = position;
    this.#hasher = hasher;
    this.#batchBytes = Math.max(1, options.batchBytes ?? DEFAULT_BATCH_BYTES);
    this.#maxInFlight = Math.max(
      this.#batchBytes,
      options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES,
    );
    this.#syncEvery = options.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES;
    this.#onWritten = options.onWritten;
    this.#onFailure = options.onFailure;
  }

  /** File position after every byte handed over so far. */
  get position(): number {
    return this.#position + this.#batchLength;
  }

  /**
   * Hash and keep `chunk` (it must not change afterwards). False: pause the source and wait for
   * `whenReady()`; the chunk is taken either way.
   */
  write(chunk: Uint8Array): boolean {
    if (this.#failure !== undefined) throw this.#failure.error;
    if (chunk.byteLength === 0) return true;
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#hasher.update(bytes);
    this.#batch.push(bytes);
    this.#batchLength += bytes.length;
    this.#inFlight += bytes.length;
    if (this.#batchLength >= this.#batchBytes || this.#batch.length >= MAX_CHUNKS_PER_WRITE)
      this.#dispatch();
    return this.#inFlight < this.#maxInFlight;
  }

  /** Resolves when `write` would not ask for a pause, or when a write has failed. */
  whenReady(): Promise<void> {
    if (this.#inFlight < this.#maxInFlight || this.#failure !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Write what is left, wait for every write, cut the file at the end of what was written
   * (a resumed file may have been longer) and fsync it. Returns the end position.
   */
  async close(): Promise<number> {
    this.#dispatch();
    await this.settle();
    if (this.#failure !== undefined) throw this.#failure.error;
    await this.#handle.truncate(this.#position);
    await this.#handle.sync();
    return this.#position;
  }

  /** Wait for every write and background sync started so far (before closing the handle on failure). */
  async settle(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
    await this.#syncing;
  }

  /** Start writing the gathered batch at its position. */
  #dispatch(): void {
    if (this.#batchLength === 0) return;
    const buffers = this.#batch;
    const length = this.#batchLength;
    const at = this.#position;
    this.#batch = [];
    this.#batchLength = 0;
    this.#position += length;
    const write = this.#writeAll(buffers, at).then(
      () => {
        this.#writes.delete(write);
        this.#inFlight -= length;
        this.#unsynced += length;
        this.#onWritten?.(length);
        this.#maybeSync();
        if (this.#inFlight < this.#maxInFlight) this.#wake();
      },
      (error: unknown) => {
        this.#writes.delete(write);
        this.#fail(error);
      },
    );
    this.#writes.add(write);
  }

  /** One positioned writev; a short write (rare on files) continues where it stopped. */
  async #writeAll(buffers: Buffer[], at: number): Promise<void> {
    let rest = buffers;
    let position = at;
    for (;;) {
      const { bytesWritten } = await this.#handle.writev(rest, position);
      const wanted = rest.reduce((n, b) => n + b.length, 0);
      if (bytesWritten === wanted) return;
      if (bytesWritten <= 0) throw new Error(`the disk accepted no bytes at offset ${position}`);
      position += bytesWritten;
      let skip = bytesWritten;
      const left: Buffer[] = [];
      for (const b of rest) {
        if (skip >= b.length) skip -= b.length;
        else {
          left.push(skip > 0 ? b.subarray(skip) : b);
          skip = 0;
        }
      }
      rest = left;
    }
  }

  #maybeSync(): void {
    if (this.#syncEvery <= 0 || this.#syncing !== undefined || this.#unsynced < this.#syncEvery)
      return;
    this.#unsynced = 0;
    this.#syncing = this.#handle.datasync().then(
      () => {
        this.#syncing = undefined;
      },
      (error: unknown) => {
        this.#syncing = undefined;
        this.#fail(error);
      },
    );
  }

  #fail(error: unknown): void {
    if (this.#failure === undefined) {
      this.#failure = { error };
      this.#onFailure?.(error);
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
