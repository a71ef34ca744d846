/**
 * SARIF 2.1.0 output, for code-scanning dashboards. One rule per finding code; each result
 * points at a file path (scan) or at a line of models.lock / modelvet.json (ci).
 */
import type { Log, ReportingDescriptor, Result } from "sarif";
import type { Finding } from "../../core/finding.js";
import type { Report, ScanNode } from "../../core/report.js";

export interface SarifItem {
  finding: Finding;
  /** Path relative to the repository root, with forward slashes. */
  uri: string;
  /** 1-based line, when the result points into a text file. */
  line?: number | undefined;
  /** Logical location, e.g. `acme/model/pytorch_model.bin` or a member path inside a container. */
  logical?: string | undefined;
}

const LEVEL: Record<Finding["verdict"], Result.level> = {
  malicious: "error",
  unscannable: "error",
  suspicious: "warning",
  clean: "note",
};

/** GitHub reads `security-severity` (0–10) to rank security results. */
const SECURITY_SEVERITY: Record<Finding["severity"], string> = {
  critical: "9.5",
  high: "8.0",
  medium: "5.5",
  low: "3.0",
  info: "0.0",
};

function ruleFor(f: Finding): ReportingDescriptor {
  const words = f.code.toLowerCase().split("_");
  return {
    id: f.code,
    name: words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join(""),
    shortDescription: { text: f.code.replaceAll("_", " ").toLowerCase() },
    properties: { tags: ["security"], "security-severity": SECURITY_SEVERITY[f.severity] },
  };
}

/** A fact about the run itself (not a result), e.g. a verdict `ci` took on trust. */
export interface SarifNotification {
  text: string;
  uri?: string | undefined;
  line?: number | undefined;
  logical?: string | undefined;
}

export function renderSarif(
  items: readonly SarifItem[],
  version: string,
  notifications: readonly SarifNotification[] = [],
): string {
  const rules = new Map<string, ReportingDescriptor>();
  const results: Result[] = [];
  for (const item of items) {
    const f = item.finding;
    if (!rules.has(f.code)) rules.set(f.code, ruleFor(f));
    const location: NonNullable<Result["locations"]>[number] = {
      physicalLocation: {
        artifactLocation: { uri: item.uri },
        ...(item.line !== undefined ? { region: { startLine: item.line } } : {}),
      },
    };
    if (item.logical !== undefined)
      location.logicalLocations = [{ fullyQualifiedName: item.logical }];
    const result: Result = {
      ruleId: f.code,
      level: LEVEL[f.verdict],
      message: { text: f.message },
      locations: [location],
      properties: {
        verdict: f.verdict,
        ...(f.offset !== undefined ? { offset: f.offset } : {}),
        ...(f.expected !== undefined ? { expected: f.expected } : {}),
        ...(f.actual !== undefined ? { actual: f.actual } : {}),
      },
    };
    results.push(result);
  }
  const ids = [...rules.keys()].sort();
  const log: Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "modelvet",
            version,
            informationUri: "https://www.npmjs.com/package/modelvet",
            rules: ids.map((id) => rules.get(id)!),
          },
        },
        results: results.map((r) => ({ ...r, ruleIndex: ids.indexOf(r.ruleId!) })),
        ...(notifications.length > 0
          ? {
              invocations: [
                {
                  executionSuccessful: true,
                  toolExecutionNotifications: notifications.map((n) => ({
                    level: "note" as const,
                    message: { text: n.text },
                    ...(n.uri !== undefined
                      ? {
                          locations: [
                            {
                              physicalLocation: {
                                artifactLocation: { uri: n.uri },
                                ...(n.line !== undefined ? { region: { startLine: n.line } } : {}),
                              },
                              ...(n.logical !== undefined
                                ? { logicalLocations: [{ fullyQualifiedName: n.logical }] }
                                : {}),
                            },
                          ],
                        }
                      : {}),
                  })),
                },
              ],
            }
          : {}),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** Every finding of a scan report, pointing at the file (and member) it was found in. */
export function scanReportToSarif(report: Report): string {
  const items: SarifItem[] = [];
  const walk = (node: ScanNode, file: string, inside: string | undefined) => {
    for (const finding of node.findings) {
      items.push({
        finding,
        uri: file,
        logical: inside === undefined ? undefined : `${file}!${inside}`,
      });
    }
    for (const m of node.members ?? [])
      walk(m, file, inside === undefined ? m.path : `${inside}/${m.path}`);
  };
  for (const f of report.files) walk(f, f.path.split("\\").join("/"), undefined);
  return renderSarif(items, report.tool.version);
}
