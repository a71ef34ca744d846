/**
 * Scan files on every core: worker threads (io/thread-pool.ts) plus the calling thread.
 *
 * A worker needs 0.25-0.5 s of CPU before its first file (Node loads our module graph again in
 * each thread) and then runs cold code (its own JIT warm-up: one cold thread spends ~3 s of CPU on
 * the 1,000-file bench folder, a warm one ~1.3 s). So the calling thread, already loaded, scans files while the workers start,
 * and by default keeps going alongside them; the workers take files as soon as each is ready. The
 * calling thread takes the kinds of file whose code is slowest to warm up first, the workers the
 * rest, and either takes from the other's share when its own is done (CALLING_THREAD_EXTENSIONS).
 * The workers get the caller's policy as data (no allowlist parsing, no zod).
 * WebAssembly is not the start-up cost (measured: the tree-sitter runtime and grammar take 35-90 ms
 * of CPU to compile and load in a fresh worker; h5wasm ~0.2 s, mostly parsing its 4 MB JavaScript,
 * and V8 reuses wasm code compiled by another thread of the process while that thread keeps it).
 *
 * Every thread runs the same code (app/scan-worker-task.ts) and results are put back in the order
 * of the input, so the report does not depend on who scanned what. Fail closed: a file whose worker
 * dies gets an `unscannable` node saying so; it is never lost and never clean, and the files sent
 * ahead to that worker are scanned by another.
 */
import { loadavg } from "node:os";
import { extname } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import type { ScanNode } from "../core/report.js";
import { loadScanPolicy, SHIPPED_ALLOWLIST_DIR } from "../io/policy-files.js";
import { poolSizeFor, ThreadPool, WorkerCrash, workerFileUrl } from "../io/thread-pool.js";
import type { ScanPolicy } from "../scan/policy.js";
import {
  lostNode,
  policyData,
  type ScanTask,
  type ScanWorkerData,
  scanFileOrLost,
} from "./scan-worker-task.js";

export type { ScanTask } from "./scan-worker-task.js";

export interface ScanThreadsOptions {
  /** The caller's policy, sent to the workers as data. Default: loaded from `policyDir`. */
  policy?: ScanPolicy | undefined;
  /** The allowlist folder to load the policy from when `policy` is not given (default: shipped). */
  policyDir?: string;
  /**
   * Worker threads, besides the calling thread; never more than files. Default: `idleWorkers()`,
   * one scanning thread per two idle cores, less the calling thread when it scans throughout.
   */
  threads?: number;
  /** Fewer files than this are scanned on the calling thread alone (default THREADS_MIN_FILES). */
  minFiles?: number;
  /**
   * What the calling thread does: scan files for the whole run (`always`, the default), only until
   * every worker is ready (`warmup`), or only hand files out (`never`).
   */
  callingThread?: "always" | "warmup" | "never";
  /**
   * The worker thread's entry module (default: app/scan-worker). It must serve ScanTasks with
   * io/thread-pool.ts `serveTasks`; tests give one that dies on purpose.
   */
  workerUrl?: URL;
}

/**
 * Files the calling thread takes first (by name: a scheduling hint only; what a file is, is still
 * decided from its bytes). Python source, HDF5 and Keras files need the two WebAssembly parsers
 * and the Python analyser, the code that takes longest to load and warm up; kept on one thread, a
 * worker mostly never loads it. JSON and Jinja files (configs, chat templates) go with them so
 * that the two sides are about even on a model folder (on the 1,000-file folder, one thread spends
 * ~2 s on these and ~1.4 s on the rest). Measured with cold CLI runs on that folder (6
 * alternating pairs, load 5-6.6 on 2 cores): `--jobs 2` used 0.5-2.0 s more CPU than `--jobs 1`
 * (median ~1.3 s) without this, 0.3-1.2 s (median ~0.75 s) with it.
 */
const CALLING_THREAD_EXTENSIONS = new Set(["py", "h5", "hdf5", "keras", "json", "jinja"]);

function prefersCallingThread(path: string): boolean {
  return CALLING_THREAD_EXTENSIONS.has(extname(path).slice(1).toLowerCase());
}

/** Below this many files starting worker threads costs more than it saves. */
export const THREADS_MIN_FILES = 8;

/**
 * Where `modelvet scan --jobs auto` starts using idle cores. A worker costs up to a second of CPU
 * starting cold; one cold thread scans small files at roughly 250-300 per second.
 */
export const AUTO_JOBS_MIN_FILES = 200;

/**
 * Files sent to a worker ahead of the one it is scanning, so that it does not wait while this
 * thread finishes a file of its own before handing out the next (with 2, a worker sat idle for a
 * third of a 1,000-file run).
 */
const PREFETCH = 4;

/** Cores one scanning thread keeps busy, its V8 compiler and GC threads included (see idleWorkers). */
const CORES_PER_SCANNING_THREAD = 2;

