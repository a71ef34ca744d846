/**
 * The organization allowlist gate (pure). A model may be used only when its organization is on
 * the shipped list (allowlist/organizations.json) or added by the project, unless a single-repo
 * exception says otherwise. Precedence, first match wins:
 *
 *   1. project repo deny     ("project:deny repo org/name")
 *   2. project repo allow    ("project:allow repo org/name")
 *   3. project org removal   ("project:remove org X")
 *   4. project org addition  ("project:add org X")
 *   5. shipped defaults      ("default:org X")
 *   6. otherwise denied      ("default:not listed")
 *
 * Names compare case-insensitively, as the Hub resolves them. A denial becomes a blocking
 * POLICY_DENIED finding next to every other finding; it never replaces or downgrades them.
 */
import { z } from "zod";
import { InputError } from "./errors.js";
import { type Finding, finding } from "./finding.js";
import { isValidRepoPart } from "./model-ref.js";
import type { ProjectPolicy } from "./project-policy.js";
import { describeSchemaError } from "./schema-error.js";

export interface OrgEntry {
  name: string;
  reason: string;
}

export interface OrgAllowlist {
  organizations: OrgEntry[];
}

export interface OrgDecision {
  allowed: boolean;
  /** The rule that decided, e.g. `default:org google`, `project:deny repo x/y`. */
  rule: string;
  reason: string;
}

const allowlistSchema = z.strictObject({
  $comment: z.string().optional(),
  version: z.literal(1),
  organizations: z.array(
    z.strictObject({
      name: z.string().refine(isValidRepoPart, "must be a Hub organization name"),
      reason: z.string().trim().min(1, "a reason is required"),
    }),
  ),
});

/** Validates the shipped allowlist file's parsed JSON. */
export function parseOrgAllowlist(json: unknown, file: string): OrgAllowlist {
  const result = allowlistSchema.safeParse(json);
  if (!result.success) {
    throw new InputError("POLICY_FILE_INVALID", `${file}: ${describeSchemaError(result.error)}`);
  }
  const seen = new Set<string>();
  for (const entry of result.data.organizations) {
    const key = entry.name.toLowerCase();
    if (seen.has(key)) {
      throw new InputError(
        "POLICY_FILE_INVALID",
        `${file}: organization "${entry.name}" is listed twice`,
      );
    }
    seen.add(key);
  }
  return { organizations: result.data.organizations };
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

export function evaluateOrgPolicy(
  repo: string,
  defaults: OrgAllowlist,
  project: ProjectPolicy,
): OrgDecision {
  const org = repo.split("/")[0] ?? repo;
  const deny = project.repos.deny.find((e) => same(e.repo, repo));
  if (deny) return { allowed: false, rule: `project:deny repo ${deny.repo}`, reason: deny.reason };
  const allow = project.repos.allow.find((e) => same(e.repo, repo));
  if (allow)
    return { allowed: true, rule: `project:allow repo ${allow.repo}`, reason: allow.reason };
  const removed = project.organizations.remove.find((e) => same(e.name, org));
  if (removed) {
    return { allowed: false, rule: `project:remove org ${removed.name}`, reason: removed.reason };
  }
  const added = project.organizations.add.find((e) => same(e.name, org));
  if (added) return { allowed: true, rule: `project:add org ${added.name}`, reason: added.reason };
  const listed = defaults.organizations.find((e) => same(e.name, org));
  if (listed) return { allowed: true, rule: `default:org ${listed.name}`, reason: listed.reason };
  return {
    allowed: false,
    rule: "default:not listed",
    reason: `organization "${org}" is not on the allowlist; to use it, add it under policy.organizations.add (or the repo under policy.repos.allow) in modelvet.json, with a reason`,
  };
}

/** The blocking finding for a denied decision; none for an allowed one. */
export function policyFindings(repo: string, decision: OrgDecision): Finding[] {
  if (decision.allowed) return [];
  return [
    finding(
      "POLICY_DENIED",
      "suspicious",
      `${repo} is not allowed by policy (${decision.rule}): ${decision.reason}`,
      {
        severity: "high",
        evidence: { rule: decision.rule },
      },
    ),
  ];
}
