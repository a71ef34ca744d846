import { acceptInProject } from "../../app/accept.js";
import { today } from "../../app/session.js";
import { EXIT, type ExitCode } from "../exit-codes.js";

export interface AcceptCommandOptions {
  code: string;
  reason: string;
  expires?: string;
  config?: string;
}

/** `modelvet accept org/name path --code CODE --reason TEXT [--expires DATE]`. */
export async function runAccept(
  model: string,
  path: string,
  options: AcceptCommandOptions,
): Promise<ExitCode> {
  const result = await acceptInProject({
    config: options.config,
    model,
    path,
    code: options.code,
    reason: options.reason,
    ...(options.expires !== undefined ? { expires: options.expires } : {}),
    today: today(),
  });
  const e = result.entry;
  process.stdout.write(
    `${result.replaced ? "Updated" : "Accepted"} ${e.code} for ${e.model} ${e.path} (sha256 ${e.sha256.slice(0, 12)}…${e.expires ? `, until ${e.expires}` : ""}) in ${result.configPath}. Commit it.\n`,
  );
  return EXIT.OK;
}
