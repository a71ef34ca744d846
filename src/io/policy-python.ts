/**
 * Loads `python-rules.json` (the data the Python analyser decides with) and pairs it with the
 * tree-sitter grammar reader into a PythonPolicy. The file is validated with zod; an invalid one
 * is an InputError (POLICY_FILE_INVALID) naming the file, the JSON path and the problem.
 *
 * A policy folder without its own python-rules.json (a project override that only changes the
 * pickle lists, or a test folder) uses the shipped file: the rules are never silently empty.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { describeError, InputError } from "../core/errors.js";
import type { PythonPolicy, PythonRules } from "../scan/code/rules.js";
import { readPythonGrammar } from "./grammar.js";

export const PYTHON_RULES_FILE = "python-rules.json";
const SHIPPED_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "allowlist");

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(\.?\*|\*)?$/;
const pattern = z.string().regex(DOTTED, "must be a dotted Python name, optionally ending in *");
const moduleName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/, "must be a dotted module name");
const verdict = z.enum(["suspicious", "malicious"]);
const category = z.enum([
  "process",
  "eval",
  "import",
  "deserialize",
  "network",
  "file",
  "env",
  "reflection",
  "native",
]);
const reason = z
  .string()
  .trim()
  .min(1, "a reason is required")
  .refine((s) => !/[\r\n]/.test(s), "one line");
const argRef = z.strictObject({ index: z.number().int().min(0), keyword: z.string().min(1) });
const keywordValue = z.strictObject({ name: z.string().min(1), value: z.boolean() });
const regex = z
  .string()
  .min(1)
  .refine((s) => {
    try {
      new RegExp(s, "i");
      return true;
    } catch {
      return false;
    }
  }, "must be a valid regular expression");

const rulesSchema = z.strictObject({
  $comment: z.string().optional(),
  calls: z.array(
    z.strictObject({
      name: pattern,
      category,
      verdict,
      importTimeVerdict: verdict.optional(),
      reason,
      safeWhenKeyword: keywordValue.optional(),
      onlyWhenKeyword: keywordValue.optional(),
      onlyWhenPathEscapes: argRef.optional(),
      onlyWhenWriteMode: argRef.optional(),
      onlyWhenComputedName: z
        .strictObject({ objectIndex: z.number().int().min(0), nameIndex: z.number().int().min(0) })
        .optional(),
      onlyWhenSecretArg: z.number().int().min(0).optional(),
    }),
  ),
  decoders: z.array(pattern),
  execSinks: z.array(pattern),
  flaggedModules: z.array(z.strictObject({ name: moduleName, category, verdict, reason })),
  networkModules: z.array(moduleName),
  secretEnvPatterns: z.array(regex).min(1),
  secretEnvAllow: z.array(z.string().min(1)),
  persistencePaths: z.array(z.string().min(1)),
  pathWriteMethods: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
  internalAttributes: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
  loadMethods: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)),
  safeModules: z.array(moduleName),
  limits: z.strictObject({
    maxSourceBytes: z.number().int().positive(),
    maxNodes: z.number().int().positive(),
    maxDepth: z.number().int().positive(),
    maxInlineDepth: z.number().int().min(0),
  }),
});

function invalid(file: string, path: string, problem: string, cause?: unknown): InputError {
  return new InputError("POLICY_FILE_INVALID", `Invalid policy file ${file}: ${path}: ${problem}`, {
    cause,
  });
}

/** Validates parsed JSON as Python rules; `file` names it in errors. */
export function parsePythonRules(value: unknown, file: string): PythonRules {
  const result = rulesSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = (issue?.path ?? [])
      .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
      .join("");
    throw invalid(file, `$${path}`, issue?.message ?? "does not match the schema", result.error);
  }
  const seen = new Map<string, number>();
  result.data.calls.forEach((rule, index) => {
    const first = seen.get(rule.name);
    if (first !== undefined)
      throw invalid(
        file,
        `$.calls[${index}]`,
        `duplicate rule ${rule.name} (first at $.calls[${first}])`,
      );
    seen.set(rule.name, index);
  });
  const { $comment: _comment, ...rules } = result.data;
  return rules;
}

/** Reads `python-rules.json` from `dir` (the shipped file when `dir` has none). */
export function readPythonRules(dir: string = SHIPPED_DIR): PythonRules {
  const own = join(dir, PYTHON_RULES_FILE);
  const file = existsSync(own) ? own : join(SHIPPED_DIR, PYTHON_RULES_FILE);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw invalid(file, "$", `cannot be read as JSON (${describeError(error)})`, error);
  }
  return parsePythonRules(value, file);
}

/** The Python part of the ScanPolicy: validated rules and the (lazily used) grammar reader. */
export function readPythonPolicy(dir: string = SHIPPED_DIR): PythonPolicy {
  return { rules: readPythonRules(dir), grammar: readPythonGrammar };
}
