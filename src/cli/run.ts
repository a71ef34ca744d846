/**
 * The command line as a function: argv in, exit code out. Errors become exit codes here and
 * nowhere else. `cli/main.ts` is the process around it (masked output, EPIPE, process.exitCode);
 * the tests call this function in their own process for the runs that do not test the process.
 */

import { redactSecrets } from "../app/output-env.js";
import { describeError, isModelvetError } from "../core/errors.js";
import { EXIT, type ExitCode, exitCodeForError } from "./exit-codes.js";
import { buildProgram, CommanderError } from "./program.js";

/** Runs `argv` (as process.argv: node, script, then the arguments) and returns its exit code. */
export async function runCommandLine(argv: readonly string[]): Promise<ExitCode> {
  let code: ExitCode = EXIT.OK;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv]);
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
