/**
 * Model references as users type them: `org/name` or `org/name@ref`, where ref is a branch, a tag,
 * a full or short commit id, or a semver range over the repo's tags (`@^1.2`, `@>=1 <2`).
 * Pure: parsing only; resolving the ref against the Hub lives in core/revision.ts + io/.
 */
import { UsageError } from "./errors.js";

export interface ModelRef {
  /** `org/name`, as typed (the Hub matches names case-insensitively). */
  repo: string;
  org: string;
  name: string;
  /** What followed `@`, trimmed; undefined means "the default branch". */
  ref: string | undefined;
}

/** Hub rules for a namespace or repo name: letters, digits, `-`, `_`, `.`; no `--` or `..`. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$/;

export function isValidRepoPart(part: string): boolean {
  return NAME.test(part) && !part.includes("--") && !part.includes("..");
}

/** Git ref names we refuse before they reach a URL: control chars, `..`, `@{`, backslash, `~^:?*[` in names. */
function checkRefText(ref: string, input: string): void {
  if (ref.length === 0)
    throw new UsageError(
      `"${input}": nothing after "@"; give a branch, tag, commit or semver range.`,
    );
  if (ref.length > 256) throw new UsageError(`"${input}": the ref after "@" is too long.`);
  if (/[\u0000-\u001f\u007f\\]/.test(ref)) {
    throw new UsageError(
      `"${input}": the ref after "@" contains control characters or a backslash.`,
    );
  }
}

/** Parses `org/name[@ref]`; throws a UsageError that shows the expected shape. */
export function parseModelRef(input: string): ModelRef {
  const text = input.trim();
  const at = text.indexOf("@");
  const repo = at === -1 ? text : text.slice(0, at);
  const ref = at === -1 ? undefined : text.slice(at + 1).trim();
  const parts = repo.split("/");
  if (parts.length !== 2) {
    const hint =
      parts.length === 1 && parts[0] !== ""
        ? ` Legacy names without an organization are not accepted: use the canonical id shown on the model page (for example openai-community/${parts[0]}).`
        : "";
    throw new UsageError(
      `"${input}" is not a model reference: expected org/name or org/name@ref (branch, tag, commit or semver range).${hint}`,
    );
  }
  const [org, name] = parts as [string, string];
  for (const [what, value] of [
    ["organization", org],
    ["model name", name],
  ] as const) {
    if (!isValidRepoPart(value)) {
      throw new UsageError(
        `"${input}": ${what} "${value}" is not a valid Hub name (letters, digits, "-", "_", "."; at most 96 characters; no "--" or "..").`,
      );
    }
  }
  if (ref !== undefined) checkRefText(ref, input);
  return { repo: `${org}/${name}`, org, name, ref };
}

export function formatModelRef(ref: ModelRef): string {
  return ref.ref === undefined ? ref.repo : `${ref.repo}@${ref.ref}`;
}
