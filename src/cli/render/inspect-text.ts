/**
 * The readable `inspect` report: per model, the commit and where it came from, the policy
 * decision, access, the Hub's advisory scan, custom code, one line per file, then findings.
 */
import type { InspectedFile, InspectReport, ModelInspection } from "../../app/inspect.js";
import type { Finding } from "../../core/finding.js";
import { describeRevisionSource } from "../../core/revision.js";
import type { Verdict } from "../../core/verdict.js";

const MARK: Record<Verdict, string> = {
  clean: "ok  ",
  suspicious: "SUSP",
  unscannable: "UNSC",
  malicious: "MAL ",
};

export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function findingLine(f: Finding): string {
  return `${f.verdict === "clean" ? "info" : f.verdict}: ${f.code}: ${f.message}`;
}

function fileLine(f: InspectedFile): string {
  const digest = `${f.digest.algorithm}:${f.digest.value}`;
  return `  ${MARK[f.verdict]} ${formatSize(f.size).padStart(10)}  ${f.format.padEnd(22)} ${f.path}  ${digest}${f.lfs ? " (lfs)" : ""}`;
}

function renderModel(m: ModelInspection, lines: string[]): void {
  lines.push(`${m.input}`);
  if (m.revision !== undefined) {
    lines.push(
      `  commit       ${m.revision.commit} (${describeRevisionSource(m.revision.source)})`,
    );
  }
  lines.push(
    `  policy       ${m.policy.allowed ? "allowed" : "DENIED"} by ${m.policy.rule}: ${m.policy.reason}`,
  );
  if (m.gated !== undefined) {
    const access = [
      m.private ? "private" : "public",
      m.gated === false ? "not gated" : `gated (${m.gated})`,
    ];
    lines.push(`  access       ${access.join(", ")}`);
  }
  if (m.hubSecurity !== undefined) {
    const h = m.hubSecurity;
    const issues = h.filesWithIssues ?? [];
    lines.push(
      `  hub scan     ${h.available ? `${h.scansDone ? "done" : "not finished"}, ${issues.length === 0 ? "nothing flagged" : `${issues.length} flagged`} (advisory only)` : `unavailable (${h.note ?? "no data"})`}`,
    );
  }
  if (m.error === undefined) {
    const refs = m.customCode.references;
    lines.push(
      `  custom code  ${refs.length === 0 ? `none declared (read ${m.customCode.configFiles.length === 0 ? "no config files" : m.customCode.configFiles.join(", ")})` : refs.map((r) => `${r.repo !== undefined ? `${r.repo}--` : ""}${r.moduleFile ?? r.reference} (${r.source})`).join("; ")}`,
    );
    if (m.signature !== undefined) lines.push(`  signature    ${m.signature.summary}`);
    lines.push(
      `  files        ${m.files.length} selected${m.excluded.length > 0 ? `, ${m.excluded.length} excluded by --include/--exclude` : ""}`,
    );
    for (const f of m.files) lines.push(fileLine(f));
  }
  const blocking = [...m.findings, ...m.files.flatMap((f) => f.findings)];
  if (blocking.length > 0) {
    lines.push("  findings");
    for (const f of blocking) lines.push(`    - ${findingLine(f)}`);
  }
  if (m.error !== undefined) {
    lines.push(`  ERROR        ${m.error.code}: ${m.error.message}`);
    lines.push("  verdict      undecided (the Hub did not answer)");
  } else {
    lines.push(`  verdict      ${m.verdict === "clean" ? "ok" : `BLOCKED (${m.verdict})`}`);
  }
}

export function renderInspectText(report: InspectReport): string {
  const lines: string[] = [];
  for (const [i, model] of report.models.entries()) {
    if (i > 0) lines.push("");
    renderModel(model, lines);
  }
  const s = report.summary;
  lines.push("");
  lines.push(
    `${s.models} model(s): ${s.blocked} blocked, ${s.errors} could not be inspected.${s.blocked === 0 && s.errors === 0 ? " Nothing blocks." : ""}`,
  );
  return `${lines.join("\n")}\n`;
}
