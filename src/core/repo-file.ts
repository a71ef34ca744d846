/**
 * What the rest of modelvet knows about a Hub repo, in our own terms (the Hub's wire shapes stay
 * in io/hub.ts). Produced by io/hub.ts, read by app/ (inspect, lock, pull).
 */

export interface RepoFile {
  /** POSIX path relative to the repo root (validated: no `..`, no leading `/`). */
  path: string;
  /** Content size in bytes (for LFS files, the real content, not the pointer). */
  size: number;
  /** Git blob id from the tree (for LFS files: the id of the pointer file). */
  gitOid: string;
  /** Present when the file is stored in LFS/Xet: the content's sha256 and size. */
  lfs?: { sha256: string; size: number };
  /** Xet content hash, when the Hub gives a well-formed one (storage detail; not a sha256). */
  xetHash?: string;
  /** The commit that last touched the file (only with the expanded listing). */
  lastCommit?: { id: string; title: string; date: string };
  /** The Hub's own per-file scan result, advisory only (expanded listing). */
  hubSecurity?: { status: string; detail: unknown };
}

export interface FileDigest {
  algorithm: "sha256" | "git-sha1";
  value: string;
}

/** The strongest digest the Hub publishes for a file: sha256 for LFS, the git blob sha1 otherwise. */
export function publishedDigest(file: RepoFile): FileDigest {
  return file.lfs !== undefined
    ? { algorithm: "sha256", value: file.lfs.sha256 }
    : { algorithm: "git-sha1", value: file.gitOid };
}

export type GatedMode = false | "auto" | "manual";

export interface RepoInfo {
  repo: string;
  /** The commit the requested revision points at (40 hex). */
  commit: string;
  gated: GatedMode;
  private: boolean;
}

/** The Hub's repo-level scan summary (`securityRepoStatus`), advisory only. */
export interface HubSecurityStatus {
  scansDone: boolean;
  filesWithIssues: Array<{ path: string; level: string | undefined }>;
  detail: unknown;
}

/** The Hub's answer to a probe of one file (`fileDownloadInfo`). */
export interface DownloadInfo {
  size: number;
  /** ETag without quotes: sha256 for LFS/Xet files, git blob sha1 otherwise. */
  etag: string;
  url: string;
}

/**
 * A path from the Hub (or a lockfile) that is safe to use under a folder: relative, POSIX, no
 * empty, `.` or `..` parts, no control characters or backslashes, no drive letter, bounded length.
 */
export function isSafeRepoPath(path: string): boolean {
  if (path.length === 0 || path.length > 4096 || path.startsWith("/")) return false;
  if (/[\u0000-\u001f\\]/.test(path) || /^[A-Za-z]:/.test(path)) return false;
  return path.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}
