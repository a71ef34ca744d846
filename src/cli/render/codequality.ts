/**
 * GitLab Code Quality report (`artifacts:reports:codequality`): a JSON array of issues with
 * description, check_name, fingerprint, severity and location {path, lines.begin}, the fields
 * GitLab documents at https://docs.gitlab.com/ci/testing/code_quality/#code-quality-report-format.
 * Paths are relative to the repository root, as GitLab needs to link them; fingerprints are the
 * same as SARIF's, so an issue stays one issue from pipeline to pipeline.
 */
import type { Severity } from "../../core/finding.js";
import type { Report } from "../../core/report.js";
import {
  fingerprints,
  type ItemPlace,
  itemMessage,
  type ReportItem,
  scanReportItems,
} from "./report-items.js";

export type CodeQualitySeverity = "info" | "minor" | "major" | "critical" | "blocker";

const SEVERITY: Record<Severity, CodeQualitySeverity> = {
  critical: "blocker",
  high: "critical",
  medium: "major",
  low: "minor",
  info: "info",
};

export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: CodeQualitySeverity;
  location: { path: string; lines: { begin: number } };
}

export function renderCodeQuality(items: readonly ReportItem[]): string {
  const prints = fingerprints(items);
  const issues: CodeQualityIssue[] = items.map((item, i) => ({
    description: `${item.finding.code}: ${itemMessage(item)}`,
    check_name: item.finding.code,
    fingerprint: prints[i]!,
    severity: SEVERITY[item.finding.severity],
    location: {
      path: item.inRoot ? item.uri : decodeURIComponent(new URL(item.uri).pathname),
      lines: { begin: item.line ?? 1 },
    },
  }));
  return `${JSON.stringify(issues, null, 2)}\n`;
}

export function scanReportToCodeQuality(report: Report, place: ItemPlace): string {
  return renderCodeQuality(scanReportItems(report, place));
}
