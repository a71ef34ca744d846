/**
 * Where downloaded bytes go: hashed and written in one pass, with the disk work overlapped with
 * the network.
 *
 * Incoming chunks are copied into a few reused slabs (default 4 × 1 MiB) and each copied piece is
 * hashed from the slab at once, while it is still in the CPU cache. A full slab is written at its
 * file position by libuv's thread pool while the next one fills, so hashing, the kernel's copy
 * into the page cache and the socket all progress at once; the digest is of exactly the slab
 * bytes that are written, and a slab is not reused before its write returns. When every slab is
 * in flight, `write` returns false and the caller pauses its source until `whenReady()`: memory
 * is bounded by the slabs whatever the file size.
 *
 * Why copy: keeping the socket's own chunks until their write returns (zero-copy writev) got them
 * promoted out of V8's young generation, and in plain node (the shipped CLI, whose heap is small)
 * that meant 100-160 full mark-compacts per 2 GB pull; copied once, every chunk dies young and
 * the pull needs no mark-compact (bench/pull.bench.ts prints the count). The copy costs less.
 *
 * Every `syncEveryBytes` written, an fdatasync starts in the background so the disk drains while
 * the transfer continues; the fsync that `close()` ends with (before any rename) then has only
 * the tail left to flush. It changes when bytes reach the disk, never what is hashed or written.
 */
import type { FileHandle } from "node:fs/promises";

export interface ChunkHasher {
  update(chunk: Uint8Array): void;
}

export interface BlobSinkOptions {
  /** Bytes per write (default 1 MiB). */
  slabBytes?: number;
  /** Slabs filling or in flight at once (default 4). */
  slabs?: number;
  /** Start a background fdatasync after this many bytes written since the last (default 64 MiB; 0: never). */
  syncEveryBytes?: number;
  /** Bytes that reached the file (called as each write returns). */
  onWritten?: (bytes: number) => void;
}

export const DEFAULT_SLAB_BYTES = 1 << 20;
export const DEFAULT_SLABS = 4;
export const DEFAULT_SYNC_EVERY_BYTES = 64 << 20;

export class BlobSink {
  readonly #handle: FileHandle;
  readonly #hasher: ChunkHasher;
  readonly #slabBytes: number;
  readonly #syncEvery: number;
  readonly #onWritten: ((bytes: number) => void) | undefined;
  readonly #free: Buffer[] = [];
  /** Bytes waiting for a free slab (at most what the source emitted after being told to pause). */
  readonly #backlog: Buffer[] = [];
  readonly #writes = new Set<Promise<void>>();
  #current: Buffer | undefined;
  #fill = 0;
  /** File position of the next slab to dispatch. */
  #position: number;
  /** Bytes written since the last background sync started. */
  #unsynced = 0;
  #syncing: Promise<void> | undefined;
  #failure: unknown;
  #hasFailure = false;
  #waiters: (() => void)[] = [];

  constructor(
    handle: FileHandle,
    position: number,
    hasher: ChunkHasher,
    options: BlobSinkOptions = {},
  ) {
    this.#handle = handle;
    this.#position = position;
    this.#hasher = hasher;
    this.#slabBytes = Math.max(1, options.slabBytes ?? DEFAULT_SLAB_BYTES);
    this.#syncEvery = options.syncEveryBytes ?? DEFAULT_SYNC_EVERY_BYTES;
    this.#onWritten = options.onWritten;
    const slabs = Math.max(1, options.slabs ?? DEFAULT_SLABS);
    for (let i = 0; i < slabs; i++) this.#free.push(Buffer.allocUnsafeSlow(this.#slabBytes));
  }

  /** File position after every byte handed over so far. */
  get position(): number {
    return this.#position + this.#fill + this.#backlog.reduce((n, b) => n + b.length, 0);
  }

