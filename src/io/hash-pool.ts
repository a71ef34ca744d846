/**
 * Hash several files at once on every core. Small files are hashed on this thread (a worker round
 * trip costs more than they do); the rest go to hashing workers, started on first use. A worker
 * that dies mid-file does not lose the file: it is hashed again on this thread. The digests are
 * the same either way (both paths run io/file-digest.ts).
 */
import { digestFile, type FileDigestRequest, type FileDigests } from "./file-digest.js";
import { poolSizeFor, ThreadPool, WorkerCrash, workerFileUrl } from "./thread-pool.js";

/** Files smaller than this are hashed on the calling thread. */
export const HASH_POOL_MIN_BYTES = 1 << 20;

export interface FileHasher {
  /** How many files are worth hashing at once. */
  readonly width: number;
  digest(request: FileDigestRequest): Promise<FileDigests>;
}

export class HashPool implements FileHasher {
  readonly width: number;
  readonly #pool: ThreadPool<FileDigestRequest, FileDigests>;
  readonly #minBytes: number;

  constructor(options: { threads?: number; minBytes?: number } = {}) {
    const threads = options.threads ?? poolSizeFor(Number.POSITIVE_INFINITY);
    this.#pool = new ThreadPool({
      url: workerFileUrl(import.meta.url, "hash-worker"),
      size: threads,
    });
    this.width = this.#pool.size;
    this.#minBytes = options.minBytes ?? HASH_POOL_MIN_BYTES;
  }

  async digest(request: FileDigestRequest): Promise<FileDigests> {
    if (request.limit < this.#minBytes) return digestFile(request);
    try {
      return await this.#pool.run(request);
    } catch (error) {
      if (error instanceof WorkerCrash) return digestFile(request);
      throw error;
    }
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}

/** Run `work` with a HashPool that is closed afterwards (so the process can exit). */
export async function withHashPool<R>(work: (pool: HashPool) => Promise<R>): Promise<R> {
  const pool = new HashPool();
  try {
    return await work(pool);
  } finally {
    await pool.close();
  }
}
