/**
 * `modelvet.json`, the file a team edits: which models the project uses, and its policy.
 *
 *   { "models": { "acme/tiny-bert": "main",
 *                 "acme/other": { "ref": "^1.2", "include": ["*.json", "*.safetensors"], "exclude": [] } },
 *     "policy": { …organization and repo exceptions (core/project-policy.ts)…,
 *                 "acceptedFindings": [{ "model": "acme/other", "path": "model.bin",
 *                   "sha256": "<64 hex>", "code": "PICKLE_UNKNOWN_GLOBAL",
 *                   "reason": "reviewed by the ML platform team", "expires": "2027-06-30" }],
 *                 "signatures": [{ "models": "acme", "identity": "…", "issuer": "…" }] } }
 *                 (who must have signed which models: core/signature/policy.ts)
 *
 * An accepted finding is tied to the file's digest, so it lapses when the file changes; only
 * `suspicious` and `unscannable` findings can be accepted, never `malicious` ones. An
 * exception with an `expires` date lapses after that day. Pure: parse and evaluate; io/ reads and
 * writes the file.
 */
import { z } from "zod";
import { canonicalJson } from "./canonical-json.js";
import { InputError } from "./errors.js";
import type { Finding, FindingCode } from "./finding.js";
import { parseModelRef } from "./model-ref.js";
import { projectPolicySchema } from "./project-policy.js";
import { describeSchemaError } from "./schema-error.js";
import { signatureRuleSchema } from "./signature/policy.js";

export const PROJECT_FILE = "modelvet.json";
export const LOCK_FILE = "models.lock";

const repoId = z.string().refine((value) => {
  try {
    const ref = parseModelRef(value);
    return ref.ref === undefined;
  } catch {
    return false;
  }
}, "must be an org/name repo id (put the ref in the value, not the key)");

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date like 2027-06-30")
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), "must be a real calendar date");

const modelSpec = z.union([
  z.string().trim().min(1, "the ref must not be empty"),
  z.strictObject({
    ref: z.string().trim().min(1, "the ref must not be empty").optional(),
    include: z.array(z.string().min(1)).default([]),
    exclude: z.array(z.string().min(1)).default([]),
  }),
]);

const acceptedFinding = z.strictObject({
  model: repoId,
  path: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be the file's 64-hex sha256 (from models.lock)"),
  code: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, "must be a finding code such as PICKLE_UNKNOWN_GLOBAL"),
  reason: z.string().trim().min(1, "a reason is required for every accepted finding"),
  expires: isoDate.optional(),
});

const policySchema = projectPolicySchema.extend({
  acceptedFindings: z.array(acceptedFinding).default([]),
  signatures: z.array(signatureRuleSchema).default([]),
});

const projectSchema = z.strictObject({
  $schema: z.string().optional(),
  models: z.record(repoId, modelSpec).default({}),
  policy: policySchema.default({
    organizations: { add: [], remove: [] },
    repos: { allow: [], deny: [] },
    acceptedFindings: [],
    signatures: [],
  }),
});

export type ProjectFile = z.infer<typeof projectSchema>;
export type AcceptedFinding = z.infer<typeof acceptedFinding>;

/** A model as the project declares it, normalised. `ref` undefined means the default branch. */
export interface DeclaredModel {
  repo: string;
  ref: string | undefined;
  include: string[];
  exclude: string[];
}

/** The ref recorded in the lock for a model declared without one: the Hub's default-branch alias. */
export const DEFAULT_REF = "HEAD";

export function parseProjectFile(text: string, file = PROJECT_FILE): ProjectFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(
      "CONFIG_INVALID",
      `${file}: not valid JSON (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  const result = projectSchema.safeParse(raw);
  if (!result.success) {
    throw new InputError("CONFIG_INVALID", `${file}: ${describeSchemaError(result.error)}`);
  }
  return result.data;
}

export function declaredModels(project: ProjectFile): DeclaredModel[] {
  return Object.keys(project.models)
    .sort()
    .map((repo) => {
      const spec = project.models[repo]!;
      if (typeof spec === "string") return { repo, ref: spec, include: [], exclude: [] };
      return { repo, ref: spec.ref, include: [...spec.include], exclude: [...spec.exclude] };
    });
}

/** Canonical JSON without the empty sections the schema fills in, so hand-written files stay small. */
export function serializeProjectFile(project: ProjectFile): string {
  const p = project.policy;
  const policy: Record<string, unknown> = {};
  if (p.organizations.add.length > 0 || p.organizations.remove.length > 0) {
    policy.organizations = Object.fromEntries(
      Object.entries(p.organizations).filter(([, v]) => v.length > 0),
    );
  }
  if (p.repos.allow.length > 0 || p.repos.deny.length > 0) {
    policy.repos = Object.fromEntries(Object.entries(p.repos).filter(([, v]) => v.length > 0));
  }
  if (p.acceptedFindings.length > 0) policy.acceptedFindings = p.acceptedFindings;
  if (p.signatures.length > 0) policy.signatures = p.signatures;
  const out: Record<string, unknown> = { ...project, policy };
  if (Object.keys(policy).length === 0) delete out.policy;
  return canonicalJson(out);
}

/** Is `expires` (YYYY-MM-DD, inclusive) still in force on `today` (YYYY-MM-DD)? */
export function inForce(expires: string | undefined, today: string): boolean {
  return expires === undefined || today <= expires;
}

/**
 * Apply accepted findings to one file's findings: a finding is accepted when an entry names the
 * same model, path, code and the file's current sha256, and has not expired. Accepted findings
 * stay in the report as `clean` info findings that say who accepted them and why.
 */
export function applyAcceptedFindings(options: {
  model: string;
  path: string;
  sha256: string;
  findings: readonly Finding[];
  accepted: readonly AcceptedFinding[];
  today: string;
}): Finding[] {
  return options.findings.map((f) => {
    const entry = options.accepted.find(
      (a) =>
        a.model === options.model &&
        a.path === options.path &&
        a.code === (f.code as FindingCode) &&
        a.sha256 === options.sha256 &&
        inForce(a.expires, options.today),
    );
    // A known way to run code is never waived, whatever the project file says.
    if (entry === undefined || f.verdict === "clean" || f.verdict === "malicious") return f;
    return {
      ...f,
      verdict: "clean",
      severity: "info",
      message: `${f.message} (accepted in ${PROJECT_FILE}: ${entry.reason}${entry.expires ? `, until ${entry.expires}` : ""})`,
      evidence: { ...(f.evidence ?? {}), acceptedVerdict: f.verdict },
    };
  });
}

/** A copy of the project that declares these models (replacing earlier declarations of them). */
export function addModels(
  project: ProjectFile,
  models: readonly { repo: string; ref?: string | undefined }[],
  globs: { include: readonly string[]; exclude: readonly string[] },
): ProjectFile {
  const declared = { ...project.models };
  for (const m of models) {
    declared[m.repo] =
      globs.include.length === 0 && globs.exclude.length === 0
        ? (m.ref ?? DEFAULT_REF)
        : {
            ...(m.ref !== undefined ? { ref: m.ref } : {}),
            include: [...globs.include],
            exclude: [...globs.exclude],
          };
  }
  return { ...project, models: declared };
}
