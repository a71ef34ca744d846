import { describeLockChange } from "../../core/lock-diff.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { lockWithProgress } from "../lock-with-progress.js";
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
  const update =
    options.update === undefined || options.update === false
      ? "none"
      : options.update === true || options.update.length === 0
        ? "all"
        : options.update;
  const result = await lockWithProgress(options, { update });
  const lines = renderBlockedModels(result.pulled);
  if (result.blocked) {
    lines.push(
      "",
      `models.lock was not written: ${result.pulled.filter((p) => p.verdict !== "clean").length} model(s) block. Fix or remove them, or accept reviewed findings in modelvet.json.`,
    );
    process.stdout.write(`${lines.join("\n")}\n`);
    return EXIT.BLOCKED;
  }
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
}
