/**
 * Turns a zod validation failure into one sentence that names the field, for error messages
 * about files people edit (models.lock, modelvet.json, allowlist files).
 */
import type { z } from "zod";

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(top level)";
  let out = "";
  for (const part of path) {
    const key = String(part);
    if (typeof part === "number") out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

export function describeSchemaError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid";
  // A bad record key reports its own reason in nested issues.
  if (issue.code === "invalid_key" && issue.issues.length > 0) {
    const inner = issue.issues[0]!;
    // zod puts the offending key at the end of the path; older versions give it as `input`.
    const named = typeof issue.input === "string" ? ` key ${JSON.stringify(issue.input)}` : "";
    return `${formatPath(issue.path)}:${named} ${inner.message}`;
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}
