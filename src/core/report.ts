/**
 * The scan report: one node per file (and per member inside containers). Its JSON form is
 * documented in the README and is stable: add fields, never rename or remove them.
 */
import type { Finding } from "./finding.js";
import { VERDICTS, type Verdict, worstVerdict } from "./verdict.js";

export interface ScanNode {
  /** As the user would recognise it: the path they gave, or the member path inside a container. */
  path: string;
  /** Format decided from the bytes (see scan/detect.ts). */
  format: string;
  verdict: Verdict;
  findings: Finding[];
  /** Size in bytes, when known. */
  size?: number;
  /** Members of a container, each with its own path inside the container. */
  members?: ScanNode[];
  /** A readable summary (tensor names, parameter counts, imports…), format-specific. */
  summary?: Record<string, unknown>;
}

export interface Report {
  tool: { name: "modelvet"; version: string };
  files: ScanNode[];
  summary: ReportSummary;
}

export type ReportSummary = Record<Verdict, number> & { files: number; findings: number };

/** A node's verdict is the worst of its own findings and of its members' verdicts. */
export function nodeVerdict(findings: readonly Finding[], members?: readonly ScanNode[]): Verdict {
  return worstVerdict([
    ...findings.map((f) => f.verdict),
    ...(members ?? []).map((m) => m.verdict),
  ]);
}

/** Assemble a node, computing its verdict. */
export function makeNode(fields: Omit<ScanNode, "verdict">): ScanNode {
  const node: ScanNode = {
    path: fields.path,
    format: fields.format,
    verdict: nodeVerdict(fields.findings, fields.members),
    findings: fields.findings,
  };
  if (fields.size !== undefined) node.size = fields.size;
  if (fields.members !== undefined) node.members = fields.members;
  if (fields.summary !== undefined) node.summary = fields.summary;
  return node;
}

function countFindings(node: ScanNode): number {
  return node.findings.length + (node.members ?? []).reduce((n, m) => n + countFindings(m), 0);
}

export function summarize(files: readonly ScanNode[]): ReportSummary {
  const summary = { files: files.length, findings: 0 } as ReportSummary;
  for (const v of VERDICTS) summary[v] = 0;
  for (const f of files) {
    summary[f.verdict] += 1;
    summary.findings += countFindings(f);
  }
  return summary;
}

export function makeReport(version: string, files: ScanNode[]): Report {
  return { tool: { name: "modelvet", version }, files, summary: summarize(files) };
}
