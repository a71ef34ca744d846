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
 *   by io/blob-sink.ts: one pass over the bytes, disk writes overlapped with the transfer, memory
 *   bounded whatever the file size. From `sink.offThreadMinBytes` (128 MiB) on, that runs on a
 *   worker thread (io/threaded-sink.ts) and this thread only receives. 408/429/5xx answers are
 *   retried with the Hub's rules (io/fetch.ts), a body cut short is resumed with a range.
 */
import { randomBytes } from "node:crypto";
import { renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ErrorCode, HubError, ModelvetError } from "../core/errors.js";
import { type Finding, finding } from "../core/finding.js";
import { CacheError, cacheFsError, ensureCacheDir, lstatOrUndefined } from "./cache-fs.js";
import type { RepoCache } from "./cache-layout.js";
import { type DownloadSink, InlineSink, type SinkOptions } from "./download-sink.js";
import { DEFAULT_OFF_THREAD_MIN_BYTES, ThreadedSink } from "./download-sink-threaded.js";
import {
  HUB_RETRY_POLICY,
  RETRY_STATUSES,
  type RetryEvent,
  type RetryPolicy,
  redactSecrets,
  retryDelayMs,
  USER_AGENT,
} from "./fetch.js";
import { digestFile, type FileDigests } from "./file-digest.js";
import type { FileHasher } from "./hash-pool.js";
import { type HttpResponse, httpGet, NetworkFailure, redirectTarget } from "./http-get.js";
import { waitForHubLock } from "./hub-lock.js";

