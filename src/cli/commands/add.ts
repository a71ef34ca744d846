import { UsageError } from "../../core/errors.js";
import { describeLockChange } from "../../core/lock-diff.js";
import { parseModelRef } from "../../core/model-ref.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { lockWithProgress } from "../lock-with-progress.js";
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
  const result = await lockWithProgress(options, {
    add: { models: parsed, include: options.include ?? [], exclude: options.exclude ?? [] },
  });
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
    `Added ${parsed.map((r) => r.repo).join(", ")} to ${result.configPath} and models.lock. Commit both.`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
  return EXIT.OK;
}
