/**
 * `modelvet accept`: records in modelvet.json that a reviewed finding is accepted for one locked
 * file, tied to the sha256 models.lock pins for it (so the acceptance lapses when the file
 * changes). `acceptFinding` is the pure decision; `acceptInProject` reads and writes the files
 * under the project mutex, the same one add and lock take.
 */
import { UsageError } from "../core/errors.js";
import type { Lockfile } from "../core/lockfile.js";
import { parseModelRef } from "../core/model-ref.js";
import type { AcceptedFinding, ProjectFile } from "../core/project.js";
import { serializeProjectFile } from "../core/project.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { withFileMutex } from "../io/mutex.js";
import { locateProject, readLockfile, readProjectFile } from "../io/project-files.js";

/**
 * Codes only ever raised with a `malicious` verdict: a known way to run code, escape a folder or
 * swap bytes. The policy never waives a malicious finding, so accepting these would do nothing.
 */
export const MALICIOUS_ONLY_CODES: ReadonlySet<string> = new Set([
  "ARCHIVE_PATH_ESCAPE",
  "CACHE_CORRUPT",
  "DIGEST_MISMATCH",
  "KERAS_LAMBDA",
  "LOCK_EXTRA_ENTRY",
  "LOCK_MISMATCH",
  "LOCK_MISSING_ENTRY",
  "ONNX_EXTERNAL_DATA_ESCAPE",
  "PATH_ESCAPE",
  "PICKLE_DANGEROUS_CALL",
  "PICKLE_DANGEROUS_GLOBAL",
  "PICKLE_READER_DISAGREEMENT",
  "PICKLE_UNSAFE_NAME",
  "PYTHON_DANGEROUS",
  "SIZE_MISMATCH",
]);

export interface AcceptOptions {
  project: ProjectFile;
  lock: Lockfile | undefined;
  model: string;
  path: string;
  code: string;
  reason: string;
  expires?: string;
  /** YYYY-MM-DD (UTC), to refuse an expiry in the past. */
  today: string;
}

export interface AcceptResult {
  project: ProjectFile;
  entry: AcceptedFinding;
  /** True when an entry for the same model, path, digest and code was replaced. */
  replaced: boolean;
}

function checkDate(expires: string, today: string): void {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(expires))
    throw new UsageError(`--expires ${JSON.stringify(expires)}: use a date like 2027-06-30.`);
  const parsed = new Date(`${expires}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime()) || parsed.toISOString().slice(0, 10) !== expires)
    throw new UsageError(`--expires ${expires}: not a real calendar date.`);
  if (expires < today)
    throw new UsageError(`--expires ${expires}: the date is in the past (today is ${today}).`);
}

export function acceptFinding(options: AcceptOptions): AcceptResult {
  const ref = parseModelRef(options.model);
  if (ref.ref !== undefined)
    throw new UsageError(`Name the model without a ref: ${ref.repo} (the lock pins the revision).`);
  const code = options.code.trim();
  if (!/^[A-Z][A-Z0-9_]*$/.test(code))
    throw new UsageError(
      `--code ${JSON.stringify(code)}: use a finding code such as PICKLE_UNKNOWN_GLOBAL.`,
    );
  if (MALICIOUS_ONLY_CODES.has(code))
    throw new UsageError(
      `${code} findings are always malicious and can never be accepted: remove the file or the model instead.`,
    );
  const reason = options.reason.trim();
  if (reason === "" || /[\r\n]/.test(reason))
    throw new UsageError("--reason must be one non-empty line saying who reviewed it and why.");
  if (options.expires !== undefined) checkDate(options.expires, options.today);
  const locked = options.lock?.models[ref.repo];
  if (locked === undefined)
    throw new UsageError(
      `${ref.repo} is not in models.lock: lock it first (modelvet add ${ref.repo}), then accept its findings.`,
    );
  const path = options.path.replace(/^\.\//, "");
  const file = locked.files[path];
  if (file === undefined) {
    const names = Object.keys(locked.files).sort().slice(0, 10).join(", ");
    throw new UsageError(
      `${path} is not a file of ${ref.repo} in models.lock (it has: ${names}${Object.keys(locked.files).length > 10 ? ", …" : ""}).`,
    );
  }
  if (file.scan.verdict === "malicious")
    throw new UsageError(
      `${ref.repo} ${path} was locked as malicious: malicious findings are never accepted.`,
    );
  const entry: AcceptedFinding = {
    model: ref.repo,
    path,
    sha256: file.sha256,
    code,
    reason,
    ...(options.expires !== undefined ? { expires: options.expires } : {}),
  };
  const same = (a: AcceptedFinding) =>
    a.model === entry.model &&
    a.path === entry.path &&
    a.sha256 === entry.sha256 &&
    a.code === entry.code;
  const existing = options.project.policy.acceptedFindings;
  const replaced = existing.some(same);
  const project: ProjectFile = {
    ...options.project,
    policy: {
      ...options.project.policy,
      acceptedFindings: [...existing.filter((a) => !same(a)), entry],
    },
  };
  return { project, entry, replaced };
}

export interface AcceptInProjectOptions extends Omit<AcceptOptions, "project" | "lock"> {
  /** modelvet.json (default ./modelvet.json; models.lock sits beside it). */
  config?: string | undefined;
}

/**
 * Reads modelvet.json and models.lock, records the acceptance and writes modelvet.json
 * atomically, all under the project mutex, so it cannot interleave with add or lock.
 */
export async function acceptInProject(
  options: AcceptInProjectOptions,
): Promise<AcceptResult & { configPath: string }> {
  const { config, ...rest } = options;
  const location = locateProject(config);
  return withFileMutex(`${location.lockPath}.lock`, async () => {
    const project = readProjectFile(location.configPath);
    if (project === undefined)
      throw new UsageError(`No ${location.configPath}: run modelvet add first.`);
    const result = acceptFinding({ ...rest, project, lock: readLockfile(location.lockPath) });
    writeFileAtomic(location.configPath, serializeProjectFile(result.project));
    return { ...result, configPath: location.configPath };
  });
}
