/**
 * One file of a pooled scan, done the same way on the calling thread and in a worker thread
 * (app/scan-threads.ts, app/scan-worker.ts), so a report never depends on which thread scanned what.
 *
 * Kept apart from scan-threads.ts so that a worker does not load the allowlist loader (and zod, its
 * heaviest import) when the caller sends its policy along.
 */
import { finding } from "../core/finding.js";
import { makeNode, type ScanNode } from "../core/report.js";
import { openFileSource } from "../io/files.js";
import { scanSource } from "../scan/dispatch.js";
import type { ScanPolicy } from "../scan/policy.js";

export interface ScanTask {
  /** Path as the report shows it. */
  path: string;
  absolute: string;
}

/** The scan policy without its one function (the grammar reader), as it crosses to a worker. */
export interface ScanPolicyData {
  pickle: ScanPolicy["pickle"];
  keras: Omit<ScanPolicy["keras"], "readHdf5">;
  python: { rules: ScanPolicy["python"]["rules"] };
}

export interface ScanWorkerData {
  /** The caller's policy; when absent the worker loads the allowlist from `policyDir`. */
  policy?: ScanPolicyData | undefined;
  policyDir: string;
}

export function policyData(policy: ScanPolicy): ScanPolicyData {
  // The HDF5 reader is a function (each worker makes its own, see scan-worker.ts).
  const { readHdf5: _, ...keras } = policy.keras;
  return { pickle: policy.pickle, keras, python: { rules: policy.python.rules } };
}

/** What a file whose scan did not finish reports: unscannable, with the reason. */
export function lostNode(path: string, reason: string): ScanNode {
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

/** Scans one file. Throws only when the file cannot be opened (the pool reports that as lost). */
export async function scanFileTask(task: ScanTask, policy: ScanPolicy): Promise<ScanNode> {
  const source = openFileSource(task.absolute);
  try {
    return await scanSource(source, { policy, path: task.path });
  } finally {
    source.close();
  }
}

/** `scanFileTask`, with a file that cannot be opened reported as lost (unscannable), never thrown. */
export function scanFileOrLost(task: ScanTask, policy: ScanPolicy): Promise<ScanNode> {
  return scanFileTask(task, policy).catch((error: unknown) =>
    lostNode(task.path, error instanceof Error ? error.message : String(error)),
  );
}
