import { syncProblemsOf } from "../../app/ci.js";
import { type PulledModel, pullModels } from "../../app/pull.js";
import { UsageError } from "../../core/errors.js";
import { RepoCache, resolveCacheDir } from "../../io/cache-layout.js";
import { unlinkSnapshot } from "../../io/cache-store.js";
import { readLockfile } from "../../io/project-files.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { loadProject, loadPullPolicy, makeHubClient, today } from "../hub-setup.js";
import { writeResult } from "../output.js";
import { createProgress } from "../progress.js";
import { renderNode } from "../render/text.js";
import type { PullCommandOptions } from "./pull.js";

/**
 * `modelvet pull` with no argument installs exactly what models.lock pins, like `npm ci`: the lock
 * must agree with modelvet.json, every file is fetched at its pinned commit and must match the
 * lock's sha256 as well as the Hub's tree; nothing is re-resolved.
 */
export async function runInstallFromLock(options: PullCommandOptions): Promise<ExitCode> {
  const { location, project } = loadProject(options.config);
  const lock = readLockfile(location.lockPath);
  if (lock === undefined || project === undefined) {
    throw new UsageError(
      `Nothing to install: no ${lock === undefined ? location.lockPath : location.configPath}. Name a model (modelvet pull org/name) or run \`modelvet add org/name\`.`,
    );
  }
  const sync = syncProblemsOf(project, lock);
  if (sync.length > 0) {
    process.stderr.write(
      `${sync.map((p) => `modelvet: ${p.finding.message}`).join("\n")}\nmodelvet: models.lock is out of sync with modelvet.json: run \`modelvet lock\` first.\n`,
    );
    return EXIT.OUT_OF_SYNC;
  }
  const cacheDir = resolveCacheDir(options.cacheDir, process.env);
  const repos = Object.keys(lock.models).sort();
  const progress = await createProgress({ quiet: options.quiet ?? false });
  let models: PulledModel[];
  try {
    models = await pullModels({
      client: makeHubClient(options, (line) => progress.note(line)),
      cacheDir,
      models: repos.map((repo) => ({
        repo,
        ref: lock.models[repo]!.revision,
        include: [],
        exclude: [],
      })),
      policy: loadPullPolicy(project),
      today: today(),
      pinned: new Map(
        repos.map((repo) => [
          repo,
          {
            commit: lock.models[repo]!.revision,
            files: Object.keys(lock.models[repo]!.files).sort(),
          },
        ]),
      ),
      onEvent: (e) => progress.onPullEvent(e),
    });
  } finally {
    progress.stop();
  }
  const lines: string[] = [];
  let bad = 0;
  for (const m of models) {
    const entry = lock.models[m.repo]!;
    const problems: string[] = m.findings.map((f) => `  ${f.code}: ${f.message}`);
    for (const f of m.files) {
      const locked = entry.files[f.path];
      if (f.status === "linked" && locked !== undefined && f.sha256 !== locked.sha256) {
        unlinkSnapshot(new RepoCache(cacheDir, m.repo), m.commit, f.path);
        problems.push(
          `  DIGEST_MISMATCH: ${f.path}: the bytes match the Hub but not models.lock (sha256 ${f.sha256} vs ${locked.sha256}); not linked.`,
        );
      } else if (f.status !== "linked") {
        problems.push(
          `  ${f.status === "mismatch" ? "WRONG BYTES" : "BLOCKED"} ${f.path}: not linked`,
        );
        renderNode(f.scan, "      ", problems, true);
      }
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
      ? `Installed ${models.length} model(s) exactly as models.lock pins them, in ${cacheDir}.`
      : `${bad} model(s) could not be installed as locked.`,
  );
  writeResult(`${lines.join("\n")}\n`, options.output);
  return bad === 0 ? EXIT.OK : EXIT.INTEGRITY;
}
