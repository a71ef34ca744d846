import { lockProjectFiles } from "../../app/lock-files.js";
import { locateProject, resolveCacheDir } from "../../app/session.js";
import { UsageError } from "../../core/errors.js";
import { describeLockChange } from "../../core/lock-diff.js";
import { parseModelRef } from "../../core/model-ref.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { loadPullPolicy, makeHubClient, today } from "../hub-setup.js";
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
  const location = locateProject(options.config);
  const progress = await createProgress({ quiet: options.quiet ?? false });
  let result: Awaited<ReturnType<typeof lockProjectFiles>>;
  try {
    result = await lockProjectFiles({
      location,
      client: makeHubClient(options, (line) => progress.note(line)),
      cacheDir: resolveCacheDir(options.cacheDir, process.env),
      add: { models: parsed, include: options.include ?? [], exclude: options.exclude ?? [] },
      policyFor: loadPullPolicy,
      today: today(),
      onEvent: (e) => progress.onPullEvent(e),
      onWait: (who) =>
        progress.note(`waiting for another modelvet (${who}) to finish with models.lock`),
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
  lines.push(...result.changes.map(describeLockChange));
  lines.push(
    "",
    `Added ${parsed.map((r) => r.repo).join(", ")} to ${location.configPath} and models.lock. Commit both.`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.OK;
}
