/**
 * Writing and reading the snapshot side of the cache: links from snapshots/<commit>/<path> to
 * verified blobs, and refs/<name>. A link is only made for a blob that was verified and scanned
 * with a verdict policy admits (the caller decides); a blocked file never appears in snapshots/.
 */
import { randomBytes } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { writeFileAtomic } from "./atomic-file.js";
import type { RepoCache } from "./cache-layout.js";

/** Create (or replace) snapshots/<commit>/<path> as a relative symlink to blobs/<blobId>. */
export function linkSnapshot(
  cache: RepoCache,
  commit: string,
  path: string,
  blobId: string,
): string {
  const linkPath = cache.snapshotPath(commit, path);
  const target = cache.linkTarget(path, blobId);
  mkdirSync(dirname(linkPath), { recursive: true });
  try {
    if (lstatSync(linkPath).isSymbolicLink() && readlinkSync(linkPath) === target) return linkPath;
  } catch {
    // not there yet
  }
  const temp = join(dirname(linkPath), `.${randomBytes(4).toString("hex")}.link.tmp`);
  symlinkSync(target, temp);
  try {
    renameSync(temp, linkPath);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return linkPath;
}

/** Remove a snapshot entry (e.g. a file that is now blocked). */
export function unlinkSnapshot(cache: RepoCache, commit: string, path: string): void {
  rmSync(cache.snapshotPath(commit, path), { force: true });
}

/** refs/<name> holds the commit with no newline; written only when it changes. */
export function writeRef(cache: RepoCache, ref: string, commit: string): void {
  const path = cache.refPath(ref);
  try {
    if (readFileSync(path, "utf8") === commit) return;
  } catch {
    // missing
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, commit);
}

export function readRef(cache: RepoCache, ref: string): string | undefined {
  try {
    return readFileSync(cache.refPath(ref), "utf8").trim();
  } catch {
    return undefined;
  }
}

export interface SnapshotEntry {
  path: string;
  /** Blob id the link points at, or undefined when the entry is not a link into blobs/. */
  blobId: string | undefined;
}

/** Every file under snapshots/<commit>/, as repo paths with the blob each links to. */
export function listSnapshot(cache: RepoCache, commit: string): SnapshotEntry[] {
  const root = cache.snapshotDir(commit);
  const out: SnapshotEntry[] = [];
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const full = join(dir, name);
      const stat = lstatSync(full);
      const path = relative(root, full).split("\\").join("/");
      if (stat.isDirectory()) walk(full);
      else if (stat.isSymbolicLink()) {
        const m = /(?:^|\/)blobs\/([0-9a-f]{40}|[0-9a-f]{64})$/.exec(readlinkSync(full));
        out.push({ path, blobId: m?.[1] });
      } else out.push({ path, blobId: undefined });
    }
  };
  walk(root);
  return out;
}

/** Commits that have a snapshot folder. */
export function listSnapshotCommits(cache: RepoCache): string[] {
  try {
    return readdirSync(join(cache.repoDir, "snapshots"))
      .filter((n) => /^[0-9a-f]{40}$/.test(n))
      .sort();
  } catch {
    return [];
  }
}
