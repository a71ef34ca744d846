/**
 * Files that must never be seen half-written (models.lock, modelvet.json, cache refs): write to a
 * unique temporary file beside the target, fsync it, rename over the target, fsync the folder.
 * An interrupted run leaves the old file intact. The temporary file has a random name and is
 * created with O_EXCL | O_NOFOLLOW: a file or symlink planted at that name is never written
 * through.
 */
import { randomBytes } from "node:crypto";
import { closeSync, constants, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** Create-only, never through a symlink (O_NOFOLLOW is 0 where the platform lacks it). */
const CREATE_NEW =
  constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

export function tempPathBeside(target: string, suffix = "tmp"): string {
  return join(dirname(target), `.${basename(target)}.${randomBytes(4).toString("hex")}.${suffix}`);
}

function fsyncFolder(folder: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(folder, "r");
    fsyncSync(fd);
  } catch {
    // Some filesystems refuse fsync on folders; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  const temp = tempPathBeside(target);
  let fd: number | undefined;
  try {
    fd = openSync(temp, CREATE_NEW, 0o644);
    const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, target);
    fsyncFolder(dirname(target));
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    // Remove the temporary only when we created it (EEXIST: someone else's file at that name).
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") rmSync(temp, { force: true });
    throw error;
  }
}
