/**
 * The huggingface_hub cache layout (shared/hub-api.md §3), so that `transformers` and
 * `huggingface_hub` find what modelvet verified, offline, with their own lookup rules:
 *
 *   <cache>/models--<org>--<name>/blobs/<sha256 for LFS | git sha1 for regular files>
 *   <cache>/models--<org>--<name>/snapshots/<commit>/<path>  -> relative symlink to ../../blobs/<id>
 *   <cache>/models--<org>--<name>/refs/<branch or tag>       (the commit, no newline)
 *
 * Pure path arithmetic plus checks that no name from the Hub escapes the cache.
 */
import { isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import { ModelvetError } from "../core/errors.js";
import { BLOB_ID, HEX40 } from "../core/object-id.js";
import { isSafeRepoPath } from "../core/repo-file.js";
import { CacheError, MAX_NAME_BYTES, MAX_PATH_BYTES } from "./cache-fs.js";
import { expandHome, resolveHfHome } from "./hf-home.js";

export interface CacheEnv {
  HF_HUB_CACHE?: string | undefined;
  HUGGINGFACE_HUB_CACHE?: string | undefined;
  HF_HOME?: string | undefined;
  XDG_CACHE_HOME?: string | undefined;
}

/** `--cache-dir`, else HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else $HF_HOME/hub. */
export function resolveCacheDir(flag: string | undefined, env: CacheEnv): string {
  const chosen = flag ?? env.HF_HUB_CACHE ?? env.HUGGINGFACE_HUB_CACHE;
  if (chosen !== undefined && chosen !== "") return resolve(expandHome(chosen));
  return resolve(resolveHfHome(env), "hub");
}

export function repoFolderName(repoId: string): string {
  return `models--${repoId.split("/").join("--")}`;
}

/** A path from the Hub, checked: relative, POSIX, no `..`, no empty or `.` parts, no NUL. */
export function checkRepoPath(path: string): string {
  const bad = !isSafeRepoPath(path);
  if (bad) {
    throw new ModelvetError(
      "CACHE",
      `Refusing a file path from the Hub that would escape the cache: ${JSON.stringify(path)}`,
    );
  }
  return path;
}

function checkRef(ref: string): string {
  if (
    ref === "" ||
    ref.split("/").some((p) => p === "" || p === "." || p === "..") ||
    ref.includes("\0")
  ) {
    throw new ModelvetError(
      "CACHE",
      `Refusing a ref name that would escape the cache: ${JSON.stringify(ref)}`,
    );
  }
  return ref;
}

function inside(root: string, path: string): string {
  const rel = relative(root, path);
  if (rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
    throw new ModelvetError("CACHE", `Path ${path} is outside ${root}`);
  }
  return path;
}

export class RepoCache {
  readonly root: string;
  readonly repoDir: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    this.root = resolve(cacheDir);
    this.repoDir = join(this.root, repoFolderName(repoId));
  }

  get blobsDir(): string {
    return join(this.repoDir, "blobs");
  }

  blobPath(blobId: string): string {
    if (!BLOB_ID.test(blobId)) throw new ModelvetError("CACHE", `Not a blob id: ${blobId}`);
    return join(this.blobsDir, blobId);
  }

  snapshotDir(commit: string): string {
    if (!HEX40.test(commit)) throw new ModelvetError("CACHE", `Not a commit id: ${commit}`);
    return join(this.repoDir, "snapshots", commit);
  }

  snapshotPath(commit: string, repoPath: string): string {
    const dir = this.snapshotDir(commit);
    return inside(dir, join(dir, ...checkRepoPath(repoPath).split("/")));
  }

  /** The relative symlink target from a snapshot file to its blob, depth-adjusted. */
  linkTarget(repoPath: string, blobId: string): string {
    const depth = checkRepoPath(repoPath).split("/").length - 1;
    return posix.join(...Array<string>(depth + 2).fill(".."), "blobs", blobId);
  }

  /**
   * Check, before anything is downloaded, that every file of a tree can be linked into
   * snapshots/<commit>/: no name longer than the filesystem takes, no link or path longer than
   * the kernel takes, and no path that is both a file and a folder.
   */
  checkTreeFits(commit: string, paths: readonly string[]): void {
    const files = new Set(paths);
    for (const path of paths) {
      const parts = checkRepoPath(path).split("/");
      const long = parts.find((p) => Buffer.byteLength(p) > MAX_NAME_BYTES);
      if (long !== undefined) {
        throw new CacheError(
          `The Hub's tree has a name of ${Buffer.byteLength(long)} bytes (${long.slice(0, 40)}…); the filesystem takes at most ${MAX_NAME_BYTES} bytes per name, so it cannot be cached.`,
        );
      }
      const full = this.snapshotPath(commit, path);
      const link = this.linkTarget(path, "0".repeat(64));
      if (Buffer.byteLength(full) > MAX_PATH_BYTES || link.length > MAX_PATH_BYTES) {
        throw new CacheError(
          `The Hub's tree has a path too long or too deep to cache (${parts.length} levels, ${Buffer.byteLength(full)} bytes in the cache; at most ${MAX_PATH_BYTES}): ${path.slice(0, 60)}…`,
        );
      }
      for (let i = 1; i < parts.length; i++) {
        const folder = parts.slice(0, i).join("/");
        if (files.has(folder)) {
          throw new CacheError(
            `The Hub's tree lists ${JSON.stringify(folder)} as both a file and a folder (it also has ${JSON.stringify(path)}); it cannot be cached.`,
          );
        }
      }
    }
  }

  refPath(ref: string): string {
    const dir = join(this.repoDir, "refs");
    return inside(dir, join(dir, ...checkRef(ref).split("/")));
  }
}
