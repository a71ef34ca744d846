/**
 * Loads allowlist/keras-modules.json (format in allowlist/README.md, Keras section) into the
 * KerasPolicy the Keras scanner decides with. Validated with zod; an invalid file is an InputError
 * naming the file, the JSON path and the problem.
 *
 * Rules enforced here (K3 in threats.md): allowed entries are exact (module, name) pairs, so a
 * name is never `*`, dotted or a dunder, and no allowed pair may sit in a dangerous module or use
 * a dangerous name.
 *
 * A policy folder without keras-modules.json (a project override that only changes pickle rules)
 * falls back to the shipped file.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { describeError, InputError } from "../core/errors.js";
import { dangerousModuleReason, kerasKey } from "../core/policy-keys.js";
import type { KerasPolicy } from "../scan/keras/policy.js";

/** allowlist/ at the package root (same place as policy-files.ts computes; no import cycle). */
const SHIPPED_ALLOWLIST_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "allowlist",
);

export const KERAS_MODULES_FILE = "keras-modules.json";

const MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Legacy tf.keras names may carry the `Custom>` registration prefix (`Custom>Adam`). */
const LEGACY_NAME = /^(?:[A-Za-z_][A-Za-z0-9_]*>)?[A-Za-z_][A-Za-z0-9_]*$/;

const isDunder = (name: string): boolean =>
  name.length > 4 && name.startsWith("__") && name.endsWith("__");

const allowedName = z.string().superRefine((name, ctx) => {
  if (name === "*")
    ctx.addIssue({ code: "custom", message: "a whole module (*) is never allowed" });
  else if (name.includes("."))
    ctx.addIssue({ code: "custom", message: "a dotted name walks attributes; list exact names" });
  else if (!IDENTIFIER.test(name))
    ctx.addIssue({ code: "custom", message: "must be a plain Python identifier" });
  else if (isDunder(name))
    ctx.addIssue({ code: "custom", message: "a dunder name is never allowed" });
});

const reason = z.string().trim().min(1, "a reason is required");

const fileSchema = z.strictObject({
  $comment: z.string().optional(),
  groups: z.array(
    z.strictObject({
      modules: z.array(z.string().regex(MODULE, "must be a dotted Python module name")).min(1),
      names: z.array(allowedName).min(1),
      reason,
      provenance: z.array(z.string().trim().min(1)).min(1, "say where the entries come from"),
    }),
  ),
  legacyNames: z.array(
    z
      .string()
      .regex(LEGACY_NAME, "must be a class name")
      .refine((n) => !isDunder(n), "a dunder name is never allowed"),
  ),
  dangerousModules: z.array(
    z.strictObject({ module: z.string().regex(MODULE, "must be a module name"), reason }),
  ),
  dangerousNames: z.array(z.strictObject({ name: z.string().regex(IDENTIFIER), reason })),
});

function invalid(file: string, path: string, problem: string, cause?: unknown): InputError {
  return new InputError("POLICY_FILE_INVALID", `Invalid policy file ${file}: ${path}: ${problem}`, {
    cause,
  });
}

function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return out;
}

/** Validates an already-parsed keras-modules.json value; `file` names it in errors. */
export function parseKerasPolicy(value: unknown, file: string): KerasPolicy {
  const result = fileSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw invalid(
      file,
      issue ? jsonPath(issue.path) : "$",
      issue?.message ?? "invalid",
      result.error,
    );
  }
  const data = result.data;
  const dangerousModules = new Map<string, string>();
  data.dangerousModules.forEach((d, i) => {
    if (dangerousModules.has(d.module))
      throw invalid(file, `$.dangerousModules[${i}]`, `duplicate module ${d.module}`);
    dangerousModules.set(d.module, d.reason);
  });
  const dangerousNames = new Map<string, string>();
  data.dangerousNames.forEach((d, i) => {
    if (dangerousNames.has(d.name))
      throw invalid(file, `$.dangerousNames[${i}]`, `duplicate name ${d.name}`);
    dangerousNames.set(d.name, d.reason);
  });
  const policy: KerasPolicy = {
    allowed: new Set(),
    legacyNames: new Set(data.legacyNames),
    dangerousModules,
    dangerousNames,
  };
  const allowed = policy.allowed as Set<string>;
  data.groups.forEach((group, g) => {
    for (const module of group.modules) {
      if (dangerousModuleReason(policy, module) !== undefined)
        throw invalid(file, `$.groups[${g}]`, `module ${module} is listed as dangerous`);
      for (const name of group.names) {
        if (dangerousNames.has(name))
          throw invalid(file, `$.groups[${g}]`, `name ${name} is listed as dangerous`);
        const key = kerasKey(module, name);
        if (allowed.has(key))
          throw invalid(file, `$.groups[${g}]`, `duplicate pair ${module}.${name}`);
        allowed.add(key);
      }
    }
  });
  return policy;
}

/** Reads keras-modules.json from `dir`, or the shipped one when `dir` has none. */
export function readKerasPolicy(dir: string = SHIPPED_ALLOWLIST_DIR): KerasPolicy {
  let file = join(dir, KERAS_MODULES_FILE);
  if (!existsSync(file)) file = join(SHIPPED_ALLOWLIST_DIR, KERAS_MODULES_FILE);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw invalid(file, "$", `cannot be read as JSON (${describeError(error)})`, error);
  }
  return parseKerasPolicy(value, file);
}