/**
 * Workers worth starting now: one per two cores that other processes leave idle (1-minute load
 * average), less the calling thread's own share unless `spareCaller`. Each scanning thread keeps
 * about 1.7 cores busy, because V8 compiles its hot code (TurboFan) and collects garbage on
 * background threads, per isolate: measured on the 1,000-file bench folder with per-thread CPU
 * from /proc, one scanning thread used 2.1-2.7 s of CPU on the main thread and 1.8-2.2 s on V8's
 * threads (--trace-opt sums ~4 s of TurboFan compile time for 5,000 files; with
 * --no-concurrent-recompilation the background share falls to ~0.7 s and the main thread's rises
 * by as much). A second scanning thread must compile the same code again in its own isolate, so
 * on 2 cores `--jobs 2` took 0.8-1.0x the time of `--jobs 1`: the CPU it adds (1-1.5 s) is more
 * than the idle core gives back. Where the load is not known (0), every core counts as idle.
 */
export function idleWorkers(spareCaller = false): number {
  return workersFor(poolSizeFor(Number.POSITIVE_INFINITY), loadavg()[0] ?? 0, spareCaller);
}

/** idleWorkers' rule for `cores` cores and a 1-minute load average of `load`. */
export function workersFor(cores: number, load: number, spareCaller = false): number {
  const idle = Math.max(0, Math.min(cores, Math.ceil(cores - load)));
  const scanning = Math.floor(idle / CORES_PER_SCANNING_THREAD);
  return spareCaller ? scanning : Math.max(0, scanning - 1);
}

/** Scan `tasks` on worker threads and this one; the nodes come back in the order of `tasks`. */
export async function scanFilesOnThreads(
  tasks: readonly ScanTask[],
  options: ScanThreadsOptions = {},
): Promise<ScanNode[]> {
  const policy = options.policy ?? loadScanPolicy(options.policyDir ?? SHIPPED_ALLOWLIST_DIR);
  const calling = options.callingThread ?? "always";
  const threads =
    tasks.length < (options.minFiles ?? THREADS_MIN_FILES)
      ? 0
      : Math.min(options.threads ?? idleWorkers(calling !== "always"), tasks.length);
  const results = new Array<ScanNode>(tasks.length);
  // Two queues in input order: files this thread prefers, and the rest, which workers prefer.
  // Each side takes from the other's queue once its own is empty.
  const queues = { calling: [] as number[], workers: [] as number[] };
  const heads = { calling: 0, workers: 0 };
  for (const [index, task] of tasks.entries())
    (prefersCallingThread(task.path) ? queues.calling : queues.workers).push(index);
  const takeFrom = (side: "calling" | "workers"): number | undefined => {
    const other = side === "calling" ? "workers" : "calling";
    for (const q of [side, other] as const)
      if (heads[q] < queues[q].length) return queues[q][heads[q]++];
    return undefined;
  };

  const here = async (index: number): Promise<void> => {
    const task = tasks[index]!;
    results[index] = await scanFileOrLost(task, policy);
  };
  if (threads < 1) {
    for (let i = 0; i < tasks.length; i++) await here(i);
    return results;
  }

  const data: ScanWorkerData = {
    policy: policyData(policy),
    policyDir: options.policyDir ?? SHIPPED_ALLOWLIST_DIR,
  };
  const pool = new ThreadPool<ScanTask, ScanNode>({
    url: options.workerUrl ?? workerFileUrl(import.meta.url, "scan-worker"),
    size: threads,
    data,
    prefetch: PREFETCH,
  });
  const viaWorker = async (index: number): Promise<void> => {
    const task = tasks[index]!;
    try {
      results[index] = await pool.run(task);
    } catch (error) {
      // A file no worker began (none could start) is scanned here; one whose worker died while
      // scanning it is not retried anywhere (it may be what killed the worker): unscannable.
      if (error instanceof WorkerCrash && !error.started) await here(index);
      else
        results[index] = lostNode(
          task.path,
          error instanceof Error ? error.message : String(error),
        );
    }
  };
  /** Feeds workers once one is ready; a worker that never starts leaves its lanes idle. */
  const workerLane = async (started: Promise<boolean>): Promise<void> => {
    if (!(await started)) return;
    for (let i = takeFrom("workers"); i !== undefined; i = takeFrom("workers")) await viaWorker(i);
  };
  const started = pool.start();
  const callingLane = async (): Promise<void> => {
    if (calling === "never") return;
    for (;;) {
      // Let worker replies and readiness through between two files.
      await nextTurn();
      if (calling === "warmup" && pool.readyWorkers >= threads) return;
      const i = takeFrom("calling");
      if (i === undefined) return;
      await here(i);
    }
  };
  try {
    await Promise.all([
      ...started.flatMap((s) => Array.from({ length: PREFETCH }, () => workerLane(s))),
      callingLane(),
    ]);
    // Files no lane took (no worker started and this thread stands aside): scanned here.
    for (let i = takeFrom("workers"); i !== undefined; i = takeFrom("workers")) await viaWorker(i);
  } finally {
    await pool.close();
  }
  return results;
}
