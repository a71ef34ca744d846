/**
 * Respecting the official huggingface_hub client's download lock.
 *
 * huggingface_hub downloads a blob while holding `<cache>/.locks/<models--org--name>/<blob id>.lock`
 * with the `filelock` package, which on Unix takes `flock(LOCK_EX)` on that file. Node has no
 * flock(2), so modelvet cannot take that lock itself; on Linux it can see it: /proc/locks lists
 * every flock by device and inode. While the lock of a blob is held by another process, modelvet
 * waits (the other download may finish the blob, which is then re-hashed and reused instead of
 * downloaded twice). It never creates, removes or changes anything under `.locks/`. Where
 * /proc/locks cannot be read (not Linux), nothing is waited for; the two clients still never share
 * a file: modelvet's partial files have names the official client never uses, and each side only
 * renames verified bytes into blobs/<id>.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RepoCache } from "./cache-layout.js";

/** `.locks/<models--org--name>/<blob id>.lock`, the official client's lock for one blob. */
export function hubLockPath(cache: RepoCache, blobId: string): string {
  return join(cache.root, ".locks", cache.repoDir.slice(cache.root.length + 1), `${blobId}.lock`);
}

/** Linux's split of a device number into major and minor (glibc's gnu_dev_major/minor). */
function majorMinor(dev: bigint): [bigint, bigint] {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  return [major, minor];
}

function hex(text: string | undefined): bigint | undefined {
  return text !== undefined && /^[0-9a-f]+$/i.test(text) ? BigInt(`0x${text}`) : undefined;
}

/**
 * Whether a process holds a flock on `path` (Linux, from /proc/locks). Undefined when that cannot
 * be known (no such file, no /proc/locks).
 */
export function isFlockHeld(path: string, procLocks = "/proc/locks"): boolean | undefined {
  let stat: { dev: bigint; ino: bigint };
  let table: string;
  try {
    stat = statSync(path, { bigint: true });
    table = readFileSync(procLocks, "utf8");
  } catch {
    return undefined;
  }
  const [major, minor] = majorMinor(stat.dev);
  for (const line of table.split("\n")) {
    // "1: FLOCK  ADVISORY  WRITE 4242 00:2d:1234 0 EOF"; a waiter's line has "->" before its type.
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== "FLOCK") continue;
    const [maj, min, ino] = fields[5]?.split(":") ?? [];
    if (ino === undefined || !/^\d+$/.test(ino)) continue;
    if (BigInt(ino) === stat.ino && hex(maj) === major && hex(min) === minor) return true;
  }
  return false;
}

export interface HubLockWait {
  sleep: (ms: number) => Promise<void>;
  /** Longest wait for the other client (default 10 minutes), then modelvet goes ahead. */
  maxWaitMs?: number | undefined;
  /** Told once when a wait begins. */
  onWait?: ((lockPath: string) => void) | undefined;
}

/**
 * Wait while the official client holds the download lock of `blobId`. Returns whether it waited
 * (the blob may have appeared meanwhile).
 */
export async function waitForHubLock(
  cache: RepoCache,
  blobId: string,
  wait: HubLockWait,
): Promise<boolean> {
  const lockPath = hubLockPath(cache, blobId);
  if (isFlockHeld(lockPath) !== true) return false;
  wait.onWait?.(lockPath);
  const limit = wait.maxWaitMs ?? 10 * 60_000;
  let waited = 0;
  while (waited < limit && isFlockHeld(lockPath) === true) {
    await wait.sleep(200);
    waited += 200;
  }
  return true;
}
