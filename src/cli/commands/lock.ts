import { readFileSync } from "node:fs";
import { lockProject } from "../../app/lock.js";
import { UsageError } from "../../core/errors.js";
import { describeLockChange } from "../../core/lock-diff.js";
import { serializeLockfile } from "../../core/lockfile.js";
import { writeFileAtomic } from "../../io/atomic-file.js";
import { resolveCacheDir } from "../../io/cache-layout.js";
import { withFileMutex } from "../../io/mutex.js";
import { computePolicyDigest } from "../../io/policy-digest.js";
import { readLockfile } from "../../io/project-files.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { loadProject, loadPullPolicy, makeHubClient, today } from "../hub-setup.js";
import { createProgress } from "../progress.js";
import { renderBlockedModels } from "../render/text.js";

export interface LockCommandOptions {
  update?: boolean | string[];
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  config?: string;
  quiet?: boolean;
}

export async function runLock(options: LockCommandOptions): Promise<ExitCode> {
  const { location, project } = loadProject(options.config);
  if (project === undefined) {
    throw new UsageError(`No ${location.configPath}: run \`modelvet add org/name\` to start one.`);
  }
  const update =
    options.update === undefined || options.update === false
      ? "none"
      : options.update === true || options.update.length === 0
        ? "all"
        : options.update;
  if (Array.isArray(update)) {
    for (const repo of update)
      if (!(repo in project.models))
        throw new UsageError(`--update ${repo}: not a model in ${location.configPath}.`);
  }
  return withFileMutex(`${location.lockPath}.lock`, async () => {
    const previous = readLockfile(location.lockPath);
    const progress = await createProgress({ quiet: options.quiet ?? false });
    const client = makeHubClient(options, (line) => progress.note(line));
    const policy = loadPullPolicy(project);
    let result: Awaited<ReturnType<typeof lockProject>>;
    try {
      result = await lockProject({
        client,
        cacheDir: resolveCacheDir(options.cacheDir, process.env),
        project,
        previous,
        update,
        policy,
        policyDigest: computePolicyDigest(project.policy),
        today: today(),
        onEvent: (e) => progress.onPullEvent(e),
      });
    } finally {
      progress.stop();
    }
    const lines = renderBlockedModels(result.pulled);
    if (result.blocked) {
      lines.push(
        "",
        `models.lock was not written: ${result.pulled.filter((p) => p.verdict !== "clean").length} model(s) block. Fix or remove them, or accept reviewed findings in modelvet.json.`,
      );
      process.stdout.write(`${lines.join("\n")}\n`);
      return EXIT.BLOCKED;
    }
    const text = serializeLockfile(result.lock);
    let before: string | undefined;
    try {
      before = readFileSync(location.lockPath, "utf8");
    } catch {
      before = undefined;
    }
    if (before !== text) writeFileAtomic(location.lockPath, text);
    if (result.changes.length === 0) lines.push("models.lock is up to date.");
    else {
      lines.push(...result.changes.map(describeLockChange));
      lines.push(
        "",
        `models.lock written (${Object.keys(result.lock.models).length} model(s)). Commit it.`,
      );
    }
    if (result.kept.length > 0 && update === "none")
      lines.push(
        `${result.kept.length} model(s) kept their pinned commit; \`modelvet lock --update\` moves them forward.`,
      );
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.OK;
  });
}
