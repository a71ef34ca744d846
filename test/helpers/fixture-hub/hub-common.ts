/** Helpers every Hub endpoint shares: the §2.7 access matrix, revision parsing, query parameters. */
import { type Exchange, sendError } from "./http-kit.js";
import { takeRule } from "./knobs.js";
import { type Commit, type Repo, refNames, resolveRevision } from "./repo-model.js";
import type { Caller, HubState } from "./state.js";

/** Access levels: "meta" = plain repo info and refs; "content" = everything under a revision. */
export type Level = "meta" | "content";

/** Applies the §2.7 matrix; returns the repo when the caller may proceed, else answers the error. */
export function checkAccess(
  ex: Exchange,
  state: HubState,
  caller: Caller,
  repoId: string,
  level: Level,
): Repo | null {
  const repo = state.repos.get(repoId);
  if (!repo || (repo.private && !state.hasAccess(caller, repoId))) {
    if (caller.kind === "user") sendError(ex, 404, "Repository not found", "RepoNotFound");
    else sendError(ex, 401, "Invalid username or password.", "RepoNotFound");
    return null;
  }
  if (repo.disabled) {
    sendError(ex, 403, "Access to this resource is disabled.");
    return null;
  }
  if (repo.gated && level === "content" && !state.hasAccess(caller, repoId)) {
    if (caller.kind === "user") {
      sendError(
        ex,
        403,
        `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit ${state.hubUrl}/${repo.id} to ask for access.`,
        "GatedRepo",
      );
    } else {
      sendError(
        ex,
        401,
        `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
        "GatedRepo",
      );
    }
    return null;
  }
  return repo;
}

/**
 * Splits "<rev>/<path…>" URL tails. Each segment was decoded on its own, so "refs%2Fpr%2F1" is one
 * segment; a raw "refs/pr/1" spans three, so the longest prefix naming a ref (or SHA) wins.
 */
export function splitRevision(repo: Repo, segs: string[]): { rev: string; rest: string[] } {
  const names = new Set(refNames(repo));
  for (let k = Math.min(segs.length, 6); k >= 1; k--) {
    const candidate = segs.slice(0, k).join("/");
    if (names.has(candidate) || resolveRevision(repo, candidate)) {
      return { rev: candidate, rest: segs.slice(k) };
    }
  }
  return { rev: segs[0] ?? "", rest: segs.slice(1) };
}

export function resolveOrFail(ex: Exchange, repo: Repo, rev: string): Commit | null {
  const resolved = resolveRevision(repo, rev);
  if (!resolved) {
    sendError(ex, 404, `Invalid rev id: ${rev}`, "RevisionNotFound");
    return null;
  }
  return resolved.commit;
}

export function entryNotFound(ex: Exchange, commit: Commit): void {
  sendError(ex, 404, "Entry not found", "EntryNotFound", { "X-Repo-Commit": commit.id });
}

export function intParam(v: string | null, fallback: number): number | null {
  if (v === null || v === "") return fallback;
  if (!/^\d+$/.test(v)) return null;
  return Number(v);
}

export function boolParam(v: string | null): boolean {
  return v === "true" || v === "1" || v === "True";
}

export function nextLink(state: HubState, ex: Exchange, replace: Record<string, string>): string {
  const next = new URL(ex.url.pathname, state.hubUrl);
  for (const [k, v] of ex.url.searchParams) if (!(k in replace)) next.searchParams.append(k, v);
  for (const [k, v] of Object.entries(replace)) next.searchParams.set(k, v);
  const rule = takeRule(state.knobs.nextLink, "hub", ex.method, ex.path);
  if (rule) ex.record.fault = "nextLink";
  return `<${rule ? rule.rewrite(next, new URL(`${ex.url.pathname}${ex.url.search}`, state.hubUrl)) : next.href}>; rel="next"`;
}
