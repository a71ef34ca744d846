/**
 * Worker thread entry for scans on threads (app/scan-threads.ts): one file per task, handled by
 * app/scan-worker-handler.ts.
 */
import { serveTasks } from "../io/thread-pool.js";
import { handleScanTask } from "./scan-worker-handler.js";

serveTasks(handleScanTask);
