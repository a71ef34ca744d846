/**
 * Worker thread entry for the scan pool (app/scan-pool.ts): one file per task, handled by
 * app/scan-worker-handler.ts.
 */
import { serveTasks } from "../io/worker-pool.js";
import { handleScanTask } from "./scan-worker-handler.js";

serveTasks(handleScanTask);
