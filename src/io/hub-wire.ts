/**
 * The Hub's JSON, validated at the edge (zod): refs, tree entries, the security status. A
 * malformed answer is HUB_PROTOCOL (through `protocol`), never guessed at.
 */
import { z } from "zod";
import type { HubError } from "../core/errors.js";
import { HEX40 } from "../core/object-id.js";
import { isSafeRepoPath, type RepoFile } from "../core/repo-file.js";
export const HEX64 = /^[0-9a-f]{64}$/;

const refTargetWire = z.object({
  name: z.string().min(1),
  targetCommit: z.string().regex(HEX40),
});
export const refsWire = z.object({
  branches: z.array(refTargetWire),
  tags: z.array(refTargetWire).default([]),
});

export const treeEntryWire = z.object({
  type: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative(),
  oid: z.string().regex(HEX40).optional(),
  lfs: z
    .object({
      oid: z.string().regex(HEX64),
      size: z.number().int().nonnegative(),
      pointerSize: z.number().int().nonnegative().optional(),
    })
    .optional(),
  xetHash: z.string().optional(),
  lastCommit: z.object({ id: z.string(), title: z.string(), date: z.string() }).optional(),
  securityFileStatus: z.unknown().optional(),
});

export const securityWire = z.object({
  securityRepoStatus: z
    .object({ scansDone: z.boolean(), filesWithIssues: z.array(z.unknown()).default([]) })
    .passthrough()
    .optional(),
});

/**
 * The files of a tree listing, checked: known types, safe paths, object ids, LFS sizes, no
 * echoed credential, no path listed twice with different metadata; sorted by path.
 */
export function parseTreeEntries(
  entries: unknown[],
  token: string | undefined,
  protocol: (detail: string) => HubError,
): RepoFile[] {
  const files = new Map<string, RepoFile>();
  for (const raw of entries) {
    const parsed = treeEntryWire.safeParse(raw);
    if (!parsed.success) {
      throw protocol(
        `tree entry ${JSON.stringify(raw).slice(0, 120)}: ${parsed.error.issues[0]?.message}`,
      );
    }
    const e = parsed.data;
    if (token !== undefined && e.path.includes(token)) {
      // The Hub (or whatever answers for it) copied the credential it was sent into the tree:
      // nothing in this listing is trusted, and the path is never shown.
      throw protocol(
        "a file path contains the access token sent with the request (the Hub echoes credentials into file names); the listing is refused and the path is not shown",
      );
    }
    if (!isSafeRepoPath(e.path)) throw protocol(`unsafe path ${JSON.stringify(e.path)}`);
    if (e.type === "directory") continue;
    if (e.type !== "file") throw protocol(`entry ${e.path} has unknown type "${e.type}"`);
    if (e.oid === undefined) throw protocol(`file ${e.path} has no git object id`);
    if (e.lfs !== undefined && e.lfs.size !== e.size) {
      throw protocol(`file ${e.path}: size ${e.size} but LFS size ${e.lfs.size}`);
    }
    const file: RepoFile = { path: e.path, size: e.size, gitOid: e.oid };
    if (e.lfs !== undefined) file.lfs = { sha256: e.lfs.oid, size: e.lfs.size };
    if (e.xetHash !== undefined && HEX64.test(e.xetHash)) file.xetHash = e.xetHash;
    if (e.lastCommit !== undefined) file.lastCommit = e.lastCommit;
    if (e.securityFileStatus !== undefined) {
      const status = (e.securityFileStatus as { status?: unknown } | null)?.status;
      file.hubSecurity = {
        status: typeof status === "string" ? status : "unknown",
        detail: e.securityFileStatus,
      };
    }
    const previous = files.get(file.path);
    if (previous !== undefined && JSON.stringify(previous) !== JSON.stringify(file)) {
      throw protocol(`file ${file.path} is listed twice with different metadata`);
    }
    files.set(file.path, file);
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
