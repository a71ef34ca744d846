/**
 * Entry point: the one top-level catch. Errors become exit codes here and nowhere else.
 */

import { redactSecrets } from "../app/output-env.js";
import { describeError, isModelvetError } from "../core/errors.js";
import { EXIT, type ExitCode, exitCodeForError } from "./exit-codes.js";
import { maskProcessOutput } from "./output.js";
import { buildProgram, CommanderError } from "./program.js";

async function main(argv: string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with exit code 0 through this path.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    const exit = exitCodeForError(error);
    const message = describeError(error);
    if (isModelvetError(error) && exit !== EXIT.INTERNAL) {
      process.stderr.write(`modelvet: ${redactSecrets(message)}\n`);
    } else {
      const stack = error instanceof Error && error.stack ? error.stack : message;
      process.stderr.write(
        `modelvet: internal error, please report it:\n${redactSecrets(stack)}\n`,
      );
    }
    return exit;
  }
}

// A reader that goes away (`modelvet … | head`) is not an error of ours: stop writing, quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Whatever carries a token into a message or a report (a Hub echoing it), it is printed masked.
maskProcessOutput();
process.exitCode = await main(process.argv);
