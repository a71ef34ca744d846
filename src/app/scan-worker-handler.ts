/**
 * What a scan worker thread does with each task (app/scan-worker.ts is the entry that serves it):
 * take the caller's policy (or load the allowlist when none was sent), then scan the file with the
 * same code as the calling thread (app/scan-worker-task.ts). Results are plain ScanNode data.
 */
import type { ScanNode } from "../core/report.js";
import { readPythonGrammar } from "../io/grammar.js";
import { sharedHdf5Reader } from "../io/hdf5-runner.js";
import type { ScanPolicy } from "../scan/policy.js";
import { type ScanTask, type ScanWorkerData, scanFileTask } from "./scan-worker-task.js";

let policy: ScanPolicy | undefined;

async function policyFor(data: ScanWorkerData): Promise<ScanPolicy> {
  if (data.policy === undefined) {
    const { loadScanPolicy } = await import("../io/policy-files.js");
    return loadScanPolicy(data.policyDir);
  }
  // The grammar reader is the one function of a policy (io/policy-python.ts supplies this one).
  const { pickle, keras, python } = data.policy;
  // Each worker thread makes its own HDF5 reader (a function does not cross threads).
  return {
    pickle,
    keras: { ...keras, readHdf5: sharedHdf5Reader() },
    python: { rules: python.rules, grammar: readPythonGrammar },
  };
}

export async function handleScanTask(task: ScanTask, data: unknown): Promise<ScanNode> {
  policy ??= await policyFor(data as ScanWorkerData);
  return scanFileTask(task, policy);
}
