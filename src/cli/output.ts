/**
 * Writing results: stdout, or a file written atomically (a randomly named temporary file beside
 * it, created with O_EXCL | O_NOFOLLOW, then renamed over it; see io/atomic-file.ts).
 */
import { UsageError } from "../core/errors.js";
import { writeFileAtomic } from "../io/atomic-file.js";

export function writeResult(text: string, outputPath: string | undefined): void {
  if (outputPath === undefined) {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileAtomic(outputPath, text);
  } catch (error) {
    throw new UsageError(`Cannot write the report to ${outputPath}`, { cause: error });
  }
}
