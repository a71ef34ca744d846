import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { runAudit } from "../../app/audit.js";
import { findLockfiles, isOffline, locateProject, makeHubClient } from "../../app/session.js";
import { type AuditResult, SEVERITY_ORDER, worstAuditSeverity } from "../../core/audit.js";
import { UsageError } from "../../core/errors.js";
import type { Severity } from "../../core/finding.js";
import { VERSION } from "../../version.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { lockLine } from "../lock-lines.js";
import { writeResult } from "../output.js";
import { retryNotes } from "../progress.js";
import { type ItemPlace, placeFile, type ReportItem } from "../render/report-items.js";
import { renderSarif } from "../render/sarif.js";
import { findSourceRoot } from "../source-root.js";

export interface AuditCommandOptions {
  quiet?: boolean;
  lockfile: string[];
  advisories: string[];
  offline?: boolean;
  auditLevel: string;
  hubUrl?: string;
  token?: string;
  config?: string;
  format: string;
  output?: string;
}

const EXIT_FOR: Record<Exclude<Severity, "info">, ExitCode> = {
  low: EXIT.AUDIT_LOW,
  medium: EXIT.AUDIT_MEDIUM,
  high: EXIT.AUDIT_HIGH,
  critical: EXIT.AUDIT_CRITICAL,
};

const toPosix = (path: string) => path.split("\\").join("/");

function renderText(result: AuditResult): string {
  const lines = [
    `modelvet audit (${result.mode}): ${result.models} model(s) in ${result.lockfiles.length} lock file(s), ${result.advisories} advisory(ies) read.`,
  ];
  const order = [...result.items].sort(
    (a, b) =>
      SEVERITY_ORDER.indexOf(b.finding.severity) - SEVERITY_ORDER.indexOf(a.finding.severity) ||
      a.lockfile.localeCompare(b.lockfile) ||
      a.model.localeCompare(b.model),
  );
  for (const item of order) {
    const where = `${item.model} @ ${item.revision.slice(0, 12)}${item.path ? `  ${item.path}` : ""}`;
    lines.push("", `${item.finding.severity.padEnd(8)}  ${item.lockfile}  ${where}`);
    lines.push(`          ${item.finding.code}: ${item.finding.message}`);
    for (const url of item.advisory?.references ?? []) lines.push(`          ${url}`);
  }
  for (const note of result.unchecked) lines.push("", `not checked: ${note}`);
  const counts = SEVERITY_ORDER.slice()
    .reverse()
    .map((s) => [s, result.items.filter((i) => i.finding.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`);
  lines.push(
    "",
    result.items.length === 0
      ? "Nothing known against the pinned models."
      : `${result.items.length} finding(s): ${counts.join(", ")}.`,
  );
  return `${lines.join("\n")}\n`;
}

/** Each finding at its model's (or file's) line of the lock file that pins it. */
function auditItems(
  result: AuditResult,
  paths: Map<string, string>,
  place: ItemPlace,
): ReportItem[] {
  const texts = new Map<string, string>();
  return result.items.map((item) => {
    const absolute = paths.get(item.lockfile)!;
    if (!texts.has(absolute)) texts.set(absolute, readFileSync(absolute, "utf8"));
    return {
      finding: item.finding,
      ...placeFile(absolute, place),
      line: lockLine(texts.get(absolute)!, item.model, item.path),
      logical: item.path ? `${item.model}/${item.path}` : item.model,
    };
  });
}

function auditSarif(result: AuditResult, paths: Map<string, string>): string {
  const place = { root: findSourceRoot(process.cwd(), process.env), cwd: process.cwd() };
  return renderSarif(auditItems(result, paths, place), { version: VERSION, root: place.root });
}

export async function runAuditCommand(options: AuditCommandOptions): Promise<ExitCode> {
  if (!["text", "json", "sarif"].includes(options.format))
    throw new UsageError(`Unknown --format "${options.format}": use text, json or sarif.`);
  if (!(SEVERITY_ORDER as readonly string[]).includes(options.auditLevel))
    throw new UsageError(
      `Unknown --audit-level "${options.auditLevel}": use ${SEVERITY_ORDER.join(", ")}.`,
    );
  const offline = options.offline === true || isOffline();
  if (offline && options.advisories.length === 0)
    throw new UsageError(
      "An offline audit checks advisories against the lock alone: give --advisories FILE.",
    );
  const lockfiles =
    options.lockfile.length > 0
      ? findLockfiles(options.lockfile)
      : [locateProject(options.config).lockPath];
  const labels = new Map(lockfiles.map((p) => [toPosix(relative(process.cwd(), p)) || p, p]));
  const labelOf = new Map([...labels].map(([label, p]) => [p, label]));
  const result = await runAudit({
    lockfiles,
    label: (p) => labelOf.get(p) ?? p,
    advisories: options.advisories,
    client: offline ? undefined : makeHubClient(options, retryNotes(options.quiet)),
  });
  const text =
    options.format === "json"
      ? `${JSON.stringify({ tool: { name: "modelvet", version: VERSION }, ...result }, null, 2)}\n`
      : options.format === "sarif"
        ? auditSarif(result, labels)
        : renderText(result);
  writeResult(text, options.output);
  const worst = worstAuditSeverity(result.items, options.auditLevel as Severity);
  if (worst !== undefined && worst !== "info") return EXIT_FOR[worst];
  return result.unchecked.length > 0 ? EXIT.HUB : EXIT.OK;
}
