/**
 * huggingface_hub's on-disk tree listing, `<repo folder>/trees/<commit>.json`: the files of one
 * commit with their sizes and ids, written by `snapshot_download` (format_version 1). modelvet
 * reads it only to check, offline, snapshot files that are copies rather than links (a cache
 * written with HF_HUB_DISABLE_SYMLINKS, or where symlinks are unsupported): such a file has no
 * blob name to be checked against. The listing lives in the same cache, so it is exactly as
 * trustworthy as the blob names of a linked cache: it catches damage and stale copies, not someone
 * who can write the cache (only the Hub or models.lock catch that). A listing that is not a regular
 * file, too large, or not the shape huggingface_hub writes is ignored, never guessed at.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { BlobExpectation } from "../core/blob-check.js";
import { HEX40 } from "../core/object-id.js";
import { lstatOrUndefined } from "./cache-fs.js";
import type { RepoCache } from "./cache-layout.js";

/** Far above any real listing (a 100k-file repo is a few MB). */
const MAX_LISTING_BYTES = 64 << 20;

const listedFile = z.object({
  size: z.number().int().nonnegative(),
  blob_id: z.string().regex(HEX40),
  lfs_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .nullish(),
  lfs_size: z.number().int().nonnegative().nullish(),
});

/** What the official client's listing says each file of `commit` is, or undefined without one. */
export function readTreeListing(
  cache: RepoCache,
  commit: string,
): Map<string, BlobExpectation> | undefined {
  if (!HEX40.test(commit)) return undefined;
  const path = join(cache.repoDir, "trees", `${commit}.json`);
  const stat = lstatOrUndefined(path);
  if (stat === undefined || !stat.isFile() || stat.size > MAX_LISTING_BYTES) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const { format_version: version, files } = raw as Record<string, unknown>;
  if (version !== 1 || typeof files !== "object" || files === null || Array.isArray(files))
    return undefined;
  // Entries are read off the parsed JSON itself (own keys only), so a path such as "__proto__"
  // is a file name like any other.
  const out = new Map<string, BlobExpectation>();
  for (const [file, value] of Object.entries(files)) {
    const info = listedFile.safeParse(value);
    if (!info.success) return undefined;
    const lfs = info.data.lfs_sha256 ?? undefined;
    out.set(file, {
      size: lfs !== undefined ? (info.data.lfs_size ?? info.data.size) : info.data.size,
      gitOid: lfs !== undefined ? "" : info.data.blob_id,
      lfsSha256: lfs,
    });
  }
  return out;
}
