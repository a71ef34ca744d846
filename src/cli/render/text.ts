/**
 * The readable report. One line per clean file, the findings under each blocking one, members
 * of containers indented, a summary last. With `quiet`, clean files are left out.
 */
import type { Finding } from "../../core/finding.js";
import type { Report, ScanNode } from "../../core/report.js";
import type { Verdict } from "../../core/verdict.js";
import { remoteCodeLines } from "./remote-code.js";

const MARK: Record<Verdict, string> = {
  clean: "ok  ",
  suspicious: "SUSP",
  unscannable: "UNSC",
  malicious: "MAL ",
};

function describeFinding(f: Finding): string {
  const where: string[] = [];
  if (f.offset !== undefined) where.push(`@${f.offset}`);
  if (f.line !== undefined)
    where.push(`line ${f.line}${f.column !== undefined ? `:${f.column}` : ""}`);
  const suffix = where.length > 0 ? ` (${where.join(", ")})` : "";
  return `${f.code}: ${f.message}${suffix}`;
}

export function renderNode(node: ScanNode, indent: string, lines: string[], quiet: boolean): void {
  if (quiet && node.verdict === "clean") return;
  lines.push(`${indent}${MARK[node.verdict]} ${node.path}  [${node.format}]`);
  for (const f of node.findings) {
    if (quiet && f.verdict === "clean") continue;
    lines.push(`${indent}       - ${describeFinding(f)}`);
  }
  lines.push(...remoteCodeLines(node, indent));
  for (const m of node.members ?? []) {
    if (m.verdict === "clean" && m.findings.length === 0) continue;
    renderNode(m, `${indent}    `, lines, quiet);
  }
}

export function renderText(report: Report, options: { quiet?: boolean } = {}): string {
  const lines: string[] = [];
  for (const file of report.files) renderNode(file, "", lines, options.quiet ?? false);
  const s = report.summary;
  const blocking = s.suspicious + s.unscannable + s.malicious;
  if (lines.length > 0) lines.push("");
  lines.push(
    `${s.files} file(s): ${s.clean} clean, ${s.suspicious} suspicious, ${s.malicious} malicious, ${s.unscannable} unscannable.`,
  );
  lines.push(
    blocking === 0
      ? "Nothing blocks."
      : `${blocking} file(s) block. Do not load them until you have read the findings above.`,
  );
  return `${lines.join("\n")}\n`;
}

/** What blocks in pulled models: model-level findings, then each withheld file's scan. */
export function renderBlockedModels(
  models: readonly {
    repo: string;
    verdict: string;
    findings: readonly Finding[];
    files: readonly { status: string; scan: ScanNode }[];
  }[],
): string[] {
  const lines: string[] = [];
  for (const m of models) {
    if (m.verdict === "clean") continue;
    lines.push(`${m.repo}: blocks`);
    for (const f of m.findings) lines.push(`  ${f.code}: ${f.message}`);
    for (const f of m.files) if (f.status !== "linked") renderNode(f.scan, "  ", lines, true);
  }
  return lines;
}
