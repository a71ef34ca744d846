import { scanPaths } from "../../app/scan.js";
import { UsageError } from "../../core/errors.js";
import { verdictBlocks } from "../../core/verdict.js";
import { loadScanPolicy } from "../../io/policy-files.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";
import { renderJson } from "../render/json.js";
import { scanReportToSarif } from "../render/sarif.js";
import { renderText } from "../render/text.js";

export interface ScanCommandOptions {
  format: string;
  output?: string;
  quiet?: boolean;
}

export async function runScan(paths: string[], options: ScanCommandOptions): Promise<ExitCode> {
  if (!["text", "json", "sarif"].includes(options.format)) {
    throw new UsageError(`Unknown --format "${options.format}": use text, json or sarif.`);
  }
  const policy = loadScanPolicy();
  const report = await scanPaths({ paths, policy, workers: {} });
  const text =
    options.format === "json"
      ? renderJson(report)
      : options.format === "sarif"
        ? scanReportToSarif(report)
        : renderText(report, { quiet: options.quiet ?? false });
  writeResult(text, options.output);
  return report.files.some((f) => verdictBlocks(f.verdict)) ? EXIT.BLOCKED : EXIT.OK;
}
