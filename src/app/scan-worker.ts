/**
 * Worker thread for the scan pool (app/scan-pool.ts): loads the scan policy once, then scans one
 * file per task with the same dispatcher as the sequential path. Results are plain ScanNode data.
 */
import type { ScanNode } from "../core/report.js";
import { openFileSource } from "../io/files.js";
import { loadScanPolicy } from "../io/policy-files.js";
import { serveTasks } from "../io/worker-pool.js";
import { scanSource } from "../scan/dispatch.js";
import type { ScanPolicy } from "../scan/policy.js";
import type { ScanTask, ScanWorkerData } from "./scan-pool.js";

let policy: ScanPolicy | undefined;

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
  policy ??= loadScanPolicy(options.policyDir);
  const source = openFileSource(task.absolute);
  try {
    return await scanSource(source, { policy, path: task.path });
  } finally {
    source.close();
  }
});
