/**
 * The refs/ a pull from models.lock writes (core/cache-refs.ts), and, online, where the lock's ref
 * text came from: a semver range names no ref, so the tag it picked at the locked commit is
 * looked up among the repo's refs. The commit is always the lock's; nothing is re-resolved.
 */
import { cacheRefsFor } from "../core/cache-refs.js";
import {
  classifyRef,
  isSemverRange,
  type RevisionSource,
  resolveName,
  resolveSemverRange,
} from "../core/revision.js";
import type { RepoCache } from "../io/cache-layout.js";
import { writeRef } from "../io/cache-store.js";
import type { HubClient } from "../io/hub.js";

/** How the lock's `ref` reads against the repo's refs now, or undefined when the text says it all. */
export async function lockedRefSource(
  client: HubClient | undefined,
  repo: string,
  ref: string,
  commit: string,
): Promise<RevisionSource | undefined> {
  const request = classifyRef(ref);
  if (request.kind !== "name" || client === undefined) return undefined;
  const refs = await client.fetchRefs(repo);
  try {
    const outcome = resolveName(repo, request.name, refs);
    if (outcome.kind === "resolved") return outcome.revision.source;
    if (outcome.kind === "short-commit") return { kind: "short-commit", prefix: outcome.prefix };
  } catch {
    return undefined; // a name that is both a branch and a tag: the text alone decides
  }
  if (!isSemverRange(request.name)) return undefined;
  const match = resolveSemverRange(
    request.name,
    refs.tags.filter((t) => t.commit === commit),
  );
  return match === null
    ? undefined
    : { kind: "semver", range: request.name, tag: match.tag, version: match.version };
}

/** Write refs/<name> → commit for every name the official client would read this pull by. */
export function writeCacheRefs(
  cache: RepoCache,
  requested: string | undefined,
  commit: string,
  source: RevisionSource | undefined,
): string[] {
  const names = cacheRefsFor(requested, commit, source);
  for (const name of names) writeRef(cache, name, commit);
  return names;
}
