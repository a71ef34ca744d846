/**
 * Model advisories: known-bad models and files, in a small JSON format in the spirit of OSV, read by
 * `modelvet audit --advisories FILE|URL`. Pure: parse (zod) and match against locked models.
 *
 * {
 *   "advisoriesVersion": "1.0.0",
 *   "advisories": [{
 *     "id": "MVSA-2026-0001",                 // unique, required
 *     "aliases": ["CVE-2026-12345"],          // optional
 *     "summary": "one line", "details": "…",  // summary required, details optional
 *     "severity": "critical" | "high" | "medium" | "low",
 *     "published": "2026-11-30", "modified": "2026-12-01",   // optional ISO dates
 *     "references": [{ "type": "ADVISORY" | "REPORT" | "WEB" | "FIX", "url": "https://…" }],
 *     "affected": [{
 *       "repo": "org/name",                   // the model repo (case-insensitive)
 *       "commits": ["<40 hex>"],             // only these pinned commits (default: every commit)
 *       "paths": ["*.bin", "sub/x.pkl"],     // only these files, as globs (default: the model)
 *       "sha256": ["<64 hex>"]               // files with these digests, under any name
 *     }]
 *   }]
 * }
 *
 * An `affected` entry needs `repo` or `sha256`. With `sha256` and no `repo` it matches that file
 * in any model: a known-bad file re-uploaded under another name or repo is still caught. Within
 * one entry every given field must match.
 */
import { z } from "zod";
import { InputError } from "./errors.js";
import { compileGlobFilter } from "./globs.js";
import type { LockedModel } from "./lockfile.js";
import { HEX40 } from "./object-id.js";
import { describeSchemaError } from "./schema-error.js";

export const ADVISORIES_VERSION = "1.0.0";

const HEX64 = /^[0-9a-f]{64}$/;
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DATE = /^\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))?$/;

export const ADVISORY_SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type AdvisorySeverity = (typeof ADVISORY_SEVERITIES)[number];

const affectedSchema = z
  .strictObject({
    repo: z.string().regex(REPO_ID, "must be an org/name repo id").optional(),
    commits: z.array(z.string().regex(HEX40, "must be a 40-hex commit id")).min(1).optional(),
    paths: z.array(z.string().min(1)).min(1).optional(),
    sha256: z.array(z.string().regex(HEX64, "must be a 64-hex sha256")).min(1).optional(),
  })
  .refine((a) => a.repo !== undefined || a.sha256 !== undefined, {
    message: "an affected entry needs repo or sha256",
  });

const advisorySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$/, "must be a short id"),
  aliases: z.array(z.string().min(1)).optional(),
  summary: z.string().min(1).max(500),
  details: z.string().optional(),
  severity: z.enum(ADVISORY_SEVERITIES),
  published: z.string().regex(DATE, "must be an ISO date").optional(),
  modified: z.string().regex(DATE, "must be an ISO date").optional(),
  references: z
    .array(
      z.strictObject({
        type: z.enum(["ADVISORY", "REPORT", "WEB", "FIX", "ARTICLE"]),
        url: z.url({ protocol: /^https?$/ }),
      }),
    )
    .optional(),
  affected: z.array(affectedSchema).min(1),
});

const advisoryFileSchema = z.strictObject({
  advisoriesVersion: z.literal(ADVISORIES_VERSION),
  advisories: z.array(advisorySchema),
});

export type Advisory = z.infer<typeof advisorySchema>;
export type AdvisoryAffected = z.infer<typeof affectedSchema>;

/** Parses an advisory file; the error names the source, the JSON path and the problem. */
export function parseAdvisories(text: string, source: string): Advisory[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError("INPUT_UNREADABLE", `${source}: not JSON (${(error as Error).message})`, {
      cause: error,
    });
  }
  const parsed = advisoryFileSchema.safeParse(json);
  if (!parsed.success)
    throw new InputError(
      "INPUT_UNREADABLE",
      `${source}: not an advisory file: ${describeSchemaError(parsed.error)}`,
    );
  const seen = new Set<string>();
  for (const advisory of parsed.data.advisories) {
    if (seen.has(advisory.id))
      throw new InputError("INPUT_UNREADABLE", `${source}: advisory ${advisory.id} appears twice`);
    seen.add(advisory.id);
  }
  return parsed.data.advisories;
}

/** One advisory that applies to a locked model: the whole model, or the listed files. */
export interface AdvisoryMatch {
  advisory: Advisory;
  /** Files it names, sorted; empty when it names the model as a whole. */
  paths: string[];
  /** How it matched: by repo (and commit, paths) or by a file's digest. */
  by: "repo" | "sha256";
}

function matchOne(
  affected: AdvisoryAffected,
  repo: string,
  model: LockedModel,
): { paths: string[]; by: "repo" | "sha256" } | undefined {
  if (affected.repo !== undefined && affected.repo.toLowerCase() !== repo.toLowerCase())
    return undefined;
  if (affected.commits !== undefined && !affected.commits.includes(model.revision))
    return undefined;
  const byPath = affected.paths && compileGlobFilter({ include: affected.paths, exclude: [] });
  const digests = affected.sha256 && new Set(affected.sha256);
  if (byPath === undefined && digests === undefined) return { paths: [], by: "repo" };
  const paths = Object.keys(model.files)
    .filter((path) => byPath === undefined || byPath(path))
    .filter((path) => digests === undefined || digests.has(model.files[path]!.sha256))
    .sort();
  if (paths.length === 0) return undefined;
  return { paths, by: affected.repo === undefined ? "sha256" : "repo" };
}

/** Every advisory that applies to `repo` as locked, with the files it names. */
export function matchAdvisories(
  advisories: readonly Advisory[],
  repo: string,
  model: LockedModel,
): AdvisoryMatch[] {
  const out: AdvisoryMatch[] = [];
  for (const advisory of advisories) {
    const hits = advisory.affected
      .map((a) => matchOne(a, repo, model))
      .filter((m) => m !== undefined);
    if (hits.length === 0) continue;
    const whole = hits.some((h) => h.paths.length === 0);
    out.push({
      advisory,
      paths: whole ? [] : [...new Set(hits.flatMap((h) => h.paths))].sort(),
      by: hits.every((h) => h.by === "sha256") ? "sha256" : "repo",
    });
  }
  return out;
}
