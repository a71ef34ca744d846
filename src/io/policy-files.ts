/**
 * Loads the shipped policy data in allowlist/ (and later, project overrides) into the plain
 * values scanners take. Every file is validated; an invalid one is an InputError naming the file,
 * the JSON path of the bad value and the problem.
 *
 * Pickle files (format documented in allowlist/README.md):
 * - `pickle-safe.json`: exact (module, name) pairs that may be imported. Never a whole module
 *   (`*`), a dotted name (an attribute walk) or a dunder name.
 * - `pickle-dangerous.json`: known code-execution imports; they only decide severity. `*` marks a
 *   whole module. A safe entry that a dangerous entry covers is rejected as a contradiction.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { describeError, InputError } from "../core/errors.js";
import { globalKey } from "../core/policy-keys.js";
import type { PicklePolicy } from "../scan/pickle/policy.js";
import type { ScanPolicy } from "../scan/policy.js";
import { sharedHdf5Reader } from "./hdf5-runner.js";
import { readKerasPolicy } from "./policy-keras.js";
import { readPythonPolicy } from "./policy-python.js";

/** allowlist/ at the package root; the same relative place from src/io and dist/io. */
export const SHIPPED_ALLOWLIST_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "allowlist",
);

export const PICKLE_SAFE_FILE = "pickle-safe.json";
export const PICKLE_DANGEROUS_FILE = "pickle-dangerous.json";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MODULE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

const isDunder = (name: string): boolean =>
  name.length > 4 && name.startsWith("__") && name.endsWith("__");

const moduleField = z.string().regex(MODULE, "must be a dotted Python module name");
const reasonField = z
  .string()
  .trim()
  .min(1, "a reason is required")
  .refine((s) => !/[\r\n]/.test(s), "the reason must be one line");

const safeName = z.string().superRefine((name, ctx) => {
  if (name === "*") {
    ctx.addIssue({
      code: "custom",
      message: "a whole module (*) is never safe: list exact names",
    });
  } else if (name.includes(".")) {
    ctx.addIssue({
      code: "custom",
      message: "a dotted name walks attributes at load time and is never safe",
    });
  } else if (!IDENTIFIER.test(name)) {
    ctx.addIssue({ code: "custom", message: "must be a plain Python identifier" });
  } else if (isDunder(name)) {
    ctx.addIssue({ code: "custom", message: "a dunder name is never safe" });
  }
});

const dangerousName = z.string().superRefine((name, ctx) => {
  if (name === "*") return;
  if (name.includes(".")) {
    ctx.addIssue({
      code: "custom",
      message: "a dotted name is not allowed; list the module with name * instead",
    });
  } else if (!IDENTIFIER.test(name)) {
    ctx.addIssue({ code: "custom", message: "must be a Python identifier or *" });
  }
});

/** `__main__` is whatever script runs the loader: the same name means different code each time. */
const safeModule = moduleField.refine(
  (m) => m !== "__main__" && !m.startsWith("__main__."),
  "__main__ names whatever script runs the loader and is never safe",
);

const safeFileSchema = z.strictObject({
  $comment: z.string().optional(),
  entries: z.array(
    z.strictObject({
      module: safeModule,
      name: safeName,
      reason: reasonField,
      provenance: z.array(z.string().trim().min(1)).min(1, "say where the entry comes from"),
    }),
  ),
});

const dangerousFileSchema = z.strictObject({
  $comment: z.string().optional(),
  entries: z.array(
    z.strictObject({
      module: moduleField,
      name: dangerousName,
      reason: reasonField,
    }),
  ),
});

type Entry = { module: string; name: string; reason: string };

/** `$.entries[3].name` from a zod issue path. */
function jsonPath(path: readonly PropertyKey[]): string {
  let out = "$";
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return out;
}

function invalid(file: string, path: string, problem: string, cause?: unknown): InputError {
  return new InputError("POLICY_FILE_INVALID", `Invalid policy file ${file}: ${path}: ${problem}`, {
    cause,
  });
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw invalid(file, "$", `cannot be read (${describeError(error)})`, error);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(file, "$", `is not valid JSON (${describeError(error)})`, error);
  }
}

function parseWith<T>(schema: z.ZodType<T>, file: string, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue === undefined) throw invalid(file, "$", "does not match the schema");
  throw invalid(file, jsonPath(issue.path), issue.message, result.error);
}

/** Rejects a (module, name) pair listed twice in one file. */
function checkUnique(file: string, entries: readonly Entry[]): void {
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const key = globalKey(entry.module, entry.name);
    const first = seen.get(key);
    if (first !== undefined) {
      throw invalid(
        file,
        `$.entries[${index}]`,
        `duplicate entry ${entry.module}.${entry.name} (first at $.entries[${first}])`,
      );
    }
    seen.set(key, index);
  });
}

/** The dangerous entry that covers `module.name`: exact, or `*` on the module or a parent package. */
function coveringDangerous(
  dangerous: ReadonlyMap<string, string>,
  module: string,
  name: string,
): string | undefined {
  if (dangerous.has(globalKey(module, name))) return `${module}.${name}`;
  const parts = module.split(".");
  for (let i = parts.length; i > 0; i--) {
    const prefix = parts.slice(0, i).join(".");
    if (dangerous.has(globalKey(prefix, "*"))) return `${prefix}.*`;
  }
  return undefined;
}

/** Reads and validates the two pickle files in `dir`. */
export function readPicklePolicy(dir: string): PicklePolicy {
  const dangerousFile = join(dir, PICKLE_DANGEROUS_FILE);
  const dangerousEntries = parseWith(
    dangerousFileSchema,
    dangerousFile,
    readJson(dangerousFile),
  ).entries;
  checkUnique(dangerousFile, dangerousEntries);
  const dangerous = new Map<string, string>();
  for (const e of dangerousEntries) dangerous.set(globalKey(e.module, e.name), e.reason);

  const safeFile = join(dir, PICKLE_SAFE_FILE);
  const safeEntries = parseWith(safeFileSchema, safeFile, readJson(safeFile)).entries;
  checkUnique(safeFile, safeEntries);
  const safe = new Set<string>();
  safeEntries.forEach((e, index) => {
    const covered = coveringDangerous(dangerous, e.module, e.name);
    if (covered !== undefined) {
      throw invalid(
        safeFile,
        `$.entries[${index}]`,
        `${e.module}.${e.name} is also listed as dangerous (${covered} in ${dangerousFile})`,
      );
    }
    safe.add(globalKey(e.module, e.name));
  });
  return { safe, dangerous };
}

/** Loads every policy file in `dir` (default: the shipped allowlist/) into a ScanPolicy. */
export function loadScanPolicy(dir: string = SHIPPED_ALLOWLIST_DIR): ScanPolicy {
  return {
    pickle: readPicklePolicy(dir),
    // HDF5 is read in a worker thread with a deadline (io/hdf5-runner.ts).
    keras: { ...readKerasPolicy(dir), readHdf5: sharedHdf5Reader() },
    python: readPythonPolicy(dir),
  };
}