export interface BlobExpectation {
  size: number;
  /** Git blob id from the tree (for LFS files, the pointer's id: informational). */
  gitOid: string;
  /** Present for LFS files: the content's SHA-256 (`lfs.oid`). */
  lfsSha256?: string | undefined;
  /**
   * The SHA-256 a lockfile pinned (models.lock): the bytes must have it too, or they are a
   * DIGEST_MISMATCH and never leave their partial file.
   */
  lockedSha256?: string | undefined;
}

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
  /** Disk-side tuning (io/blob-sink.ts); the defaults suit every file size. */
  sink?: SinkOptions & {
    /** Files this large or larger are hashed and written on a worker thread (default 128 MiB). */
    offThreadMinBytes?: number;
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

/** Compare what arrived with what the tree promised: size first, then the digest. */
function check(
  path: string,
  expected: BlobExpectation,
  hashes: FileDigests,
): { sha256: string } | Finding {
  if (hashes.bytes !== expected.size) {
    return finding(
      "SIZE_MISMATCH",
      "malicious",
      `${path}: the Hub published ${expected.size} bytes, ${hashes.bytes} arrived.`,
      {
        expected: expected.size,
        actual: hashes.bytes,
      },
    );
  }
  const sha256 = hashes.sha256;
  if (expected.lfsSha256 !== undefined && sha256 !== expected.lfsSha256) {
    return finding(
      "DIGEST_MISMATCH",
      "malicious",
      `${path}: the bytes do not match the SHA-256 the Hub published for this commit.`,
      {
        expected: `sha256:${expected.lfsSha256}`,
        actual: `sha256:${sha256}`,
      },
    );
  }
  if (expected.lockedSha256 !== undefined && sha256 !== expected.lockedSha256) {
    return finding(
      "DIGEST_MISMATCH",
      "malicious",
      `${path}: the bytes do not match the SHA-256 models.lock pins.`,
      {
        expected: `sha256:${expected.lockedSha256}`,
        actual: `sha256:${sha256}`,
      },
    );
  }
  if (expected.lfsSha256 === undefined) {
    const gitOid = hashes.gitSha1;
    if (gitOid !== expected.gitOid) {
      return finding(
        "DIGEST_MISMATCH",
        "malicious",
        `${path}: the bytes do not match the git blob id the Hub published for this commit.`,
        {
          expected: `git-sha1:${expected.gitOid}`,
          actual: `git-sha1:${gitOid}`,
        },
      );
    }
  }
  return { sha256 };
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Follow redirects by hand: Authorization only on the Hub's origin. */
async function follow(req: DownloadRequest, from: number): Promise<HttpResponse> {
  let url = new URL(req.url);
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = {
      "Accept-Encoding": "identity",
      "User-Agent": USER_AGENT,
    };
    if (from > 0) headers.Range = `bytes=${from}-`;
    if (req.auth !== undefined && url.origin === req.auth.origin)
      headers.Authorization = req.auth.authorization;
    const response = await httpGet(url, { headers, idleTimeoutMs: req.idleTimeoutMs });
    const location = response.header("location");
    if (response.status >= 300 && response.status < 400 && location !== undefined) {
      response.discard();
      url = redirectTarget(location, url, `downloading ${req.path}`);
      continue;
    }
    return response;
  }
  throw new HubError("HUB_PROTOCOL", `Too many redirects while downloading ${req.path}`);
}

/**
 * The answer to one download request, retried on 408/429/5xx and on connections that fail
 * before an answer, with the Hub's rules (Retry-After / RateLimit, backoff, a total wait budget).
 * When retries run out, the last answer is returned (the caller reports its status).
 */
async function openWithRetries(req: DownloadRequest, from: number): Promise<HttpResponse> {
  const policy = { ...HUB_RETRY_POLICY, ...req.retry };
  const sleep = req.sleep ?? defaultSleep;
  const base = new URL(req.url);
  const display = redactSecrets(`${base.origin}${base.pathname}`);
  let waited = 0;
  for (let retry = 0; ; retry++) {
    let response: HttpResponse | undefined;
    let problem: string;
    try {
      response = await follow(req, from);
      if (!RETRY_STATUSES.has(response.status) || retry >= policy.maxRetries) return response;
      problem = `HTTP ${response.status}`;
    } catch (error) {
      if (!(error instanceof NetworkFailure)) throw error;
      if (retry >= policy.maxRetries) throw networkError(req, error, retry, waited);
      problem = error.message;
    }
    const answer = response;
    const delay = retryDelayMs(
      retry,
      answer && { status: answer.status, headers: { get: (n) => answer.header(n) ?? null } },
      policy,
    );
    if (waited + delay > policy.maxTotalWaitMs) {
      if (answer !== undefined) return answer;
      throw networkError(req, new NetworkFailure(problem), retry, waited);
    }
    answer?.discard();
    req.onRetry?.({
      method: "GET",
      url: display,
      attempt: retry + 1,
      reason: problem,
      waitMs: delay,
    });
    await sleep(delay);
    waited += delay;
  }
}

function networkError(req: DownloadRequest, error: Error, retries: number, waited: number) {
  return new HubError(
    "NETWORK",
    `Cannot download ${req.path}: ${error.message}${retries > 0 ? ` (after ${retries} retries, ${Math.round(waited / 1000)} s of waiting)` : ""}. Check the network or --hub-url / HF_ENDPOINT.`,
    { cause: error },
  );
}

/** The body stopped before its end: the next attempt resumes from what reached the file. */
class Truncated extends Error {}

/**
 * A resumed file that did not verify: the bytes kept from an earlier attempt may be what is wrong
 * (a process killed between two concurrent batch writes can leave a hole of zeros, a power cut
 * unsynced blocks), so the partial file is deleted and the next attempt starts from byte 0. Only
 * bytes downloaded in one go can end in a DIGEST_MISMATCH finding.
 */
class ResumeRejected extends Error {}

/**
 * Stream the body into `sink`, at most `room` bytes. A longer body is cut off as soon as it passes
 * the size; a body that breaks is a `Truncated`; a disk error is thrown as it is. While the body
 * is paused for the sink, the idle timer is stopped: only silence we did not ask for is a stall.
 */
function receive(
  response: HttpResponse,
  sink: DownloadSink,
  room: number,
): Promise<{ received: number; tooLong: boolean }> {
  const body = response.body;
  response.idleTimer(true);
  return new Promise((resolve, reject) => {
    let received = 0;
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      body.removeListener("data", onData);
      done();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > room) {
        body.destroy();
        settle(() => resolve({ received, tooLong: true }));
        return;
      }
      let accepted: boolean;
      try {
        accepted = sink.write(chunk);
      } catch (error) {
        body.destroy();
        settle(() => reject(error));
        return;
      }
      if (!accepted) {
        body.pause();
        response.idleTimer(false);
        void sink.whenReady().then(() => {
          if (settled) return;
          response.idleTimer(true);
          body.resume();
        });
      }
    };
    if (body.destroyed) {
      // It broke while the partial file was being re-hashed: what it held is gone with it.
      settle(() => reject(new Truncated("the connection broke before the body was read")));
      return;
    }
    body.on("data", onData);
    body.on("end", () => settle(() => resolve({ received, tooLong: false })));
    body.on("error", (error) =>
      settle(() =>
        reject(
          new Truncated(
            `the connection broke after ${received} bytes${error instanceof NetworkFailure ? ` (${error.message})` : ""}`,
            { cause: error },
          ),
        ),
      ),
    );
    body.on("close", () =>
      settle(() =>
        body.complete
          ? resolve({ received, tooLong: false })
          : reject(new Truncated(`the connection closed after ${received} bytes`)),
      ),
    );
  });
}

