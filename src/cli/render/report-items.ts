/**
 * Findings as CI dashboards want them: each at a file relative to the repository root (the
 * source root), with a line or byte offset when there is one, and a fingerprint that stays the
 * same from run to run and machine to machine, so a dashboard tracks one alert across runs.
 * Shared by the SARIF and GitLab Code Quality renderers.
 */
import { createHash } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { Finding } from "../../core/finding.js";
import type { Report, ScanNode } from "../../core/report.js";

export interface ReportItem {
  finding: Finding;
  /** Relative to the source root, with forward slashes; or a `file://` URI for a file outside it. */
  uri: string;
  /** False when `uri` is a `file://` URI (the file is outside the source root). */
  inRoot: boolean;
  /** 1-based line (and column) in a text file: models.lock, modelvet.json, source code. */
  line?: number | undefined;
  column?: number | undefined;
  /** Byte offset in the file itself (not in a member of it). */
  byteOffset?: number | undefined;
  /** Path of the member inside a container file, when the finding is in one. */
  member?: string | undefined;
  /** A name for what the finding is about: `org/model/file`, or `file!member`. */
  logical?: string | undefined;
  /** Never absolute: the source-root-relative path, or a stable tail of an outside path. */
  fingerprintPath: string;
}

export interface ItemPlace {
  /** The repository root results are relative to. */
  root: string;
  /** Where relative paths in the report start from. */
  cwd: string;
}

const slashes = (p: string) => p.split(sep).join("/").split("\\").join("/");

/**
 * Where a file is, for a dashboard. Outside the source root (a Hugging Face cache, /tmp) the URI
 * is a file:// URI and the fingerprint uses what stays the same across machines: the path from
 * `models--org--name/` on in a cache, else the file name.
 */
export function placeFile(
  path: string,
  place: ItemPlace,
): Pick<ReportItem, "uri" | "inRoot" | "fingerprintPath"> {
  const absolute = resolve(place.cwd, path);
  const rel = relative(place.root, absolute);
  if (rel !== "" && !rel.startsWith("..") && !isAbsolute(rel)) {
    const uri = slashes(rel);
    return { uri, inRoot: true, fingerprintPath: uri };
  }
  const parts = slashes(absolute).split("/");
  const repo = parts.findLastIndex((p) => p.startsWith("models--") || p.startsWith("datasets--"));
  const tail = repo >= 0 ? parts.slice(repo).join("/") : (parts.at(-1) ?? "");
  return { uri: pathToFileURL(absolute).href, inRoot: false, fingerprintPath: tail };
}

/** Every finding of a scan report, at the file it was found in (and the member inside it). */
export function scanReportItems(report: Report, place: ItemPlace): ReportItem[] {
  const items: ReportItem[] = [];
  const walk = (node: ScanNode, file: ReturnType<typeof placeFile>, member: string | undefined) => {
    for (const finding of node.findings) {
      items.push({
        finding,
        ...file,
        line: finding.line,
        column: finding.line === undefined ? undefined : finding.column,
        byteOffset: member === undefined && finding.line === undefined ? finding.offset : undefined,
        member,
        logical: member === undefined ? undefined : `${file.fingerprintPath}!${member}`,
      });
    }
    for (const m of node.members ?? [])
      walk(m, file, member === undefined ? m.path : `${member}/${m.path}`);
  };
  for (const f of report.files) walk(f, placeFile(f.path, place), undefined);
  return items;
}

/** What tells two findings of one code in one place apart, from facts that do not move between runs. */
function findingKey(item: ReportItem): string {
  const f = item.finding;
  if (f.global !== undefined) return `global:${f.global.module}:${f.global.name}`;
  if (f.call !== undefined) return `call:${f.call.opcode}:${f.call.callable}`;
  if (f.offset !== undefined) return `offset:${f.offset}`;
  if (f.line !== undefined) return `line:${f.line}:${f.column ?? ""}`;
  return item.logical ?? "";
}

/**
 * One fingerprint per item: SHA-256 of code, source-root-relative path, member path and finding
 * key, plus an ordinal among items that share all of those (in report order, which is stable).
 * No absolute path, time or message text goes in, so the same finding gets the same fingerprint
 * from any checkout folder.
 */
export function fingerprints(items: readonly ReportItem[]): string[] {
  const seen = new Map<string, number>();
  return items.map((item) => {
    const base = [
      item.finding.code,
      item.fingerprintPath,
      item.member ?? "",
      findingKey(item),
    ].join("\u0000");
    const ordinal = seen.get(base) ?? 0;
    seen.set(base, ordinal + 1);
    return createHash("sha256").update(`${base}\u0000${ordinal}`).digest("hex");
  });
}

/** The message with the member it is about, for dashboards that show only the file. */
export function itemMessage(item: ReportItem): string {
  return item.member === undefined
    ? item.finding.message
    : `${item.member}: ${item.finding.message}`;
}
