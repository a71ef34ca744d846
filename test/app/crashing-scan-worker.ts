/**
 * A scan worker for test/app/scan-threads.test.ts that dies on purpose, configured by its own URL's
 * query: `mode=start` dies before it is ready; `mode=throw` / `mode=exit` die (an uncaught throw
 * outside the scan's fail-closed boundary, or process.exit(70)) when a task for one of the `path`
 * parameters begins. Every other task is handled by the real handler.
 */
import { handleScanTask } from "../../src/app/scan-worker-handler.js";
import type { ScanTask } from "../../src/app/scan-worker-task.js";
import { serveTasks } from "../../src/io/thread-pool.js";

const query = new URL(import.meta.url).searchParams;
const mode = query.get("mode");
const victims = new Set(query.getAll("path"));

if (mode === "start") throw new Error("injected crash before the worker is ready");

serveTasks(async (task: ScanTask, data) => {
  if (victims.has(task.path)) {
    if (mode === "exit") process.exit(70);
    setImmediate(() => {
      throw new Error(`injected crash while scanning ${task.path}`);
    });
    return new Promise<never>(() => {});
  }
  return handleScanTask(task, data);
});
