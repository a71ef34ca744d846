/**
 * The built worker entries (dist/, as the CLI starts them), for tests that run the sources but
 * want real worker threads: a worker started on a .ts entry first loads tsx and then every module
 * through it, a third of a second of CPU or more per thread. `npm test` builds dist/ first.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "./run-cli.js";

const built = (...parts: string[]) => pathToFileURL(join(REPO_ROOT, "dist", ...parts));

/** dist/app/scan-worker.js (app/scan-threads.ts). */
export const BUILT_SCAN_WORKER = built("app", "scan-worker.js");
/** dist/io/download-sink-worker.js (io/download-sink-threaded.ts). */
export const BUILT_SINK_WORKER = built("io", "download-sink-worker.js");
