/**
 * Worker thread for the scan pool (app/scan-pool.ts): takes the caller's policy (or loads the
 * allowlist itself when none was sent), then scans one file per task with the same code as the
 * calling thread (app/scan-worker-task.ts). Results are plain ScanNode data.
 */

import { workerData } from "node:worker_threads";
import type { ScanNode } from "../core/report.js";
import { readPythonGrammar } from "../io/grammar.js";
import { sharedHdf5Reader } from "../io/hdf5-runner.js";
import { serveTasks } from "../io/worker-pool.js";
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
  return {
    pickle,
    keras: { ...keras, readHdf5: sharedHdf5Reader() },
    python: { rules: python.rules, grammar: readPythonGrammar },
  };
}

if ((workerData as ScanWorkerData).crashForTesting?.mode === "start") {
  throw new Error("injected crash before the worker is ready");
}

serveTasks<ScanTask, ScanNode>(async (task, data) => {
  const options = data as ScanWorkerData;
  const crash = options.crashForTesting;
  if (crash?.paths.includes(task.path)) {
    // Fault injection for tests: die outside the dispatcher's fail-closed boundary.
    if (crash.mode === "exit") process.exit(70);
    setImmediate(() => {
      throw new Error(`injected crash while scanning ${task.path}`);
    });
    return new Promise<never>(() => {});
  }
  policy ??= await policyFor(options);
  return scanFileTask(task, policy);
});
