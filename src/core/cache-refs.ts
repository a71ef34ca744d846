/**
 * Which refs/ files a pull writes, so that the official client finds the snapshot offline by the
 * same revision it would have asked for. huggingface_hub (`_cache_commit_hash_for_specific_revision`
 * in file_download.py) writes `refs/<revision>` holding the commit whenever the revision it was
 * given is not that commit itself: a branch, a tag, `refs/pr/N` (→ refs/refs/pr/N) or a short
 * commit id; nothing for a full commit id. With no revision it asks for "main". Pure.
 */
import { classifyRef, isSemverRange, type RevisionSource } from "./revision.js";

/**
 * The refs/ names for a pull of `requested` (what the user or the lock asked for) that resolved to
 * `commit` by `source`. `source` undefined means only the text is known (a lock read offline).
 */
export function cacheRefsFor(
  requested: string | undefined,
  commit: string,
  source: RevisionSource | undefined,
): string[] {
  if (source?.kind === "semver") return [source.tag];
  const request = classifyRef(requested);
  switch (request.kind) {
    case "default":
      // from_pretrained("org/name") asks for "main"; "HEAD" is our name for the default branch.
      return ["main"];
    case "commit":
      return [];
    case "qualified":
      // The official client given `refs/heads/x` writes refs/refs/heads/x; by name it reads refs/x.
      return [request.name, requested!];
    case "pull-request":
      return [request.ref];
    case "name": {
      const name = request.name;
      if (source !== undefined) return [name];
      // Only the text: a short commit id or a plain branch/tag name is written as it was asked;
      // a semver range names no ref the Hub knows, so without its tag nothing is written.
      if (commit.startsWith(name.toLowerCase())) return [name];
      return looksLikeRange(name) ? [] : [name];
    }
  }
}

/** A range with operators, spaces or wildcards (`^1.2`, `>=1 <2`, `1.x`), not a plain name. */
export function looksLikeRange(name: string): boolean {
  return isSemverRange(name) && /[\s^~<>=|*xX]/.test(name) && !/^[A-Za-z0-9._/-]+$/.test(name);
}
