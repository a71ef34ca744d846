/**
 * What `add` and `lock` share: the Hub client, cache and policy from the common flags, and the
 * progress display, around app/lock-files.ts's mutex-guarded read-modify-write.
 */
import {
  type LockFilesOptions,
  type LockFilesResult,
  lockProjectFiles,
} from "../app/lock-files.js";
import {
  loadPullPolicy,
  locateProject,
  makeHubClient,
  resolveCacheDir,
  today,
} from "../app/session.js";
import { createProgress } from "./progress.js";

export interface LockFlags {
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  config?: string;
  quiet?: boolean;
}

export async function lockWithProgress(
  flags: LockFlags,
  change: Pick<LockFilesOptions, "add" | "update">,
): Promise<LockFilesResult & { configPath: string }> {
  const location = locateProject(flags.config);
  const progress = await createProgress({ quiet: flags.quiet ?? false });
  try {
    const result = await lockProjectFiles({
      location,
      client: makeHubClient(flags, (line) => progress.note(line)),
      cacheDir: resolveCacheDir(flags.cacheDir, process.env),
      ...change,
      policyFor: loadPullPolicy,
      today: today(),
      onEvent: (e) => progress.onPullEvent(e),
      onWait: (who) =>
        progress.note(`waiting for another modelvet (${who}) to finish with models.lock`),
    });
    return { ...result, configPath: location.configPath };
  } finally {
    progress.stop();
  }
}
