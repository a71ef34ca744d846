/**
 * The machine-readable `inspect` report: the InspectReport as JSON (2-space indent, trailing
 * newline). Shape: { tool, models: [{ input, repo, policy, revision, gated, private, hubSecurity,
 * customCode, files, excluded, findings, verdict, error? }], summary }. Add fields, never rename.
 */
import type { InspectReport } from "../../app/inspect.js";

export function renderInspectJson(report: InspectReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
