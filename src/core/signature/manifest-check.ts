/**
 * The payload half of verification: the files of the model against what the signature lists.
 * Every file (minus the signature and the ignored paths) must be listed, every listed file must be
 * there, and every listed file or shard must hash to the listed SHA-256. Pure: the caller lists the
 * files and hashes the byte ranges this plan asks for.
 */
import { type Finding, finding } from "../finding.js";
import type { SignedManifest } from "./payload.js";

export interface PresentFile {
  /** Relative to the model folder, `/`-separated; "." when the model is one file. */
  path: string;
  size: number;
}

/** One digest to compute: a whole file (no range) or a byte range of it. */
export interface HashJob {
  path: string;
  range?: { start: number; end: number };
  expected: string;
  /** How the signature names it (path, or path:start:end). */
  label: string;
}

export interface SignatureCheckPlan {
  findings: Finding[];
  jobs: HashJob[];
  /** Files left out because the signature (or the verifier) ignores them. */
  ignored: string[];
}

export function isIgnoredPath(path: string, ignorePaths: readonly string[]): boolean {
  return ignorePaths.some((ig) => {
    const p = ig.replace(/\/+$/, "");
    return p !== "" && (path === p || path.startsWith(`${p}/`));
  });
}

/** Compare what is present with what is signed; list the digests still to check. */
export function planSignatureCheck(
  manifest: SignedManifest,
  present: readonly PresentFile[],
  ignorePaths: readonly string[],
): SignatureCheckPlan {
  const findings: Finding[] = [];
  const jobs: HashJob[] = [];
  const ignored: string[] = [];
  const sizes = new Map<string, number>();
  for (const f of present) {
    if (isIgnoredPath(f.path, ignorePaths)) ignored.push(f.path);
    else sizes.set(f.path, f.size);
  }
  const listed = new Set(manifest.entries.map((e) => e.path));

  for (const path of [...sizes.keys()].sort()) {
    if (listed.has(path)) continue;
    // model_signing gives an empty file no shard at all.
    if (manifest.method === "shards" && sizes.get(path) === 0) continue;
    findings.push(
      finding(
        "SIGNATURE_FILE_UNLISTED",
        "suspicious",
        `${path} is in the model but not in the signature: it was added after signing.`,
      ),
    );
  }

  const shardsByPath = new Map<string, { start: number; end: number }[]>();
  const missing = new Set<string>();
  for (const entry of manifest.entries) {
    const size = sizes.get(entry.path);
    const label = entry.range
      ? `${entry.path}:${entry.range.start}:${entry.range.end}`
      : entry.path;
    if (size === undefined) {
      if (!missing.has(entry.path)) {
        missing.add(entry.path);
        findings.push(
          finding(
            "SIGNATURE_FILE_MISSING",
            "suspicious",
            `${entry.path} is signed but missing from the model.`,
          ),
        );
      }
      continue;
    }
    if (entry.range) {
      const list = shardsByPath.get(entry.path) ?? [];
      list.push(entry.range);
      shardsByPath.set(entry.path, list);
      if (entry.range.end > size) {
        findings.push(
          finding(
            "SIGNATURE_FILE_MISMATCH",
            "malicious",
            `${label}: the signed shard ends past the end of the file (${size} bytes).`,
            { expected: entry.range.end, actual: size },
          ),
        );
        continue;
      }
    }
    jobs.push({
      path: entry.path,
      ...(entry.range ? { range: entry.range } : {}),
      expected: entry.sha256,
      label,
    });
  }

  // Shards must tile each file from 0 to its size: no gap, no overlap, nothing left unsigned.
  for (const [path, ranges] of shardsByPath) {
    const size = sizes.get(path)!;
    ranges.sort((a, b) => a.start - b.start);
    let at = 0;
    for (const r of ranges) {
      if (r.start !== at) break;
      at = r.end;
    }
    if (at !== size || ranges.some((r, i) => i > 0 && r.start !== ranges[i - 1]!.end)) {
      findings.push(
        finding(
          "SIGNATURE_FILE_MISMATCH",
          "malicious",
          `${path}: the signed shards do not cover the file's ${size} bytes exactly once.`,
        ),
      );
    }
  }
  return { findings, jobs, ignored: ignored.sort() };
}

/** Findings for the jobs whose digest differs. `actual` is in job order. */
export function evaluateHashJobs(jobs: readonly HashJob[], actual: readonly string[]): Finding[] {
  const out: Finding[] = [];
  jobs.forEach((job, i) => {
    const got = actual[i];
    if (got !== job.expected) {
      out.push(
        finding(
          "SIGNATURE_FILE_MISMATCH",
          "malicious",
          `${job.label}: the bytes do not match the SHA-256 in the signature.`,
          { expected: `sha256:${job.expected}`, actual: `sha256:${got ?? "(not hashed)"}` },
        ),
      );
    }
  });
  return out;
}
