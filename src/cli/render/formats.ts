/** The --format values of `scan` and `ci`, and the check both commands make. */
import { UsageError } from "../../core/errors.js";

export const REPORT_FORMATS = ["text", "json", "sarif", "codequality"] as const;

export function checkReportFormat(format: string): void {
  if (!(REPORT_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`Unknown --format "${format}": use ${REPORT_FORMATS.join(", ")}.`);
}
