/**
 * `modelvet ci` problems and the pure decisions behind them: the failure classes (each mapped to
 * its own exit code by cli/), whether models.lock still describes modelvet.json, and the
 * blocking findings of a scan. Pure: values in, values out.
 */
import { type Finding, finding } from "./finding.js";
import type { Lockfile } from "./lockfile.js";
import { DEFAULT_REF, declaredModels, type ProjectFile } from "./project.js";
import type { ScanNode } from "./report.js";

export const CI_CLASSES = [
  "out-of-sync",
  "revision-gone",
  "drift",
  "policy",
  "signature",
  "integrity",
  "blocked",
] as const;
export type CiClass = (typeof CI_CLASSES)[number];

export interface CiProblem {
  class: CiClass;
  model: string;
  /** Repo path of the file concerned, when there is one. */
  path?: string | undefined;
  finding: Finding;
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** Where modelvet.json and models.lock disagree (models, refs, globs): `out-of-sync` problems. */
export function syncProblemsOf(project: ProjectFile, lock: Lockfile): CiProblem[] {
  const out: CiProblem[] = [];
  const declared = declaredModels(project);
  const names = new Set(declared.map((m) => m.repo));
  for (const m of declared) {
    const entry = lock.models[m.repo];
    const problem = (message: string) =>
      out.push({
        class: "out-of-sync",
        model: m.repo,
        finding: finding("LOCK_OUT_OF_SYNC", "unscannable", message),
      });
    if (entry === undefined) problem(`${m.repo} is in modelvet.json but not in models.lock.`);
    else if (entry.ref !== (m.ref ?? DEFAULT_REF))
      problem(
        `${m.repo}: modelvet.json asks for ${m.ref ?? DEFAULT_REF}, the lock was made for ${entry.ref}.`,
      );
    else if (!same(entry.include, m.include) || !same(entry.exclude, m.exclude))
      problem(`${m.repo}: the include/exclude globs in modelvet.json differ from the lock.`);
  }
  for (const repo of Object.keys(lock.models).sort()) {
    if (!names.has(repo)) {
      out.push({
        class: "out-of-sync",
        model: repo,
        finding: finding(
          "LOCK_OUT_OF_SYNC",
          "unscannable",
          `${repo} is in models.lock but no longer in modelvet.json.`,
        ),
      });
    }
  }
  return out;
}

/** Every blocking finding of a node and its members, with the member path in the message. */
export function blockingFindings(node: ScanNode, prefix = ""): Finding[] {
  const here = node.findings
    .filter((f) => f.verdict !== "clean")
    .map((f) => (prefix === "" ? f : { ...f, message: `${prefix}: ${f.message}` }));
  const inner = (node.members ?? []).flatMap((m) =>
    blockingFindings(m, prefix === "" ? m.path : `${prefix}/${m.path}`),
  );
  return [...here, ...inner];
}
