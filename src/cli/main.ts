/**
 * Entry point: the process around `runCommandLine` (cli/run.ts).
 */

import { maskProcessOutput } from "./output.js";
import { runCommandLine } from "./run.js";

// A reader that goes away (`modelvet … | head`) is not an error of ours: stop writing, quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Whatever carries a token into a message or a report (a Hub echoing it), it is printed masked.
maskProcessOutput();
process.exitCode = await runCommandLine(process.argv);
