/**
 * Download one file into the cache's blobs/ folder, verified while it streams.
 *
 * - The expected size and digests come from the tree at the pinned commit (the caller passes
 *   them), never from the response that delivers the bytes.
 * - SHA-256 (always) and the git blob SHA-1 (regular files) are computed in the same pass that
 *   writes the bytes; size is checked before the digest, and a body longer than expected is cut
 *   off as soon as it passes the size.
 * - Bytes go to `blobs/<id>.modelvet-<16 hex>.incomplete`, a name the official huggingface_hub
 *   client never uses, created with O_EXCL|O_NOFOLLOW (a planted file or link there is never
 *   opened), fsynced, and renamed to `blobs/<id>` only when verified. Wrong bytes are deleted. A
 *   transfer cut short is resumed with an HTTP range from the partial file this call created, and
 *   only from that: a partial file someone else left (the official client, an earlier run, an
 *   attacker) is never adopted or touched. When the download gives up, its partial file goes.
 * - One download per blob per process: a second request for a blob already on its way waits for
 *   that download instead of racing it.
 * - Every filesystem failure is a typed CacheError (io/cache-fs.ts), exit 2.
 * - Redirects are followed by hand so that `Authorization` goes only to the Hub's own origin.
 * - The body comes through node:http (io/http-get.ts), not WHATWG fetch, and is hashed and written
 *   by io/blob-writer.ts: one pass over the bytes, disk writes overlapped with the transfer, memory
 *   bounded whatever the file size. From `sink.offThreadMinBytes` (128 MiB) on, that runs on a
 *   worker thread (io/download-sink-threaded.ts) and this thread only receives. 408/429/5xx answers are
 *   retried with the Hub's rules (io/retry.ts), a body cut short is resumed with a range.
 *
 * The parts: the decision on the bytes (core/blob-check.ts), opening the request with redirects and
 * retries (io/download-open.ts), receiving the body (io/download-receive.ts), the partial file
 * (io/partial-file.ts), blobs already cached (io/cached-blob.ts).
 */
import { renameSync } from "node:fs";
import { type BlobExpectation, evaluateBlob } from "../core/blob-check.js";
import { type ErrorCode, HubError, ModelvetError } from "../core/errors.js";
import type { Finding } from "../core/finding.js";

export type { BlobExpectation } from "../core/blob-check.js";

import { CacheError, cacheFsError, ensureCacheDir, lstatOrUndefined } from "./cache-fs.js";
import type { RepoCache } from "./cache-layout.js";
import { removeBlob, verifyCachedBlob } from "./cached-blob.js";
import { openDownload } from "./download-open.js";
import { receive, Truncated } from "./download-receive.js";
import { type DownloadSink, InlineSink, type SinkOptions } from "./download-sink.js";
import {
  DEFAULT_OFF_THREAD_MIN_BYTES,
  ThreadedSink,
  type ThreadedSinkOptions,
} from "./download-sink-threaded.js";
import type { RetryEvent, RetryPolicy } from "./fetch.js";
import { waitForHubLock } from "./hub-lock.js";
import { dropPartial, newTempPath, type PartialFile } from "./partial-file.js";

export { removeBlob, verifyCachedBlob } from "./cached-blob.js";

export interface DownloadRequest {
  cache: RepoCache;
  /** Repo path, for messages. */
  path: string;
  /** Resolve URL at the pinned commit. */
  url: string;
  expected: BlobExpectation;
  /** Sent only to this origin, never across a redirect to another origin. */
  auth?: { origin: string; authorization: string } | undefined;
  /** Bytes written to the file, as each write returns. */
  onBytes?: (bytes: number) => void;
  /** Attempts for bodies cut short or broken (each resumes). Default 4. */
  maxAttempts?: number;
  /** Every wait (retries, attempts) goes through this; tests pass one that does not wait. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** How 408/429/5xx answers and failed connections are retried (default: HUB_RETRY_POLICY). */
  retry?: Partial<RetryPolicy> | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  /** Silence on a connection that counts as broken, ms (default 60 s): the transfer resumes. */
  idleTimeoutMs?: number;
  /**
   * Longest wait while huggingface_hub holds this blob's download lock (default 10 minutes; see
   * io/hub-lock.ts), after which modelvet downloads it anyway, into its own partial file.
   */
  hubLockWaitMs?: number | undefined;
  /** Disk-side tuning (io/blob-writer.ts); the defaults suit every file size. */
  sink?: SinkOptions & {
    /** Files this large or larger are hashed and written on a worker thread (default 128 MiB). */
    offThreadMinBytes?: number;
    /** That thread's module (default io/download-sink-worker, a sibling of this module). */
    workerUrl?: ThreadedSinkOptions["workerUrl"];
  };
}

export type DownloadResult =
  | {
      status: "verified";
      blobId: string;
      blobPath: string;
      sha256: string;
      size: number;
      /** The blob was already in the cache and was re-hashed instead of downloaded. */
      reused: boolean;
    }
  | { status: "mismatch"; finding: Finding };

