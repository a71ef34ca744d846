/**
 * Scan files on every core: a worker_threads pool (io/worker-pool.ts) where each worker loads the
 * scan policy once and runs `scanSource` over `openFileSource(path)`. Results come back in the
 * order of the input. Fail closed: a file whose worker dies gets an `unscannable` node saying so;
 * it is never lost and never clean.
 */
import { finding } from "../core/finding.js";
import { makeNode, type ScanNode } from "../core/report.js";
import { SHIPPED_ALLOWLIST_DIR } from "../io/policy-files.js";
import { poolSizeFor, WorkerPool, workerFileUrl } from "../io/worker-pool.js";
import { mapBounded } from "./pool.js";

export interface ScanTask {
  /** Path as the report shows it. */
  path: string;
  absolute: string;
}

export interface ScanPoolOptions {
  /**
   * The allowlist folder the workers load their policy from: it must be the folder the caller's
   * own ScanPolicy came from (default: the shipped allowlist/, as `loadScanPolicy()`).
   */
  policyDir?: string;
  /** Threads; default one per core, never more than files. */
  threads?: number;
  /** Tests only: the worker scanning one of these paths dies (uncaught throw, or exit). */
  crashForTesting?: { paths: readonly string[]; mode: "throw" | "exit" };
}

export interface ScanWorkerData {
  policyDir: string;
  crashForTesting?: { paths: readonly string[]; mode: "throw" | "exit" } | undefined;
}

/** Below this many files the pool's start-up costs more than it saves. */
export const POOL_MIN_FILES = 8;

function lostNode(path: string, reason: string): ScanNode {
  return makeNode({
    path,
    format: "unknown",
    findings: [
      finding(
        "UNSCANNABLE",
        "unscannable",
        `The scan of this file did not finish (${reason}): it cannot be called clean.`,
      ),
    ],
  });
}

/** Scan `tasks` in a pool; the nodes come back in the order of `tasks`. */
export async function scanFilesInPool(
  tasks: readonly ScanTask[],
  options: ScanPoolOptions = {},
): Promise<ScanNode[]> {
  const size = Math.min(options.threads ?? poolSizeFor(tasks.length), Math.max(1, tasks.length));
  const data: ScanWorkerData = {
    policyDir: options.policyDir ?? SHIPPED_ALLOWLIST_DIR,
    crashForTesting: options.crashForTesting,
  };
  const pool = new WorkerPool<ScanTask, ScanNode>({
    url: workerFileUrl(import.meta.url, "scan-worker"),
    size,
    data,
  });
  try {
    // Two tasks per thread in flight keep every worker fed while a result crosses back.
    return await mapBounded(tasks, size * 2, async (task) => {
      try {
        return await pool.run(task);
      } catch (error) {
        return lostNode(task.path, error instanceof Error ? error.message : String(error));
      }
    });
  } finally {
    await pool.close();
  }
}
