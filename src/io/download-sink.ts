/**
 * Where one download attempt puts its bytes: the `.incomplete` file, written from `position` on,
 * with the digests of the whole file (the resumed prefix re-read from disk, then every byte
 * handed over) computed in the same pass.
 *
 * Two implementations with one contract: `InlineSink` hashes and writes on the calling thread
 * (io/blob-writer.ts), `ThreadedSink` (io/download-sink-threaded.ts) does both on a worker thread
 * so that the thread receiving the body only receives it. io/download.ts picks one by file size.
 *
 * The files: download-sink.ts (this contract, InlineSink, and opening a file for a BlobWriter),
 * download-sink-threaded.ts (ThreadedSink, the caller's side), download-sink-worker.ts (its worker
 * thread's entry), blob-writer.ts (the hash-and-batched-write both end in).
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { BlobWriter, type BlobWriterOptions } from "./blob-writer.js";
import { type FileDigests, Hashes, hashPrefix } from "./file-digest.js";

export interface SinkTarget {
  /**
   * The `.incomplete` file. At `position` 0 it is created, exclusively (O_EXCL: a file or link
   * already there is an error, never opened); after that it is reopened with O_NOFOLLOW and must be
   * a regular file. It is never opened through a symbolic link.
   */
  path: string;
  /**
   * `exclusive`: create a new file (fails when anything is there, a link included); `reopen`: an
   * existing file of this download, which must still be a regular file. Default: open it as it is
   * (created or emptied at `position` 0), never through a link.
   */
  open?: "exclusive" | "reopen" | undefined;
  /** Bytes already in the file that the download keeps: hashed first, then written after. */
  position: number;
  /** Also compute the git blob id, with this size in its `blob <size>\0` header. */
  gitBlobSize?: number | undefined;
}

export type SinkOptions = Pick<
  BlobWriterOptions,
  "batchBytes" | "maxInFlightBytes" | "syncEveryBytes"
>;

export interface DownloadSink {
  /** File position after every byte handed over so far. */
  readonly position: number;
  /**
   * Take `chunk` (the caller must not use or change it afterwards: a worker sink may move its
   * memory to another thread). False: pause the source until `whenReady()`. Throws once the sink
   * has failed.
   */
  write(chunk: Uint8Array): boolean;
  /** Resolves when `write` would not ask for a pause, or when the sink has failed. */
  whenReady(): Promise<void>;
  /** Write the rest, cut the file at its end, fsync it. Returns the end position. */
  close(): Promise<number>;
  /** Wait for everything started, then let go of the file (and thread). Always ends. */
  settle(): Promise<void>;
  /** After `close()` resolved: digests of the prefix and of every byte written. */
  digests(): FileDigests;
}

/** Hash the prefix, then open the file for a BlobWriter. Shared by InlineSink and the worker. */
export async function openBlobWriter(
  target: SinkTarget,
  options: BlobWriterOptions,
): Promise<{ hashes: Hashes; handle: FileHandle; writer: BlobWriter }> {
  const hashes = new Hashes(target.gitBlobSize);
  const { O_CREAT, O_EXCL, O_NOFOLLOW, O_RDWR, O_TRUNC, O_WRONLY } = constants;
  const flags =
    target.open === "exclusive"
      ? O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW
      : target.open === "reopen" || target.position > 0
        ? O_RDWR | O_NOFOLLOW // O_RDWR: a FIFO swapped in does not block the open
        : O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW;
  const handle = await open(target.path, flags, 0o644);
  try {
    if (target.open !== undefined && !(await handle.stat()).isFile()) {
      throw Object.assign(new Error(`${target.path} is not a regular file`), { code: "EISDIR" });
    }
    await hashPrefix(handle, hashes, target.position);
  } catch (error) {
    await handle.close();
    throw error;
  }
  return { hashes, handle, writer: new BlobWriter(handle, target.position, hashes, options) };
}

/** Hashes and writes on the calling thread. */
export class InlineSink implements DownloadSink {
  readonly #hashes: Hashes;
  readonly #handle: FileHandle;
  readonly #writer: BlobWriter;
  #digests: FileDigests | undefined;

  private constructor(opened: { hashes: Hashes; handle: FileHandle; writer: BlobWriter }) {
    this.#hashes = opened.hashes;
    this.#handle = opened.handle;
    this.#writer = opened.writer;
  }

  static async open(
    target: SinkTarget,
    options: SinkOptions & { onWritten?: ((bytes: number) => void) | undefined },
  ): Promise<InlineSink> {
    return new InlineSink(await openBlobWriter(target, options));
  }

  get position(): number {
    return this.#writer.position;
  }
  write(chunk: Uint8Array): boolean {
    return this.#writer.write(chunk);
  }
  whenReady(): Promise<void> {
    return this.#writer.whenReady();
  }
  async close(): Promise<number> {
    const end = await this.#writer.close();
    this.#digests = this.#hashes.digests();
    return end;
  }
  async settle(): Promise<void> {
    await this.#writer.settle();
    await this.#handle.close();
  }
  digests(): FileDigests {
    if (this.#digests === undefined) throw new Error("digests() before close()");
    return this.#digests;
  }
}
