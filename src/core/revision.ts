/**
 * Revision resolution, the pure half: what a ref means, and which commit it picks given the
 * repo's branches, tags and (for short commit ids) commit ids. Network calls live in io/.
 *
 * Order of interpretation for `org/name@<ref>`:
 *   1. nothing                      → the default branch (the Hub's `HEAD`)
 *   2. 40 hex                       → that commit (verified to exist by the caller)
 *   3. `refs/heads/x`, `refs/tags/x`→ exactly that branch or tag
 *   4. `refs/pr/N`                  → a pull-request ref, resolved by the Hub
 *   5. exact branch or tag name     → that ref (a name that is both is ambiguous: qualify it)
 *   6. 7–39 hex                     → a short commit id, matched against branch/tag targets and
 *                                     the commit history of every branch; two matches = ambiguous
 *   7. a semver range               → highest tag whose version satisfies it (tags `v1.2.3` or
 *                                     `1.2.3`; `v1.2`/`v1` read as 1.2.0/1.0.0); prereleases only
 *                                     when the range names one (semver's own rule)
 *   8. anything else                → revision not found, with the refs that do exist
 * The result is always a 40-hex commit plus what was asked and where it came from.
 */
import semver from "semver";
import { HubError, UsageError } from "./errors.js";
import { HEX40 } from "./object-id.js";

const SHORT_COMMIT = /^[0-9a-f]{7,39}$/i;

export interface RefTarget {
  name: string;
  commit: string;
}

export interface RepoRefs {
  branches: RefTarget[];
  tags: RefTarget[];
}

export type RevisionSource =
  | { kind: "default-branch" }
  | { kind: "branch"; name: string }
  | { kind: "tag"; name: string }
  | { kind: "pull-request"; ref: string }
  | { kind: "commit" }
  | { kind: "short-commit"; prefix: string }
  | { kind: "semver"; range: string; tag: string; version: string };

export interface ResolvedRevision {
  /** What the user asked for (`undefined` = default branch). */
  requested: string | undefined;
  /** Always 40 lowercase hex. */
  commit: string;
  source: RevisionSource;
}

/** How to resolve a ref, decided from its text alone. */
export type RefRequest =
  | { kind: "default" }
  | { kind: "commit"; commit: string }
  | { kind: "qualified"; type: "branch" | "tag"; name: string }
  | { kind: "pull-request"; ref: string }
  | { kind: "name"; name: string };

export function classifyRef(ref: string | undefined): RefRequest {
  if (ref === undefined || ref === "" || ref === "HEAD") return { kind: "default" };
  if (HEX40.test(ref.toLowerCase())) return { kind: "commit", commit: ref.toLowerCase() };
  if (ref.startsWith("refs/heads/")) return qualified("branch", ref, "refs/heads/");
  if (ref.startsWith("refs/tags/")) return qualified("tag", ref, "refs/tags/");
  if (/^refs\/pr\/[0-9]+$/.test(ref)) return { kind: "pull-request", ref };
  return { kind: "name", name: ref };
}

function qualified(type: "branch" | "tag", ref: string, prefix: string): RefRequest {
  const name = ref.slice(prefix.length);
  if (name === "") throw new UsageError(`"${ref}" names no ${type}.`);
  return { kind: "qualified", type, name };
}

/** `v1.2.3` / `1.2.3` / `v1.2` / `1` (+ prerelease/build) → a normalized semver, else null. */
export function parseTagVersion(tag: string): string | null {
  const m = /^[vV]?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.exec(tag);
  if (m === null) return null;
  const text = `${m[1]}.${m[2] ?? "0"}.${m[3] ?? "0"}${m[4] ?? ""}${m[5] ?? ""}`;
  return semver.valid(text);
}

/** True when the text parses as a semver range (and so may be resolved against tags). */
export function isSemverRange(text: string): boolean {
  return semver.validRange(text) !== null;
}

export interface SemverMatch {
  tag: string;
  version: string;
  commit: string;
}

/**
 * Highest tag satisfying `range`. Prereleases only when the range itself names one. Two tags with
 * the same version (`v1.2.0` and `1.2`) are fine when they point at the same commit, ambiguous
 * otherwise.
 */
export function resolveSemverRange(range: string, tags: readonly RefTarget[]): SemverMatch | null {
  const byVersion = new Map<string, RefTarget[]>();
  for (const tag of tags) {
    const version = parseTagVersion(tag.name);
    if (version === null) continue;
    const list = byVersion.get(version) ?? [];
    list.push(tag);
    byVersion.set(version, list);
  }
  const best = semver.maxSatisfying([...byVersion.keys()], range);
  if (best === null) return null;
  const candidates = byVersion.get(best)!;
  const commits = new Set(candidates.map((t) => t.commit));
  if (commits.size > 1) {
    throw new UsageError(
      `Semver range "${range}" picks version ${best}, but tags ${candidates.map((t) => `"${t.name}"`).join(", ")} carry that version and point at different commits; name the tag exactly.`,
    );
  }
  const chosen = [...candidates].sort((a, b) => a.name.localeCompare(b.name))[0]!;
  return { tag: chosen.name, version: best, commit: chosen.commit };
}

