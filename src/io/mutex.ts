/**
 * A small cross-process mutex on a file (`models.lock.lock`), so concurrent `add` / `lock` runs
 * cannot interleave their read-modify-write of modelvet.json and models.lock.
 *
 * The file holds an owner record: pid, a random token, the process start time, and where the
 * pid means something (host name, PID namespace, boot id). It is written whole to a temporary
 * file and hard-linked into place, so nobody ever reads a half-written record.
 *
 * When is a lock file stale (its owner gone)?
 * - Written in our PID namespace on this boot (pids comparable):
 *   - its pid is ours but its token is not one we hold: a previous process that had our pid
 *     (PID 1 in a restarted container) left it; stale;
 *   - no process has its pid: stale;
 *   - a process has it but started at another time than the owner did: the pid was reused; stale;
 *   - otherwise held.
 * - Written elsewhere (another container or machine sharing the folder), or an old plain-pid or
 *   unreadable record: held while its owner keeps refreshing the file's mtime (every 10 s);
 *   stale after STALE_AFTER_MS without a refresh. (A plain pid of ours, or of no live process,
 *   is stale at once.)
 * Taking over a stale lock goes through a short-lived `<lock>.break` file and re-reads the record
 * inside it, so two waiters cannot both remove it and both believe they hold the lock.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { ModelvetError } from "../core/errors.js";
import { tempPathBeside } from "./atomic-file.js";

export const HEARTBEAT_MS = 10_000;
export const STALE_AFTER_MS = 120_000;
const BREAKER_STALE_MS = 10_000;

export interface MutexOwner {
  pid: number;
  token: string;
  /** Process start time in clock ticks since boot (Linux /proc), when known. */
  start?: string | undefined;
  host?: string | undefined;
  pidns?: string | undefined;
  boot?: string | undefined;
}

/** Tokens of the mutexes this process holds right now. */
const held = new Set<string>();

function readOptional(read: () => string): string | undefined {
  try {
    return read().trim();
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started, in ticks since boot (Linux only). */
export function processStartTime(pid: number): string | undefined {
  const stat = readOptional(() => readFileSync(`/proc/${pid}/stat`, "latin1"));
  if (stat === undefined) return undefined;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = fields[19];
  return start !== undefined && /^\d+$/.test(start) ? start : undefined;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Where our pids mean something: host, PID namespace and boot. */
function whereWeAre(): Pick<MutexOwner, "host" | "pidns" | "boot"> {
  return {
    host: hostname(),
    pidns: readOptional(() => readlinkSync("/proc/self/ns/pid")),
    boot: readOptional(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
  };
}

function parseOwner(text: string): MutexOwner | number | undefined {
  const trimmed = text.trim();
  if (/^[1-9]\d{0,9}$/.test(trimmed)) return Number(trimmed); // an older modelvet's plain pid
  try {
    const raw = JSON.parse(trimmed) as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    if (
      typeof raw.pid === "number" &&
      Number.isInteger(raw.pid) &&
      raw.pid > 0 &&
      typeof raw.token === "string" &&
      raw.token.length > 0
    ) {
      return {
        pid: raw.pid,
        token: raw.token,
        start: str(raw.start),
        host: str(raw.host),
        pidns: str(raw.pidns),
        boot: str(raw.boot),
      };
    }
  } catch {
    // unreadable: judged by age below
  }
  return undefined;
}

export interface Staleness {
  stale: boolean;
  /** Who holds it, for the timeout message. */
  who: string;
}

/** Is the lock file with this text and mtime stale, seen from this process, now? */
export function judgeLockFile(text: string, mtimeMs: number, nowMs: number): Staleness {
  const owner = parseOwner(text);
  const old = nowMs - mtimeMs > STALE_AFTER_MS;
  if (typeof owner === "number") {
    return {
      stale: owner === process.pid || !pidAlive(owner) || old,
      who: `pid ${owner}`,
    };
  }
  if (owner === undefined) return { stale: old, who: "an unreadable owner record" };
  const here = whereWeAre();
  const who = `pid ${owner.pid}${owner.host !== undefined ? ` on ${owner.host}` : ""}`;
  const comparable =
    owner.host === here.host && owner.pidns === here.pidns && owner.boot === here.boot;
  if (!comparable) return { stale: old, who };
  if (owner.pid === process.pid) return { stale: !held.has(owner.token), who };
  if (!pidAlive(owner.pid)) return { stale: true, who };
  const now = processStartTime(owner.pid);
  if (owner.start !== undefined && now !== undefined && now !== owner.start)
    return { stale: true, who };
  return { stale: false, who };
}

function readLockFile(path: string): { text: string; mtimeMs: number } | undefined {
  try {
    const text = readFileSync(path, "utf8");
    return { text, mtimeMs: statSync(path).mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/** Creates the lock file holding `record`, whole, or returns false when it exists. */
function tryCreate(path: string, record: string): boolean {
  const temp = tempPathBeside(path, "owner");
  writeFileSync(temp, record, { flag: "wx", mode: 0o644 });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS")
      throw error;
  } finally {
    rmSync(temp, { force: true });
  }
  // A filesystem without hard links: O_EXCL create, then write (a reader may briefly see it empty).
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, record);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** Removes the lock file if it still holds exactly `judged`, under the `.break` file. */
function breakStale(path: string, judged: string): void {
  const breaker = `${path}.break`;
  try {
    closeSync(openSync(breaker, "wx", 0o644));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    try {
      if (Date.now() - statSync(breaker).mtimeMs > BREAKER_STALE_MS)
        rmSync(breaker, { force: true });
    } catch {
      // gone meanwhile
    }
    return;
  }
  try {
    const now = readLockFile(path);
    if (now !== undefined && now.text === judged) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

export async function withFileMutex<T>(
  path: string,
  work: () => Promise<T>,
  options: { timeoutMs?: number; onWait?: (who: string) => void } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const token = randomBytes(16).toString("hex");
  const record = `${JSON.stringify({
    pid: process.pid,
    token,
    start: processStartTime(process.pid),
    ...whereWeAre(),
  })}\n`;
  let told = false;
  for (;;) {
    let created: boolean;
    try {
      created = tryCreate(path, record);
    } catch (error) {
      throw new ModelvetError(
        "USAGE",
        `Cannot create the lock file ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); is its folder there and writable?`,
        { cause: error },
      );
    }
    if (created) break;
    const seen = readLockFile(path);
    if (seen === undefined) continue; // released between our create and read
    const judged = judgeLockFile(seen.text, seen.mtimeMs, Date.now());
    if (judged.stale) {
      breakStale(path, seen.text);
      continue;
    }
    if (Date.now() > deadline) {
      throw new ModelvetError(
        "USAGE",
        `Another modelvet process (${judged.who}) holds ${path}; wait for it, or remove the file if no modelvet is running.`,
      );
    }
    if (!told) {
      told = true;
      options.onWait?.(judged.who);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  held.add(token);
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // a missing file is noticed at release
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    held.delete(token);
    // Remove only our own record: never a lock someone else took over.
    const now = readLockFile(path);
    if (now !== undefined && now.text === record) rmSync(path, { force: true });
  }
}
