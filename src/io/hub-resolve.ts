/**
 * Turning what the user asked for (`org/name@ref`) into a commit: the order of interpretation is
 * core/revision.ts's; this asks the Hub (through `client`) what it needs to decide, and reads the
 * repo at the commit found, which proves the commit exists and that we may read it.
 */
import type { HubError } from "../core/errors.js";
import type { RepoInfo } from "../core/repo-file.js";
import {
  classifyRef,
  matchShortCommit,
  notFound,
  type RepoRefs,
  type ResolvedRevision,
  resolveName,
  resolveNameFallback,
} from "../core/revision.js";

/** What resolving needs from the Hub client (io/hub.ts). */
export interface RevisionReader {
  fetchRepoInfo(repo: string, revision?: string): Promise<RepoInfo>;
  fetchRefs(repo: string): Promise<RepoRefs>;
  fetchCommitIds(repo: string, commit: string, limit: number): Promise<string[]>;
}

export interface ResolveOptions {
  /** Bound on commits read while matching a short commit id. */
  maxCommitsScanned: number;
  /** The HUB_PROTOCOL error for a malformed answer to `what`. */
  protocol: (what: string, detail: string) => HubError;
}

/**
 * Resolves `ref` (see core/revision.ts for the order of interpretation) to a commit, then reads
 * the repo at that commit, which proves the commit exists and that we may read it.
 */
export async function resolveModelRef(
  client: RevisionReader,
  repo: string,
  ref: string | undefined,
  options: ResolveOptions,
): Promise<{ revision: ResolvedRevision; info: RepoInfo }> {
  const request = classifyRef(ref);
  let revision: ResolvedRevision;
  switch (request.kind) {
    case "default": {
      const info = await client.fetchRepoInfo(repo, "HEAD");
      return {
        revision: { requested: ref, commit: info.commit, source: { kind: "default-branch" } },
        info,
      };
    }
    case "commit": {
      const info = await client.fetchRepoInfo(repo, request.commit);
      if (info.commit !== request.commit) {
        throw options.protocol(
          `read ${repo} at ${request.commit}`,
          `asked for commit ${request.commit}, got ${info.commit}`,
        );
      }
      return {
        revision: { requested: ref, commit: info.commit, source: { kind: "commit" } },
        info,
      };
    }
    case "pull-request": {
      const info = await client.fetchRepoInfo(repo, request.ref);
      return {
        revision: {
          requested: ref,
          commit: info.commit,
          source: { kind: "pull-request", ref: request.ref },
        },
        info,
      };
    }
    case "qualified": {
      const refs = await client.fetchRefs(repo);
      const list = request.type === "branch" ? refs.branches : refs.tags;
      const hit = list.find((r) => r.name === request.name);
      if (hit === undefined) throw notFound(repo, ref ?? "", refs);
      revision = {
        requested: ref,
        commit: hit.commit,
        source: { kind: request.type, name: request.name },
      };
      break;
    }
    case "name": {
      const refs = await client.fetchRefs(repo);
      const outcome = resolveName(repo, request.name, refs);
      if (outcome.kind === "resolved") {
        revision = outcome.revision;
      } else if (outcome.kind === "short-commit") {
        const commit = await searchShortCommit(
          client,
          repo,
          outcome.prefix,
          refs,
          options.maxCommitsScanned,
        );
        revision =
          commit !== undefined
            ? { requested: ref, commit, source: { kind: "short-commit", prefix: outcome.prefix } }
            : resolveNameFallback(repo, request.name, refs);
      } else {
        revision = resolveNameFallback(repo, request.name, refs);
      }
      break;
    }
  }
  const info = await client.fetchRepoInfo(repo, revision.commit);
  if (info.commit !== revision.commit) {
    throw options.protocol(
      `read ${repo} at ${revision.commit}`,
      `asked for commit ${revision.commit}, got ${info.commit}`,
    );
  }
  return { revision, info };
}

async function searchShortCommit(
  client: RevisionReader,
  repo: string,
  prefix: string,
  refs: RepoRefs,
  budget: number,
): Promise<string | undefined> {
  const seen = new Set<string>();
  const starts = [...new Set([...refs.branches, ...refs.tags].map((r) => r.commit))];
  for (const start of starts) {
    if (seen.has(start) && seen.size > 0) continue;
    const remaining = budget - seen.size;
    if (remaining <= 0) break;
    for (const id of await client.fetchCommitIds(repo, start, remaining)) seen.add(id);
  }
  return matchShortCommit(prefix, seen);
}