  /**
   * Copy `chunk` in. False: no slab is free, so pause the source and call `whenReady()`; the
   * chunk is kept (nothing is lost) and later chunks may still be written meanwhile.
   */
  write(chunk: Uint8Array): boolean {
    this.#throwIfFailed();
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.#backlog.length > 0) this.#backlog.push(bytes);
    else {
      const rest = this.#take(bytes);
      if (rest !== undefined) this.#backlog.push(rest);
    }
    return this.#backlog.length === 0;
  }

  /** Resolves when `write` would accept bytes again, or when a write has failed. */
  whenReady(): Promise<void> {
    if (this.#backlog.length === 0 || this.#hasFailure) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Write what is left, wait for every write, cut the file at the end of what was written
   * (a resumed file may have been longer) and fsync it. Returns the end position.
   */
  async close(): Promise<number> {
    while (this.#backlog.length > 0) {
      this.#throwIfFailed();
      await this.#oneWriteReturns();
      this.#drainBacklog();
    }
    this.#dispatch();
    await this.settle();
    this.#throwIfFailed();
    await this.#handle.truncate(this.#position);
    await this.#handle.sync();
    return this.#position;
  }

  /** Wait for every write and background sync started so far (before closing the handle on failure). */
  async settle(): Promise<void> {
    while (this.#writes.size > 0) await Promise.allSettled([...this.#writes]);
    await this.#syncing?.catch(() => undefined);
  }

  #throwIfFailed(): void {
    if (this.#hasFailure) throw this.#failure;
  }

  /** Copy as much of `bytes` as the slabs take; returns the rest, if any. */
  #take(bytes: Buffer): Buffer | undefined {
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#current === undefined) {
        const slab = this.#free.pop();
        if (slab === undefined) return offset === 0 ? bytes : bytes.subarray(offset);
        this.#current = slab;
      }
      const n = Math.min(bytes.length - offset, this.#slabBytes - this.#fill);
      bytes.copy(this.#current, this.#fill, offset, offset + n);
      // Hashed from the slab, right after the copy (still in the CPU cache): the digest is of
      // exactly the bytes that will be written.
      this.#hasher.update(this.#current.subarray(this.#fill, this.#fill + n));
      this.#fill += n;
      offset += n;
      if (this.#fill === this.#slabBytes) this.#dispatch();
    }
    return undefined;
  }

  /** Start writing the current slab; it returns to the free list when written. */
  #dispatch(): void {
    const slab = this.#current;
    const length = this.#fill;
    if (slab === undefined || length === 0) return;
    this.#current = undefined;
    this.#fill = 0;
    const bytes = slab.subarray(0, length);
    const at = this.#position;
    this.#position += length;
    const write = this.#writeAll(bytes, at).then(
      () => {
        this.#writes.delete(write);
        this.#free.push(slab);
        this.#unsynced += length;
        this.#onWritten?.(length);
        this.#maybeSync();
        this.#drainBacklog();
      },
      (error: unknown) => {
        this.#writes.delete(write);
        this.#fail(error);
      },
    );
    this.#writes.add(write);
  }

  /** One positioned write; a short write (rare on files) continues where it stopped. */
  async #writeAll(bytes: Buffer, at: number): Promise<void> {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await this.#handle.write(
        bytes,
        done,
        bytes.length - done,
        at + done,
      );
      if (bytesWritten <= 0) throw new Error(`the disk accepted no bytes at offset ${at + done}`);
      done += bytesWritten;
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

  #drainBacklog(): void {
    while (this.#backlog.length > 0) {
      const rest = this.#take(this.#backlog[0]!);
      if (rest !== undefined) {
        this.#backlog[0] = rest;
        break;
      }
      this.#backlog.shift();
    }
    if (this.#backlog.length === 0) this.#wake();
  }

  #oneWriteReturns(): Promise<unknown> {
    return this.#writes.size === 0 ? Promise.resolve() : Promise.race([...this.#writes]);
  }

  #fail(error: unknown): void {
    if (!this.#hasFailure) {
      this.#hasFailure = true;
      this.#failure = error;
    }
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
