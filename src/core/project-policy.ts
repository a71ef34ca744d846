/**
 * The project's policy overrides: the `policy` section of `modelvet.json`. Pure schema + parse;
 * reading the file lives in io/. Other sections of modelvet.json (models, lockfile) belong to
 * other modules and are not validated here: compose `projectPolicySchema` into the full schema.
 *
 *   { "policy": {
 *       "organizations": { "add":    [{ "name": "acme", "reason": "our own models" }],
 *                          "remove": [{ "name": "google", "reason": "legal review pending" }] },
 *       "repos": { "allow": [{ "repo": "someone/tiny", "reason": "reviewed 2026-11, ticket 42" }],
 *                  "deny":  [{ "repo": "google/x", "reason": "license" }] } } }
 *
 * Every exception carries a mandatory, non-empty reason: it is printed with the decision.
 */
import { z } from "zod";
import { InputError } from "./errors.js";
import { isValidRepoPart } from "./model-ref.js";
import { describeSchemaError } from "./schema-error.js";

const reason = z
  .string({ error: "a reason is required for every exception" })
  .trim()
  .min(1, "a reason is required for every exception");

const orgName = z
  .string()
  .refine(isValidRepoPart, "must be a Hub organization name (letters, digits, -, _, .)");

const repoId = z.string().refine((value) => {
  const parts = value.split("/");
  return parts.length === 2 && parts.every(isValidRepoPart);
}, "must be an org/name repo id");

const orgException = z.strictObject({ name: orgName, reason });
const repoException = z.strictObject({ repo: repoId, reason });

export const projectPolicySchema = z.strictObject({
  organizations: z
    .strictObject({
      add: z.array(orgException).default([]),
      remove: z.array(orgException).default([]),
    })
    .default({ add: [], remove: [] }),
  repos: z
    .strictObject({
      allow: z.array(repoException).default([]),
      deny: z.array(repoException).default([]),
    })
    .default({ allow: [], deny: [] }),
});

export type ProjectPolicy = z.infer<typeof projectPolicySchema>;

export const EMPTY_PROJECT_POLICY: ProjectPolicy = {
  organizations: { add: [], remove: [] },
  repos: { allow: [], deny: [] },
};

/**
 * Reads the `policy` section of a parsed modelvet.json (other top-level keys are left to their
 * owners). A missing section means no overrides. Errors name the file and the field.
 */
export function parseProjectPolicy(config: unknown, file: string): ProjectPolicy {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new InputError("CONFIG_INVALID", `${file}: (top level): expected a JSON object`);
  }
  const section = (config as Record<string, unknown>).policy;
  if (section === undefined) return EMPTY_PROJECT_POLICY;
  const result = projectPolicySchema.safeParse(section);
  if (!result.success) {
    throw new InputError("CONFIG_INVALID", `${file}: policy.${describeSchemaError(result.error)}`);
  }
  return result.data;
}
