/**
 * `modelvet scan`: expand the paths, scan every file through the dispatcher, assemble the report.
 * Never prints; progress goes out as events.
 */
import { finding } from "../core/finding.js";
import { makeNode, makeReport, type Report, type ScanNode } from "../core/report.js";
import { type WalkEntry, walkPaths } from "../io/files.js";
import { applyCompanionData } from "../scan/companions.js";
import type { ScanPolicy } from "../scan/policy.js";
import { VERSION } from "../version.js";
import { applyRemoteCodeAnalysis } from "./remote-code.js";
import { type ScanThreadsOptions, scanFilesOnThreads, THREADS_MIN_FILES } from "./scan-threads.js";
import { scanFileOrLost } from "./scan-worker-task.js";

export type ScanEvent =
  | { type: "start"; files: number }
  | { type: "file"; path: string; index: number; node: ScanNode };

export interface ScanPathsOptions {
  paths: readonly string[];
  policy: ScanPolicy;
  onEvent?: (event: ScanEvent) => void;
  /**
   * Scan files on every core (worker threads, plus this thread) when there are more than a
   * handful; the workers get `policy`. Without it, files are scanned one after another here.
   */
  workers?: ScanThreadsOptions | undefined;
}

export async function scanPaths(options: ScanPathsOptions): Promise<Report> {
  const entries = walkPaths(options.paths);
  options.onEvent?.({ type: "start", files: entries.length });
  const files = entries.flatMap((entry, index) =>
    entry.kind === "file" ? [{ index, path: entry.path, absolute: entry.absolute }] : [],
  );
  const pooled = new Map<number, ScanNode>();
  if (options.workers !== undefined && files.length >= THREADS_MIN_FILES) {
    const results = await scanFilesOnThreads(files, { ...options.workers, policy: options.policy });
    for (const [i, node] of results.entries()) pooled.set(files[i]!.index, node);
  }
  const nodes: ScanNode[] = [];
  for (const [index, entry] of entries.entries()) {
    const node = pooled.get(index) ?? (await scanEntry(entry, options.policy));
    nodes.push(node);
    options.onEvent?.({ type: "file", path: entry.path, index, node });
  }
  const analysed = await applyRemoteCodeAnalysis(entries, nodes, options.policy);
  return makeReport(VERSION, applyCompanionData(analysed));
}

async function scanEntry(entry: WalkEntry, policy: ScanPolicy): Promise<ScanNode> {
  if (entry.kind === "file") {
    // The same code and the same fail-closed answer as the pool (a file that cannot be opened is
    // unscannable), so --jobs never changes a report.
    return scanFileOrLost(entry, policy);
  }
  if (entry.kind === "outside-link") {
    return makeNode({
      path: entry.path,
      format: "symlink",
      findings: [
        finding(
          "UNSCANNABLE",
          "unscannable",
          `Symbolic link to ${entry.target}, outside the scanned folder: not followed, so not scanned.`,
        ),
      ],
    });
  }
  return makeNode({
    path: entry.path,
    format: "special",
    findings: [finding("UNSCANNABLE", "unscannable", `This is ${entry.what}: not scanned.`)],
  });
}
