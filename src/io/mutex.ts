/**
 * A small cross-process mutex on a file (`models.lock.lock`): created with O_EXCL, holding the
 * owner's pid. A second `modelvet lock` waits for the first; a lock file whose owner is gone is
 * taken over. Keeps concurrent runs from interleaving their read-modify-write of models.lock.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { ModelvetError } from "../core/errors.js";

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function withFileMutex<T>(
  path: string,
  work: () => Promise<T>,
  options: { timeoutMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path, "utf8"));
      } catch {
        continue; // released between our open and read
      }
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new ModelvetError(
          "USAGE",
          `Another modelvet process (pid ${owner}) holds ${path}; wait for it, or remove the file if no modelvet is running.`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(path, { force: true });
  }
}
