/**
 * `modelvet audit`: what became known about locked models after they were locked. Pure: the
 * shape of a result and how its worst severity becomes an exit code.
 */
import type { Finding, Severity } from "./finding.js";

/** One thing found about one locked model (or one of its files), in one lock file. */
export interface AuditItem {
  /** The models.lock it comes from, as given or found (relative to where audit ran). */
  lockfile: string;
  model: string;
  revision: string;
  /** The file, when the item is about one file. */
  path?: string;
  finding: Finding;
  /** The advisory behind an ADVISORY_MATCH. */
  advisory?: { id: string; aliases: string[]; references: string[] };
}

export interface AuditResult {
  /** Lock files read, sorted. */
  lockfiles: string[];
  models: number;
  /** "online": advisories and the Hub; "offline": advisories against the locks alone. */
  mode: "online" | "offline";
  /** How many advisories were read. */
  advisories: number;
  items: AuditItem[];
  /** What could not be checked (the Hub could not answer for a model): it is not a pass. */
  unchecked: string[];
}

export const SEVERITY_ORDER: readonly Severity[] = ["info", "low", "medium", "high", "critical"];

export function severityRank(severity: Severity): number {
  return SEVERITY_ORDER.indexOf(severity);
}

/** The worst severity among items at or above `threshold`, or undefined when there is none. */
export function worstAuditSeverity(
  items: readonly AuditItem[],
  threshold: Severity = "low",
): Severity | undefined {
  let worst: Severity | undefined;
  for (const item of items) {
    const s = item.finding.severity;
    if (severityRank(s) < severityRank(threshold)) continue;
    if (worst === undefined || severityRank(s) > severityRank(worst)) worst = s;
  }
  return worst;
}
