/**
 * A scan worker for test/app/scan-threads.test.ts that dies on purpose. The test writes a small
 * entry file that calls `serveCrashing(mode, paths)` (a worker started from a file URL does not
 * see that URL's query, so the settings travel in the entry's code): `mode` "start" dies before
 * the worker is ready; "throw" / "exit" die (an uncaught throw outside the scan's fail-closed
 * boundary, or process.exit(70)) when a task for one of `paths` begins. Every other task is
 * handled by the real handler, the built one (dist/, as the CLI runs it): a worker on the .ts
 * sources would load every scanner through tsx first.
 */
import { appendFileSync } from "node:fs";
import { handleScanTask } from "../../dist/app/scan-worker-handler.js";
import { serveTasks } from "../../dist/io/thread-pool.js";

/** `startLog`, if given, gets a line each time a worker starts (the test checks it really did). */
export function serveCrashing(mode, paths, startLog) {
  const victims = new Set(paths);
  if (startLog) appendFileSync(startLog, `${mode}\n`);
  if (mode === "start") throw new Error("injected crash before the worker is ready");
  serveTasks(async (task, data) => {
    if (victims.has(task.path)) {
      if (mode === "exit") process.exit(70);
      setImmediate(() => {
        throw new Error(`injected crash while scanning ${task.path}`);
      });
      return new Promise(() => {});
    }
    return handleScanTask(task, data);
  });
}
