/**
 * Text lines for `summary.remoteCode` (set by the trust_remote_code folder pass on config files):
 * which Python files `trust_remote_code=True` would run, and what each does.
 */
import type { ScanNode } from "../../core/report.js";

interface RemoteCodeLike {
  files?: { path: string; verdict: string; reason?: string; does?: string[] }[];
  missing?: string[];
  crossRepo?: string[];
  listedWith?: string;
}

export function remoteCodeLines(node: ScanNode, indent: string): string[] {
  const rc = node.summary?.remoteCode as RemoteCodeLike | undefined;
  if (!rc) return [];
  const pad = `${indent}       `;
  if (rc.listedWith)
    return [`${pad}trust_remote_code: the files it would run are listed under ${rc.listedWith}`];
  const lines = [`${pad}trust_remote_code=True would run:`];
  for (const f of rc.files ?? []) {
    lines.push(`${pad}  ${f.path}  [${f.verdict}]${f.reason ? `  (${f.reason})` : ""}`);
    for (const d of f.does ?? []) lines.push(`${pad}      ${d}`);
  }
  if ((rc.files ?? []).length === 0) lines.push(`${pad}  (no Python file in this folder)`);
  for (const m of rc.missing ?? []) lines.push(`${pad}  ${m}  [missing: not scanned]`);
  for (const r of rc.crossRepo ?? [])
    lines.push(`${pad}  code from ${r}  [other repository: not scanned]`);
  return lines;
}
