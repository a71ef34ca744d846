/**
 * `modelvet add` and `modelvet lock` as one read-modify-write of the project's files, done
 * entirely under the project mutex (`models.lock.lock`): modelvet.json and models.lock are read
 * after the mutex is taken, the models are pinned, and both files are written before it is
 * released. Two runs at once therefore see each other's result instead of overwriting it.
 * Nothing is written when a model blocks.
 */
import { UsageError } from "../core/errors.js";
import { serializeLockfile } from "../core/lockfile.js";
import type { ModelRef } from "../core/model-ref.js";
import {
  addModels,
  type ProjectFile,
  parseProjectFile,
  serializeProjectFile,
} from "../core/project.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import type { HubClient } from "../io/hub.js";
import { withFileMutex } from "../io/mutex.js";
import { computePolicyDigest } from "../io/policy-digest.js";
import {
  type ProjectLocation,
  readLockfile,
  readProjectFile,
  readTextIfAny,
} from "../io/project-files.js";
import { type LockResult, lockProject } from "./lock.js";
import type { PullEvent, PullPolicy } from "./pull.js";

export interface LockFilesOptions {
  location: ProjectLocation;
  client: HubClient;
  cacheDir: string;
  /** `add`: declare these models (with these globs) first, and pin them. */
  add?: { models: readonly ModelRef[]; include: readonly string[]; exclude: readonly string[] };
  /** `lock`: models to move forward (`add` moves the added ones). */
  update?: "none" | "all" | readonly string[];
  /** The policy follows the project as read under the mutex. */
  policyFor: (project: ProjectFile) => PullPolicy;
  today: string;
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
  /** Called once when another modelvet holds the mutex and this run waits. */
  onWait?: (who: string) => void;
  mutexTimeoutMs?: number;
}

export interface LockFilesResult extends LockResult {
  project: ProjectFile;
  /** Which files changed on disk (both false when a model blocks). */
  wrote: { config: boolean; lock: boolean };
}

export function lockProjectFiles(options: LockFilesOptions): Promise<LockFilesResult> {
  const { location } = options;
  return withFileMutex(`${location.lockPath}.lock`, () => lockUnderMutex(options), {
    ...(options.onWait !== undefined ? { onWait: options.onWait } : {}),
    ...(options.mutexTimeoutMs !== undefined ? { timeoutMs: options.mutexTimeoutMs } : {}),
  });
}

async function lockUnderMutex(options: LockFilesOptions): Promise<LockFilesResult> {
  const { location } = options;
  const existing = readProjectFile(location.configPath);
  let project: ProjectFile;
  let update: "none" | "all" | readonly string[];
  if (options.add !== undefined) {
    project = addModels(
      existing ?? parseProjectFile("{}", location.configPath),
      options.add.models,
      options.add,
    );
    update = options.add.models.map((m) => m.repo);
  } else {
    if (existing === undefined)
      throw new UsageError(
        `No ${location.configPath}: run \`modelvet add org/name\` to start one.`,
      );
    project = existing;
    update = options.update ?? "none";
    if (Array.isArray(update))
      for (const repo of update)
        if (!(repo in project.models))
          throw new UsageError(`--update ${repo}: not a model in ${location.configPath}.`);
  }
  const result = await lockProject({
    client: options.client,
    cacheDir: options.cacheDir,
    project,
    previous: readLockfile(location.lockPath),
    update,
    policy: options.policyFor(project),
    policyDigest: computePolicyDigest(project.policy),
    today: options.today,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.onEvent !== undefined ? { onEvent: options.onEvent } : {}),
  });
  const wrote = { config: false, lock: false };
  if (result.blocked) return { ...result, project, wrote };
  // modelvet.json first: if the second write fails, the lock lacks the model and `modelvet lock`
  // (or `ci`) says so, rather than a lock that pins a model nobody declared.
  if (options.add !== undefined) {
    const configText = serializeProjectFile(project);
    if (readTextIfAny(location.configPath) !== configText) {
      writeFileAtomic(location.configPath, configText);
      wrote.config = true;
    }
  }
  const lockText = serializeLockfile(result.lock);
  if (readTextIfAny(location.lockPath) !== lockText) {
    writeFileAtomic(location.lockPath, lockText);
    wrote.lock = true;
  }
  return { ...result, project, wrote };
}
