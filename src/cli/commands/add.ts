import { lockProject } from "../../app/lock.js";
import { UsageError } from "../../core/errors.js";
import { describeLockChange } from "../../core/lock-diff.js";
import { serializeLockfile } from "../../core/lockfile.js";
import { parseModelRef } from "../../core/model-ref.js";
import { DEFAULT_REF, parseProjectFile, serializeProjectFile } from "../../core/project.js";
import { writeFileAtomic } from "../../io/atomic-file.js";
import { resolveCacheDir } from "../../io/cache-layout.js";
import { withFileMutex } from "../../io/mutex.js";
import { computePolicyDigest } from "../../io/policy-digest.js";
import { readLockfile } from "../../io/project-files.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { loadProject, loadPullPolicy, makeHubClient, today } from "../hub-setup.js";
import { createProgress } from "../progress.js";
import { renderBlockedModels } from "../render/text.js";

export interface AddCommandOptions {
  include?: string[];
  exclude?: string[];
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  config?: string;
  quiet?: boolean;
}

/** `modelvet add org/name[@ref]`: declare the model in modelvet.json and pin it in models.lock. */
export async function runAdd(refs: string[], options: AddCommandOptions): Promise<ExitCode> {
  if (refs.length === 0)
    throw new UsageError("Name at least one model: modelvet add org/name[@ref].");
  const parsed = refs.map(parseModelRef);
  const { location, project: existing } = loadProject(options.config);
  const project = existing ?? parseProjectFile("{}", location.configPath);
  const include = options.include ?? [];
  const exclude = options.exclude ?? [];
  for (const r of parsed) {
    project.models[r.repo] =
      include.length === 0 && exclude.length === 0
        ? (r.ref ?? DEFAULT_REF)
        : { ...(r.ref !== undefined ? { ref: r.ref } : {}), include, exclude };
  }
  return withFileMutex(`${location.lockPath}.lock`, async () => {
    const progress = await createProgress({ quiet: options.quiet ?? false });
    let result: Awaited<ReturnType<typeof lockProject>>;
    try {
      result = await lockProject({
        client: makeHubClient(options, (line) => progress.note(line)),
        cacheDir: resolveCacheDir(options.cacheDir, process.env),
        project,
        previous: readLockfile(location.lockPath),
        update: parsed.map((r) => r.repo),
        policy: loadPullPolicy(project),
        policyDigest: computePolicyDigest(project.policy),
        today: today(),
        onEvent: (e) => progress.onPullEvent(e),
      });
    } finally {
      progress.stop();
    }
    const lines: string[] = [];
    if (result.blocked) {
      lines.push(...renderBlockedModels(result.pulled));
      lines.push("", "Nothing was added: modelvet.json and models.lock are unchanged.");
      process.stdout.write(`${lines.join("\n")}\n`);
      return EXIT.BLOCKED;
    }
    writeFileAtomic(location.configPath, serializeProjectFile(project));
    writeFileAtomic(location.lockPath, serializeLockfile(result.lock));
    lines.push(...result.changes.map(describeLockChange));
    lines.push(
      "",
      `Added ${parsed.map((r) => r.repo).join(", ")} to ${location.configPath} and models.lock. Commit both.`,
    );
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.OK;
  });
}