export function blobIdFor(expected: BlobExpectation): string {
  return expected.lfsSha256 ?? expected.gitOid;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A resumed file that did not verify: the bytes kept from an earlier attempt may be what is wrong
 * (a process killed between two concurrent batch writes can leave a hole of zeros, a power cut
 * unsynced blocks), so the partial file is deleted and the next attempt starts from byte 0. Only
 * bytes downloaded in one go can end in a DIGEST_MISMATCH finding.
 */
class ResumeRejected extends Error {}

/** One attempt: resume from this download's own partial file when an earlier attempt left one. */
async function attempt(
  req: DownloadRequest,
  blobId: string,
  partial: PartialFile,
): Promise<DownloadResult> {
  const blobsDir = req.cache.blobsDir;
  const size = req.expected.size;
  ensureCacheDir(req.cache.root, blobsDir);
  let have = 0;
  if (partial.path !== undefined && partial.created === true) {
    const stat = lstatOrUndefined(partial.path);
    if (stat === undefined || !stat.isFile() || stat.size > size) {
      // Replaced or removed by someone else meanwhile: not ours any more, start over.
      if (stat?.isFile()) dropPartial(partial);
      partial.path = undefined;
      partial.created = false;
    } else have = stat.size;
  }
  if (partial.path === undefined || partial.created !== true) {
    partial.path = newTempPath(blobsDir, blobId);
    partial.created = false;
  }
  let temp = partial.path;

  // A partial file that already holds every byte (interrupted before its rename) needs no request.
  const response = have === size && size > 0 ? undefined : await openDownload(req, have);
  if (response !== undefined) {
    if (response.status === 200 && have > 0) {
      // The server ignored the range: start over, in a fresh file created exclusively.
      dropPartial(partial);
      partial.path = newTempPath(blobsDir, blobId);
      partial.created = false;
      temp = partial.path;
      have = 0;
    } else if (response.status === 206 && have > 0) {
      const range = response.header("content-range") ?? "";
      if (!range.startsWith(`bytes ${have}-`)) {
        response.discard();
        throw new HubError(
          "HUB_PROTOCOL",
          `Unexpected Content-Range "${range}" while resuming ${req.path}`,
        );
      }
    } else if (response.status !== 200 && !(response.status === 206 && have === 0)) {
      response.discard();
      throw new HubError(
        downloadErrorCode(response.status),
        `Downloading ${req.path} failed: HTTP ${response.status}${response.status === 429 ? " (rate-limited after every retry; try again later, with a token for higher limits)" : ""}`,
        { status: response.status },
      );
    }
  }

  // Our own work before the body is read (re-hashing a partial file, starting a write thread)
  // is not a stalled connection: the idle timer restarts when receive() begins.
  response?.idleTimer(false);
  const target = {
    path: temp,
    open: partial.created === true ? ("reopen" as const) : ("exclusive" as const),
    position: have,
    gitBlobSize: req.expected.lfsSha256 === undefined ? size : undefined,
  };
  const sinkOptions = { ...req.sink, onWritten: req.onBytes };
  let sink: DownloadSink;
  try {
    sink =
      size >= (req.sink?.offThreadMinBytes ?? DEFAULT_OFF_THREAD_MIN_BYTES)
        ? new ThreadedSink(target, sinkOptions)
        : await InlineSink.open(target, sinkOptions);
  } catch (error) {
    response?.discard(); // the body will not be read: let go of its connection
    throw error;
  }
  // From here the file is ours (an exclusive create that failed is not: see the catch below).
  partial.created = true;
  let outcome = { received: 0, tooLong: false };
  let broken: Truncated | undefined;
  try {
    if (response !== undefined) {
      try {
        outcome = await receive(response, sink, size - have);
      } catch (error) {
        if (!(error instanceof Truncated)) throw error;
        broken = error; // keep what arrived, for the next attempt
      }
    }
    if (!outcome.tooLong) await sink.close();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (target.open === "exclusive" && code === "EEXIST") partial.created = false;
    throw error;
  } finally {
    await sink.settle();
  }

  if (outcome.tooLong) {
    dropPartial(partial);
    const tooLong = evaluateBlob(req.path, req.expected, {
      bytes: have + outcome.received,
      sha256: "",
      gitSha1: undefined,
    });
    return { status: "mismatch", finding: tooLong as Finding };
  }
  if (broken !== undefined) throw broken;
  const digests = sink.digests();
  if (digests.bytes < size) {
    // A short body: keep the partial file for the next attempt.
    throw new Truncated(`the body ended after ${digests.bytes} of ${size} bytes`);
  }
  const verdict = evaluateBlob(req.path, req.expected, digests);
  if ("code" in verdict) {
    dropPartial(partial);
    if (have > 0) throw new ResumeRejected(`the file resumed from byte ${have} did not verify`);
    return { status: "mismatch", finding: verdict };
  }
  const blobPath = req.cache.blobPath(blobId);
  try {
    renameSync(temp, blobPath);
  } catch (error) {
    throw cacheFsError(error, "moving the verified file to", blobPath);
  }
  partial.path = undefined;
  return {
    status: "verified",
    blobId,
    blobPath,
    sha256: verdict.sha256,
    size: digests.bytes,
    reused: false,
  };
}

/** The error for a download answer that is not the bytes, once retries are spent. */
function downloadErrorCode(status: number): ErrorCode {
  if (status === 404) return "HUB_ENTRY_NOT_FOUND";
  if (status === 429) return "HUB_RATE_LIMITED";
  if (status === 401 || status === 403) return "HUB_AUTH";
  if (status === 408 || status >= 500) return "HUB_UNAVAILABLE";
  return "HUB_PROTOCOL";
}

/** Downloads on their way in this process, by blob file and expectation. */
const inFlight = new Map<string, { path: string; result: Promise<DownloadResult> }>();

/**
 * Download one file into blobs/, verified. Two requests for the same blob (two identical files in
 * a commit, two pulls in one process) share one download; the second one's findings name its path.
 */
export async function downloadToCache(req: DownloadRequest): Promise<DownloadResult> {
  const blobId = blobIdFor(req.expected);
  const blobPath = req.cache.blobPath(blobId);
  const e = req.expected;
  const key = [blobPath, e.size, e.gitOid, e.lfsSha256 ?? "", e.lockedSha256 ?? ""].join("\0");
  const running = inFlight.get(key);
  if (running !== undefined) {
    const result = await running.result;
    if (result.status === "verified") return { ...result, reused: true };
    const message = result.finding.message.startsWith(`${running.path}:`)
      ? `${req.path}${result.finding.message.slice(running.path.length)}`
      : result.finding.message;
    return { status: "mismatch", finding: { ...result.finding, message } };
  }
  const result = downloadBlob(req, blobId, blobPath);
  inFlight.set(key, { path: req.path, result });
  try {
    return await result;
  } finally {
    inFlight.delete(key);
  }
}

async function downloadBlob(
  req: DownloadRequest,
  blobId: string,
  blobPath: string,
): Promise<DownloadResult> {
  ensureCacheDir(req.cache.root, req.cache.blobsDir);
  // The official client may be downloading this blob right now: let it finish, then re-hash what
  // it left instead of downloading twice (io/hub-lock.ts). A real wait for another process, not a
  // retry backoff: it does not go through `req.sleep`.
  await waitForHubLock(req.cache, blobId, { sleep: defaultSleep, maxWaitMs: req.hubLockWaitMs });
  const there = lstatOrUndefined(blobPath);
  if (there !== undefined && !there.isFile() && !there.isSymbolicLink()) {
    throw new CacheError(
      `${blobPath} is ${there.isDirectory() ? "a folder, not a file" : "not a regular file"}: the cache keeps ${req.path}'s verified bytes there. Remove it and pull again.`,
    );
  }
  if (there?.isSymbolicLink()) {
    // A blob must be a file inside the cache: a link (to bytes someone else controls) goes, and
    // the bytes are downloaded and verified again. Removing a link never touches its target.
    removeBlob(blobPath);
  } else if (there !== undefined) {
    const checked = await verifyCachedBlob(req.path, blobPath, req.expected);
    if (!("code" in checked)) {
      return {
        status: "verified",
        blobId,
        blobPath,
        sha256: checked.sha256,
        size: req.expected.size,
        reused: true,
      };
    }
    removeBlob(blobPath); // corrupt: never leave it where a loader looks
  }
  const attempts = Math.max(1, req.maxAttempts ?? 4);
  const sleep = req.sleep ?? defaultSleep;
  const partial: PartialFile = { path: undefined };
  let last: unknown;
  let restarted = false;
  try {
    for (let i = 0; i < attempts; i++) {
      try {
        return await attempt(req, blobId, partial);
      } catch (error) {
        last = error;
        if (error instanceof ResumeRejected && !restarted) {
          restarted = true; // once, at once, and not counted: the next attempt starts from byte 0
          i--;
          continue;
        }
        if (!(error instanceof Truncated || error instanceof ResumeRejected)) throw error;
        await sleep(Math.min(8000, 250 * 2 ** i));
      }
    }
  } catch (error) {
    throw isSystemError(error) ? cacheFsError(error, "writing", partial.path ?? blobPath) : error;
  } finally {
    // Nothing partial outlives the download: no later run adopts it, and a full disk gets its
    // space back.
    dropPartial(partial);
  }
  throw new HubError(
    "NETWORK",
    `Downloading ${req.path} failed after ${attempts} attempts: ${(last as Error).message}`,
    { cause: last },
  );
}

/** An error from the operating system (a filesystem call), not from modelvet or the network. */
function isSystemError(error: unknown): boolean {
  if (error instanceof ModelvetError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}
