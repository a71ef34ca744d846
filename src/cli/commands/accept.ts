import { acceptFinding } from "../../app/accept.js";
import { UsageError } from "../../core/errors.js";
import { serializeProjectFile } from "../../core/project.js";
import { writeFileAtomic } from "../../io/atomic-file.js";
import { withFileMutex } from "../../io/mutex.js";
import { locateProject, readLockfile, readProjectFile } from "../../io/project-files.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { today } from "../hub-setup.js";

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
  const location = locateProject(options.config);
  // The same mutex as add/lock: the read-modify-write of modelvet.json cannot interleave with theirs.
  return withFileMutex(`${location.lockPath}.lock`, async () => {
    const project = readProjectFile(location.configPath);
    if (project === undefined)
      throw new UsageError(`No ${location.configPath}: run modelvet add first.`);
    const result = acceptFinding({
      project,
      lock: readLockfile(location.lockPath),
      model,
      path,
      code: options.code,
      reason: options.reason,
      ...(options.expires !== undefined ? { expires: options.expires } : {}),
      today: today(),
    });
    writeFileAtomic(location.configPath, serializeProjectFile(result.project));
    const e = result.entry;
    process.stdout.write(
      `${result.replaced ? "Updated" : "Accepted"} ${e.code} for ${e.model} ${e.path} (sha256 ${e.sha256.slice(0, 12)}…${e.expires ? `, until ${e.expires}` : ""}) in ${location.configPath}. Commit it.\n`,
    );
    return EXIT.OK;
  });
}
