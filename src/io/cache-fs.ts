/**
 * The filesystem edge of the cache: folders made and checked one component at a time (never
 * through a symbolic link), files opened with O_NOFOLLOW, and every failure of the filesystem
 * turned into a typed `CacheError` (exit 2) that says what happened and where.
 *
 * Someone who can write to the cache can plant links (a `snapshots/<commit>` folder pointing
 * elsewhere, a `.incomplete` pointing at a file outside, a blob pointing at bytes they control):
 * nothing here writes through a link, and nothing is trusted because of a link's text.
 */
import { constants, lstatSync, mkdirSync, readlinkSync, type Stats } from "node:fs";
import { isAbsolute, join, relative, sep } from "node:path";
import { describeError, ModelvetError } from "../core/errors.js";

/** The cache cannot be used as it is: full, read-only, not writable, or not shaped as modelvet makes it. */
export class CacheError extends ModelvetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CACHE", message, options);
  }
}

/** Longest file name most filesystems take (ext4, xfs, btrfs, tmpfs, APFS): 255 bytes. */
export const MAX_NAME_BYTES = 255;
/** Longest path (and symlink target) Linux takes in one system call: PATH_MAX less the NUL. */
export const MAX_PATH_BYTES = 4095;

/** Open flags: read, never through a link. */
export const READ_NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;
/** Open flags: a new file only this call creates (fails on anything there, a link included). */
export const CREATE_EXCLUSIVE =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
/** Open flags: read and write an existing file, never through a link. */
export const UPDATE_NO_FOLLOW = constants.O_RDWR | constants.O_NOFOLLOW;

function errno(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** A long path shortened for a message: its start and its end. */
function show(path: string): string {
  return path.length <= 240 ? path : `${path.slice(0, 120)}…${path.slice(-100)}`;
}

/**
 * The typed error for a filesystem failure while `doing` (a verb phrase) `path`. A ModelvetError
 * passes through unchanged.
 */
export function cacheFsError(error: unknown, doing: string, path: string): ModelvetError {
  if (error instanceof ModelvetError) return error;
  const where = `${doing} ${show(path)}`;
  const code = errno(error);
  const message = (() => {
    switch (code) {
      case "ENOSPC":
      case "EDQUOT":
        return `No space left on the disk that holds the cache (${where}). Free some space or point --cache-dir / HF_HUB_CACHE at a larger disk; the partial file was removed.`;
      case "EFBIG":
        return `The file is larger than this process may write (a file-size limit such as \`ulimit -f\`, or the filesystem's largest file) while ${where}; the partial file was removed.`;
      case "EROFS":
        return `The cache is on a read-only filesystem (${where}). Use a writable --cache-dir / HF_HUB_CACHE.`;
      case "EACCES":
      case "EPERM":
        return `Permission denied while ${where}. Check the cache folder's owner and mode, or use another --cache-dir / HF_HUB_CACHE.`;
      case "ENAMETOOLONG":
        return `A path is too long for the filesystem (${where}): a name may have at most ${MAX_NAME_BYTES} bytes and a path ${MAX_PATH_BYTES}.`;
      case "ENOTDIR":
        return `A file stands where the cache needs a folder (${where}). Remove it and pull again.`;
      case "EISDIR":
      case "ENOTEMPTY":
        return `A folder stands where the cache needs a file (${where}). Remove it and pull again.`;
      case "ELOOP":
        return `A symbolic link stands where the cache needs a real file (${where}); modelvet never writes or reads through one. Remove it and pull again.`;
      case "EMFILE":
      case "ENFILE":
        return `Too many open files while ${where}: raise the limit (ulimit -n) or pull with a lower --concurrency.`;
      case "EIO":
        return `The disk reported an input/output error while ${where}.`;
      default:
        return `Cannot finish ${where}: ${describeError(error)}`;
    }
  })();
  return new CacheError(message, { cause: error });
}

/** lstat, or undefined when nothing is there. Other failures are typed. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (error) {
    if (errno(error) === "ENOENT") return undefined;
    throw cacheFsError(error, "checking", path);
  }
}

/** What stands at `path` instead of a folder, for a message; undefined when it is a folder. */
function notAFolder(path: string, stat: Stats): string | undefined {
  if (stat.isDirectory()) return undefined;
  if (stat.isSymbolicLink()) {
    let target = "?";
    try {
      target = readlinkSync(path);
    } catch {
      // gone meanwhile
    }
    return `${show(path)} is a symbolic link (to ${show(target)}), not a folder: modelvet does not write or trust anything through a link in the cache. Remove it and pull again.`;
  }
  return `${show(path)} is a file, not a folder. Remove it and pull again.`;
}

function components(root: string, dir: string): string[] {
  const rel = relative(root, dir);
  if (rel === "") return [];
  if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    throw new CacheError(`${show(dir)} is outside the cache ${root}`);
  }
  return rel.split(sep);
}

/**
 * Make `dir` (inside `root`) one component at a time; every component below `root` must be a
 * real folder, never a symbolic link. `root` itself is the user's choice and may be anything.
 */
export function ensureCacheDir(root: string, dir: string): void {
  let at = root;
  try {
    mkdirSync(root, { recursive: true });
  } catch (error) {
    // A recursive mkdir reports ENOENT for what is EROFS or EACCES: ask once more, plainly.
    let cause = error;
    try {
      mkdirSync(root);
    } catch (plain) {
      if (errno(plain) !== "ENOENT") cause = plain;
    }
    throw cacheFsError(cause, "creating the cache folder", root);
  }
  for (const name of components(root, dir)) {
    at = join(at, name);
    try {
      mkdirSync(at);
    } catch (error) {
      if (errno(error) !== "EEXIST") throw cacheFsError(error, "creating the folder", at);
    }
    const stat = lstatOrUndefined(at);
    if (stat === undefined)
      throw new CacheError(`${show(at)} vanished while it was being created.`);
    const problem = notAFolder(at, stat);
    if (problem !== undefined) throw new CacheError(problem);
  }
}

/**
 * Whether `dir` (inside `root`) exists as real folders all the way down: false when a component
 * is missing; a typed error when one is a link or a file.
 */
export function isRealCacheDir(root: string, dir: string): boolean {
  let at = root;
  for (const name of components(root, dir)) {
    at = join(at, name);
    const stat = lstatOrUndefined(at);
    if (stat === undefined) return false;
    const problem = notAFolder(at, stat);
    if (problem !== undefined) throw new CacheError(problem);
  }
  return true;
}

/** Why `dir` (inside `root`) cannot be trusted as real folders, or undefined when it can (or is absent). */
export function untrustedDir(root: string, dir: string): string | undefined {
  try {
    isRealCacheDir(root, dir);
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}
