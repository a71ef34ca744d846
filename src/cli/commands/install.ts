import { installFromLock } from "../../app/install.js";
import {
  isOffline,
  loadProject,
  loadPullPolicy,
  makeHubClient,
  readLockfile,
  resolveCacheDir,
  today,
} from "../../app/session.js";
import { UsageError } from "../../core/errors.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";
import { createProgress } from "../progress.js";
import { renderNode } from "../render/text.js";
import type { PullCommandOptions } from "./pull.js";

/**
 * `modelvet pull` with no argument installs exactly what models.lock pins, like `npm ci`
 * (app/install.ts): the lock must agree with modelvet.json, every file is fetched at its pinned
 * commit and must match the lock's digests as well as the Hub's tree inside the download, so a
 * file that differs from the lock is never linked. With HF_HUB_OFFLINE set, nothing is fetched:
 * the lock is installed from the cache alone, and a locked file the cache lacks fails (exit 3).
 * This command only reads files and renders.
 */
export async function runInstallFromLock(options: PullCommandOptions): Promise<ExitCode> {
  const { location, project } = loadProject(options.config);
  const lock = readLockfile(location.lockPath);
  if (lock === undefined || project === undefined) {
    throw new UsageError(
      `Nothing to install: no ${lock === undefined ? location.lockPath : location.configPath}. Name a model (modelvet pull org/name) or run \`modelvet add org/name\`.`,
    );
  }
  const cacheDir = resolveCacheDir(options.cacheDir, process.env);
  // HF_HUB_OFFLINE: no client at all, so nothing can reach the Hub; the cache alone is read.
  const offline = isOffline();
  const progress = await createProgress({ quiet: options.quiet ?? false });
  let result: Awaited<ReturnType<typeof installFromLock>>;
  try {
    result = await installFromLock({
      client: offline ? undefined : makeHubClient(options, (line) => progress.note(line)),
      cacheDir,
      project,
      lock,
      policy: loadPullPolicy(project),
      today: today(),
      onEvent: (e) => progress.onPullEvent(e),
    });
  } finally {
    progress.stop();
  }
  if (result.status === "out-of-sync") {
    process.stderr.write(
      `${result.problems.map((p) => `modelvet: ${p.message}`).join("\n")}\nmodelvet: models.lock is out of sync with modelvet.json: run \`modelvet lock\` first.\n`,
    );
    return EXIT.OUT_OF_SYNC;
  }
  const lines: string[] = [];
  let bad = 0;
  let wrong = 0;
  let absent = 0;
  for (const { model: m, findings, withheld, absent: notCached } of result.models) {
    if (withheld.length > 0 || findings.some((f) => f.code !== "CACHE_MISSING")) wrong++;
    absent += notCached.length;
    const problems: string[] = findings.map((f) => `  ${f.code}: ${f.message}`);
    for (const f of withheld) {
      problems.push(
        `  ${f.status === "mismatch" ? "WRONG BYTES" : "BLOCKED"} ${f.path}: not linked`,
      );
      renderNode(f.scan, "      ", problems, true);
    }
    if (problems.length > 0) bad++;
    lines.push(
      `${problems.length === 0 ? "ok  " : "FAIL"} ${m.repo} @ ${m.commit}: ${m.files.length} file(s)`,
      ...problems,
    );
  }
  lines.push(
    "",
    bad === 0
      ? `Installed ${result.models.length} model(s) exactly as models.lock pins them, in ${cacheDir}${offline ? " (offline: from the cache alone)" : ""}.`
      : `${bad} model(s) could not be installed as locked.`,
  );
  if (absent > 0)
    lines.push(
      `${absent} locked file(s) are not in the cache and HF_HUB_OFFLINE is set, so nothing was fetched: unset HF_HUB_OFFLINE and run \`modelvet pull\` again.`,
    );
  writeResult(`${lines.join("\n")}\n`, options.output);
  if (wrong > 0) return EXIT.INTEGRITY;
  return absent > 0 ? EXIT.HUB : EXIT.OK;
}
