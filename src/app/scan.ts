/**
 * `modelvet scan`: expand the paths, scan every file through the dispatcher, assemble the report.
 * Never prints; progress goes out as events.
 */
import { finding } from "../core/finding.js";
import { makeNode, makeReport, type Report, type ScanNode } from "../core/report.js";
import { openFileSource, walkPaths } from "../io/files.js";
import { applyCompanionData } from "../scan/companions.js";
import { scanSource } from "../scan/dispatch.js";
import type { ScanPolicy } from "../scan/policy.js";
import { VERSION } from "../version.js";
import { applyRemoteCodeAnalysis } from "./remote-code.js";

export type ScanEvent =
  | { type: "start"; files: number }
  | { type: "file"; path: string; index: number; node: ScanNode };

export interface ScanPathsOptions {
  paths: readonly string[];
  policy: ScanPolicy;
  onEvent?: (event: ScanEvent) => void;
}

export async function scanPaths(options: ScanPathsOptions): Promise<Report> {
  const entries = walkPaths(options.paths);
  options.onEvent?.({ type: "start", files: entries.length });
  const nodes: ScanNode[] = [];
  for (const [index, entry] of entries.entries()) {
    let node: ScanNode;
    if (entry.kind === "file") {
      const source = openFileSource(entry.absolute);
      try {
        node = await scanSource(source, { policy: options.policy, path: entry.path });
      } finally {
        source.close();
      }
    } else if (entry.kind === "outside-link") {
      node = makeNode({
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
    } else {
      node = makeNode({
        path: entry.path,
        format: "special",
        findings: [finding("UNSCANNABLE", "unscannable", `This is ${entry.what}: not scanned.`)],
      });
    }
    nodes.push(node);
    options.onEvent?.({ type: "file", path: entry.path, index, node });
  }
  const analysed = await applyRemoteCodeAnalysis(entries, nodes, options.policy);
  return makeReport(VERSION, applyCompanionData(analysed));
}
