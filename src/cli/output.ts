/** Writing results: stdout, or a file written atomically (temp file, then rename). */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { UsageError } from "../core/errors.js";

export function writeResult(text: string, outputPath: string | undefined): void {
  if (outputPath === undefined) {
    process.stdout.write(text);
    return;
  }
  const temp = `${outputPath}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text);
    renameSync(temp, outputPath);
  } catch (error) {
    rmSync(temp, { force: true });
    throw new UsageError(`Cannot write the report to ${outputPath}`, { cause: error });
  }
}