/** Partial files are `<id>.modelvet-<16 hex>.incomplete`: never a name huggingface_hub uses. */
function newTempPath(blobsDir: string, blobId: string): string {
  return join(blobsDir, `${blobId}.modelvet-${randomBytes(8).toString("hex")}.incomplete`);
}

/** The partial file of one download: created by this call, resumed only by this call. */
interface PartialFile {
  path: string | undefined;
  /** The file exists (an earlier attempt created it). */
  created?: boolean;
}

function dropPartial(partial: PartialFile): void {
  if (partial.path === undefined) return;
  if (partial.created === true) rmSync(partial.path, { force: true });
  partial.path = undefined;
  partial.created = false;
}

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
  const response = have === size && size > 0 ? undefined : await openWithRetries(req, have);
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
    const tooLong = check(req.path, req.expected, {
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
  const verdict = check(req.path, req.expected, digests);
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

/**
 * Re-hash a blob that is already in the cache; a corrupt one is removed and downloaded again.
 * With a `hasher` (io/hash-pool.ts) the bytes are hashed there, so callers can check several
 * blobs at once on every core; the digests are the same.
 */
export async function verifyCachedBlob(
  path: string,
  blobPath: string,
  expected: BlobExpectation,
  hasher?: FileHasher,
): Promise<{ sha256: string } | Finding> {
  const stat = lstatOrUndefined(blobPath);
  if (stat === undefined || !stat.isFile()) {
    return finding(
      "CACHE_CORRUPT",
      "malicious",
      `${path}: ${blobPath} is ${stat === undefined ? "missing" : stat.isSymbolicLink() ? "a symbolic link" : "not a regular file"}, not a verified blob.`,
    );
  }
  const size = stat.size;
  if (size !== expected.size) {
    return check(path, expected, { bytes: size, sha256: "", gitSha1: undefined });
  }
  const request = {
    path: blobPath,
    limit: size,
    gitBlobSize: expected.lfsSha256 === undefined ? expected.size : undefined,
    noFollow: true,
  };
  const digests = await (hasher ?? { digest: digestFile }).digest(request);
  return check(path, expected, digests);
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

/** Remove a blob (a link there is removed, never its target); failures are typed. */
export function removeBlob(blobPath: string): void {
  try {
    rmSync(blobPath, { force: true });
  } catch (error) {
    throw cacheFsError(error, "removing", blobPath);
  }
}

/** An error from the operating system (a filesystem call), not from modelvet or the network. */
function isSystemError(error: unknown): boolean {
  if (error instanceof ModelvetError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}
