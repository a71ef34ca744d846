/**
 * Writing and reading the snapshot side of the cache: links from snapshots/<commit>/<path> to
 * verified blobs, and refs/<name>. A link is only made for a blob that was verified and scanned
 * with a verdict policy admits (the caller decides); a blocked file never appears in snapshots/.
 *
 * Nothing is written through a symbolic link (every folder is checked one component at a time,
 * io/cache-fs.ts), and a snapshot entry is judged by the file it resolves to, never by its text:
 * a link counts only when it lands on a regular file directly in this repo's blobs/.
 */
import { randomBytes } from "node:crypto";
import {
  constants,
  copyFileSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { BLOB_ID, BLOB_ID_SOURCE, HEX40 } from "../core/object-id.js";
import { writeFileAtomic } from "./atomic-file.js";
import {
  CacheError,
  cacheFsError,
  ensureCacheDir,
  isRealCacheDir,
  lstatOrUndefined,
  untrustedDir,
} from "./cache-fs.js";
import type { RepoCache } from "./cache-layout.js";

/**
 * HF_HUB_DISABLE_SYMLINKS, read as huggingface_hub reads it (`_is_true`: 1, ON, YES, TRUE in any
 * case): snapshot entries are copies of their blobs instead of links, as the official client
 * makes them when symlinks are off or unsupported.
 */
export function symlinksDisabled(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.HF_HUB_DISABLE_SYMLINKS;
  return value !== undefined && ["1", "on", "yes", "true"].includes(value.trim().toLowerCase());
}

/**
 * Create (or replace) snapshots/<commit>/<path> as a relative symlink to blobs/<blobId>, or, with
 * HF_HUB_DISABLE_SYMLINKS set, as a copy of the blob (the blob stays, so later pulls reuse it).
 */
export function linkSnapshot(
  cache: RepoCache,
  commit: string,
  path: string,
  blobId: string,
): string {
  const linkPath = cache.snapshotPath(commit, path);
  const target = cache.linkTarget(path, blobId);
  const dir = dirname(linkPath);
  ensureCacheDir(cache.root, dir);
  const copy = symlinksDisabled();
  const there = lstatOrUndefined(linkPath);
  if (!copy && there?.isSymbolicLink() && readlinkSync(linkPath) === target) return linkPath;
  if (there?.isDirectory()) {
    throw new CacheError(
      `${linkPath} is a folder where the snapshot needs a link to ${path}'s blob. Remove it and pull again.`,
    );
  }
  const temp = join(dir, `.${randomBytes(8).toString("hex")}.modelvet-link.tmp`);
  try {
    if (copy) copyFileSync(cache.blobPath(blobId), temp, constants.COPYFILE_EXCL);
    else symlinkSync(target, temp);
    renameSync(temp, linkPath);
  } catch (error) {
    rmSync(temp, { force: true });
    throw cacheFsError(error, "linking", linkPath);
  }
  return linkPath;
}

/** Remove a snapshot entry (e.g. a file that is now blocked); never through a linked folder. */
export function unlinkSnapshot(cache: RepoCache, commit: string, path: string): void {
  const linkPath = cache.snapshotPath(commit, path);
  if (!isRealCacheDir(cache.root, dirname(linkPath))) return;
  try {
    rmSync(linkPath, { force: true });
  } catch (error) {
    throw cacheFsError(error, "removing", linkPath);
  }
}

/** refs/<name> holds the commit with no newline; written only when it changes. */
export function writeRef(cache: RepoCache, ref: string, commit: string): void {
  const path = cache.refPath(ref);
  ensureCacheDir(cache.root, dirname(path));
  const there = lstatOrUndefined(path);
  if (there?.isFile() && readFileSync(path, "utf8") === commit) return;
  try {
    writeFileAtomic(path, commit);
  } catch (error) {
    throw cacheFsError(error, "writing", path);
  }
}

export function readRef(cache: RepoCache, ref: string): string | undefined {
  try {
    if (!isRealCacheDir(cache.root, dirname(cache.refPath(ref)))) return undefined;
    if (lstatOrUndefined(cache.refPath(ref))?.isFile() !== true) return undefined;
    return readFileSync(cache.refPath(ref), "utf8").trim();
  } catch {
    return undefined;
  }
}

/**
 * One file under snapshots/<commit>/, judged by what it resolves to:
 * - `blob`: resolves to a regular file directly in this repo's blobs/ (`blobId` is that file's name,
 *   whatever the link's text says; `blobPath` is the resolved path, the file a loader reads);
 * - `copy`: a regular file holding the bytes itself, as huggingface_hub writes a snapshot when
 *   symlinks are off (HF_HUB_DISABLE_SYMLINKS, Windows without Developer Mode). It has no name to
 *   be checked against: the caller verifies its bytes against the lock or the Hub's tree;
 * - `missing`: a link into blobs/<id> whose blob is not there;
 * - `untrusted`: anything else (a link out of blobs/, a linked folder, a device…).
 */
export type SnapshotEntry =
  | { path: string; status: "blob"; blobId: string; blobPath: string }
  | { path: string; status: "copy"; filePath: string }
  | { path: string; status: "missing"; blobId: string }
  | { path: string; status: "untrusted"; detail: string };

/** Every file under snapshots/<commit>/, as repo paths with the blob each resolves to. */
export function listSnapshot(cache: RepoCache, commit: string): SnapshotEntry[] {
  const root = cache.snapshotDir(commit);
  const folderProblem = untrustedDir(cache.root, root);
  if (folderProblem !== undefined)
    return [{ path: "", status: "untrusted", detail: folderProblem }];
  if (lstatOrUndefined(root) === undefined) return [];
  let realBlobs: string | undefined;
  if (untrustedDir(cache.root, cache.blobsDir) === undefined) {
    try {
      realBlobs = realpathSync(cache.blobsDir);
    } catch {
      realBlobs = undefined; // no blobs/: every link is missing its blob
    }
  }
  const out: SnapshotEntry[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (error) {
      throw cacheFsError(error, "listing", dir);
    }
    for (const name of names) {
      const full = join(dir, name);
      const stat = lstatOrUndefined(full);
      if (stat === undefined) continue;
      const path = relative(root, full).split("\\").join("/");
      if (stat.isDirectory()) walk(full);
      else if (stat.isSymbolicLink()) out.push(resolveEntry(path, full, realBlobs));
      else if (stat.isFile()) out.push({ path, status: "copy", filePath: full });
      else out.push({ path, status: "untrusted", detail: "not a file or a link into blobs/" });
    }
  };
  walk(root);
  return out;
}

function resolveEntry(path: string, full: string, realBlobs: string | undefined): SnapshotEntry {
  const text = readlinkSync(full);
  const named = new RegExp(`(?:^|/)blobs/(${BLOB_ID_SOURCE})$`).exec(text)?.[1];
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    if (named !== undefined) return { path, status: "missing", blobId: named };
    return { path, status: "untrusted", detail: `a broken link (to ${text})` };
  }
  const name = basename(real);
  if (realBlobs === undefined || dirname(real) !== realBlobs || !BLOB_ID.test(name)) {
    return {
      path,
      status: "untrusted",
      detail: `a link that resolves to ${real}, outside this repo's blobs/`,
    };
  }
  if (lstatOrUndefined(real)?.isFile() !== true) {
    return { path, status: "untrusted", detail: `a link to ${real}, which is not a regular file` };
  }
  return { path, status: "blob", blobId: name, blobPath: real };
}

/** Commits that have a snapshot folder. */
export function listSnapshotCommits(cache: RepoCache): string[] {
  try {
    return readdirSync(join(cache.repoDir, "snapshots"))
      .filter((n) => HEX40.test(n))
      .sort();
  } catch {
    return [];
  }
}