/** Unique commit id starting with `prefix` among `candidates`; undefined if none; throws if two. */
export function matchShortCommit(prefix: string, candidates: Iterable<string>): string | undefined {
  const wanted = prefix.toLowerCase();
  const found = new Set<string>();
  for (const c of candidates) if (c.startsWith(wanted)) found.add(c);
  if (found.size > 1) {
    throw new UsageError(
      `Short commit id "${prefix}" is ambiguous: it matches ${[...found].sort().join(", ")}. Give more characters or the full 40-character id.`,
    );
  }
  return found.values().next().value;
}

export function isShortCommit(text: string): boolean {
  return SHORT_COMMIT.test(text);
}

/** The outcome of matching a `name` request against the repo's refs. */
export type NameResolution =
  | { kind: "resolved"; revision: ResolvedRevision }
  | { kind: "short-commit"; prefix: string }
  | { kind: "not-found" };

/**
 * Resolves a branch/tag name, or tells the caller to search commit ids (short hex), or reports
 * not-found. Semver ranges are tried after short commits fail (see resolveNameFallback).
 */
export function resolveName(repo: string, name: string, refs: RepoRefs): NameResolution {
  const branch = refs.branches.find((b) => b.name === name);
  const tag = refs.tags.find((t) => t.name === name);
  if (branch && tag && branch.commit !== tag.commit) {
    throw new UsageError(
      `"${repo}@${name}" is both a branch and a tag pointing at different commits; write @refs/heads/${name} or @refs/tags/${name}.`,
    );
  }
  if (branch) return resolvedFrom(name, branch.commit, { kind: "branch", name });
  if (tag) return resolvedFrom(name, tag.commit, { kind: "tag", name });
  // A short id is matched against the whole history (tips included) by the caller, never against
  // branch tips alone: an older commit with the same prefix must make it ambiguous, not lose.
  if (isShortCommit(name)) return { kind: "short-commit", prefix: name.toLowerCase() };
  return { kind: "not-found" };
}

/** Semver range over tags, the last interpretation tried. Throws a clear not-found otherwise. */
export function resolveNameFallback(repo: string, name: string, refs: RepoRefs): ResolvedRevision {
  if (isSemverRange(name)) {
    const match = resolveSemverRange(name, refs.tags);
    if (match !== null) {
      return {
        requested: name,
        commit: match.commit,
        source: { kind: "semver", range: name, tag: match.tag, version: match.version },
      };
    }
    const versions = refs.tags.filter((t) => parseTagVersion(t.name) !== null).map((t) => t.name);
    throw new HubError(
      "HUB_REVISION_NOT_FOUND",
      `No tag of ${repo} satisfies the semver range "${name}" (version tags: ${versions.length > 0 ? versions.join(", ") : "none"}). Prereleases match only when the range names one, e.g. ">=1.0.0-rc.0".`,
    );
  }
  throw notFound(repo, name, refs);
}

export function notFound(repo: string, name: string, refs: RepoRefs): HubError {
  const list = (items: RefTarget[]) =>
    items.length === 0
      ? "none"
      : items
          .slice(0, 20)
          .map((r) => r.name)
          .join(", ") + (items.length > 20 ? ", …" : "");
  return new HubError(
    "HUB_REVISION_NOT_FOUND",
    `${repo} has no branch, tag or commit "${name}" (branches: ${list(refs.branches)}; tags: ${list(refs.tags)}).`,
  );
}

function resolvedFrom(requested: string, commit: string, source: RevisionSource): NameResolution {
  return { kind: "resolved", revision: { requested, commit: commit.toLowerCase(), source } };
}

/** One-line description: `branch main`, `tag v1.2.0 (semver ^1.2)`, `commit 0f1e2d3`. */
export function describeRevisionSource(source: RevisionSource): string {
  switch (source.kind) {
    case "default-branch":
      return "default branch";
    case "branch":
      return `branch ${source.name}`;
    case "tag":
      return `tag ${source.name}`;
    case "pull-request":
      return source.ref;
    case "commit":
      return "commit";
    case "short-commit":
      return `short commit ${source.prefix}`;
    case "semver":
      return `tag ${source.tag} (version ${source.version}, range ${source.range})`;
  }
}
