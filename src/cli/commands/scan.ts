import { pickModelFiles } from "../../app/pick-model-files.js";
import { scanPaths } from "../../app/scan.js";
import { AUTO_JOBS_MIN_FILES, type ScanThreadsOptions } from "../../app/scan-threads.js";
import { loadScanPolicy } from "../../app/session.js";
import { UsageError } from "../../core/errors.js";
import { verdictBlocks } from "../../core/verdict.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";
import { scanReportToCodeQuality } from "../render/codequality.js";
import { checkReportFormat } from "../render/formats.js";
import { renderJson } from "../render/json.js";
import { scanReportToSarif } from "../render/sarif.js";
import { renderText } from "../render/text.js";
import { findSourceRoot } from "../source-root.js";

export interface ScanCommandOptions {
  format: string;
  output?: string;
  quiet?: boolean;
  jobs?: string;
  onlyModels?: boolean;
}

/**
 * `--jobs`: how many threads scan, this one included. `auto` starts a thread per two idle cores
 * (idleWorkers: each scanning thread keeps about two cores busy, counting V8's compiler), so one
 * thread on 2 cores, and only for a folder of AUTO_JOBS_MIN_FILES files or more: a worker spends
 * up to a second of CPU starting cold, which a smaller folder does not win back. Any --jobs gives
 * the same report.
 */
function parseJobs(value: string): 1 | ScanThreadsOptions {
  if (value === "auto") return { minFiles: AUTO_JOBS_MIN_FILES };
  const jobs = Number(value);
  if (!/^\d+$/.test(value) || jobs < 1 || jobs > 64) {
    throw new UsageError("--jobs takes auto or a whole number from 1 to 64.");
  }
  return jobs === 1 ? 1 : { threads: jobs - 1 };
}

export async function runScan(paths: string[], options: ScanCommandOptions): Promise<ExitCode> {
  checkReportFormat(options.format);
  const jobs = parseJobs(options.jobs ?? "auto");
  const policy = loadScanPolicy();
  const chosen = options.onlyModels ? pickModelFiles(paths).picked : paths;
  const report = await scanPaths({
    paths: chosen,
    policy,
    ...(jobs === 1 ? {} : { workers: jobs }),
  });
  const place = { root: findSourceRoot(process.cwd(), process.env), cwd: process.cwd() };
  const text =
    options.format === "json"
      ? renderJson(report)
      : options.format === "sarif"
        ? scanReportToSarif(report, place)
        : options.format === "codequality"
          ? scanReportToCodeQuality(report, place)
          : renderText(report, { quiet: options.quiet ?? false });
  writeResult(text, options.output);
  return report.files.some((f) => verdictBlocks(f.verdict)) ? EXIT.BLOCKED : EXIT.OK;
}
