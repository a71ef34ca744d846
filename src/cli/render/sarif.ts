/**
 * SARIF 2.1.0 output, for code-scanning dashboards (GitHub code scanning reads it fully).
 * One rule per finding code with what it means, why it matters and what to do; URIs relative to
 * `%SRCROOT%` (the repository root); a region on every result (GitHub needs a line: byte offsets
 * in binary files are given as well, for readers that use them); `partialFingerprints` that stay
 * the same across runs and checkout folders, so an alert is tracked from run to run.
 */
import { pathToFileURL } from "node:url";
import type { Location, Log, ReportingDescriptor, Result } from "sarif";
import type { Finding, Severity } from "../../core/finding.js";
import type { Report } from "../../core/report.js";
import {
  fingerprints,
  type ItemPlace,
  itemMessage,
  type ReportItem,
  scanReportItems,
} from "./report-items.js";
import { FINDING_CODES_URL, README_URL, ruleHelp } from "./rule-help.js";

/** The partialFingerprints key: bump the version if the fingerprint recipe ever changes. */
export const FINGERPRINT_KEY = "modelvetFinding/v1";

const LEVEL: Record<Finding["verdict"], Result.level> = {
  malicious: "error",
  unscannable: "error",
  suspicious: "warning",
  clean: "note",
};
const LEVEL_RANK: Record<Result.level, number> = { none: 0, note: 1, warning: 2, error: 3 };

/** GitHub reads `security-severity` (0–10) to rank security results. */
const SECURITY_SEVERITY: Record<Severity, number> = {
  critical: 9.5,
  high: 8.0,
  medium: 5.5,
  low: 3.0,
  info: 0.0,
};

function ruleName(code: string): string {
  return code
    .toLowerCase()
    .split("_")
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

/** A rule per code; its level and security-severity are the worst over all its results. */
function ruleFor(code: string, findings: readonly Finding[]): ReportingDescriptor {
  const help = ruleHelp(code);
  const severity = Math.max(...findings.map((f) => SECURITY_SEVERITY[f.severity]));
  const level = findings
    .map((f) => LEVEL[f.verdict])
    .reduce((a, b) => (LEVEL_RANK[b] > LEVEL_RANK[a] ? b : a));
  return {
    id: code,
    name: ruleName(code),
    shortDescription: { text: help.meaning },
    fullDescription: { text: `${help.meaning} ${help.why}` },
    help: { text: help.text, markdown: help.markdown },
    helpUri: FINDING_CODES_URL,
    defaultConfiguration: { level },
    properties: {
      tags: ["security", "supply-chain", "machine-learning"],
      "security-severity": severity.toFixed(1),
    },
  };
}

function regionFor(item: ReportItem): NonNullable<Location["physicalLocation"]>["region"] {
  if (item.line !== undefined)
    return {
      startLine: item.line,
      ...(item.column !== undefined ? { startColumn: item.column } : {}),
    };
  // GitHub code scanning needs a line on every result; a byte range is what a binary file has.
  if (item.byteOffset !== undefined)
    return { startLine: 1, byteOffset: item.byteOffset, byteLength: 1 };
  return { startLine: 1 };
}

/** A fact about the run itself (not a result), e.g. a verdict `ci` took on trust. */
export interface SarifNotification {
  text: string;
  /** Where it is about: a ReportItem place (uri relative to the root, or file://). */
  place?: Pick<ReportItem, "uri" | "inRoot"> | undefined;
  line?: number | undefined;
  logical?: string | undefined;
}

export interface SarifOptions {
  version: string;
  /** The repository root: `originalUriBaseIds.%SRCROOT%`. */
  root: string;
  /** Notes about the run, written as `invocations[0].toolExecutionNotifications`. */
  notifications?: readonly SarifNotification[];
}

function notificationsOf(notes: readonly SarifNotification[]) {
  return notes.map((n) => ({
    level: "note" as const,
    message: { text: n.text },
    ...(n.place !== undefined
      ? {
          locations: [
            {
              physicalLocation: {
                artifactLocation: n.place.inRoot
                  ? { uri: n.place.uri, uriBaseId: "%SRCROOT%" }
                  : { uri: n.place.uri },
                ...(n.line !== undefined ? { region: { startLine: n.line } } : {}),
              },
              ...(n.logical !== undefined
                ? { logicalLocations: [{ fullyQualifiedName: n.logical }] }
                : {}),
            },
          ],
        }
      : {}),
  }));
}

export function renderSarif(items: readonly ReportItem[], options: SarifOptions): string {
  const byCode = new Map<string, Finding[]>();
  for (const { finding } of items)
    byCode.set(finding.code, [...(byCode.get(finding.code) ?? []), finding]);
  const ids = [...byCode.keys()].sort();
  const prints = fingerprints(items);
  const results: Result[] = items.map((item, i) => {
    const f = item.finding;
    const location: Location = {
      physicalLocation: {
        artifactLocation: item.inRoot
          ? { uri: item.uri, uriBaseId: "%SRCROOT%" }
          : { uri: item.uri },
        region: regionFor(item),
      },
    };
    if (item.logical !== undefined)
      location.logicalLocations = [
        {
          fullyQualifiedName: item.logical,
          ...(item.member !== undefined ? { name: item.member, kind: "resource" } : {}),
        },
      ];
    return {
      ruleId: f.code,
      ruleIndex: ids.indexOf(f.code),
      level: LEVEL[f.verdict],
      message: { text: itemMessage(item) },
      locations: [location],
      partialFingerprints: { [FINGERPRINT_KEY]: prints[i]! },
      properties: {
        verdict: f.verdict,
        severity: f.severity,
        ...(item.member !== undefined ? { member: item.member } : {}),
        ...(f.offset !== undefined ? { offset: f.offset } : {}),
        ...(f.expected !== undefined ? { expected: f.expected } : {}),
        ...(f.actual !== undefined ? { actual: f.actual } : {}),
      },
    };
  });
  const root = pathToFileURL(options.root).href;
  const log: Log = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "modelvet",
            version: options.version,
            semanticVersion: options.version,
            informationUri: README_URL,
            rules: ids.map((id) => ruleFor(id, byCode.get(id)!)),
          },
        },
        originalUriBaseIds: { "%SRCROOT%": { uri: root.endsWith("/") ? root : `${root}/` } },
        results,
        ...(options.notifications !== undefined && options.notifications.length > 0
          ? {
              invocations: [
                {
                  executionSuccessful: true,
                  toolExecutionNotifications: notificationsOf(options.notifications),
                },
              ],
            }
          : {}),
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** Every finding of a scan report, at the file (and member) it was found in. */
export function scanReportToSarif(report: Report, place: ItemPlace): string {
  return renderSarif(scanReportItems(report, place), {
    version: report.tool.version,
    root: place.root,
  });
}
