import { type PulledModel, pullModels } from "../../app/pull.js";
import {
  isOffline,
  loadProject,
  loadPullPolicy,
  makeHubClient,
  resolveCacheDir,
  today,
} from "../../app/session.js";
import { UsageError } from "../../core/errors.js";
import { parseModelRef } from "../../core/model-ref.js";
import { VERSION } from "../../version.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";
import { createProgress } from "../progress.js";
import { renderNode } from "../render/text.js";
import { runVerifyCache } from "./verify-cache.js";

export interface PullCommandOptions {
  include?: string[];
  exclude?: string[];
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  config?: string;
  format: string;
  output?: string;
  quiet?: boolean;
  concurrency?: string;
}

export function loadLine(model: PulledModel, cacheDir: string): string {
  const cacheArg =
    cacheDir === resolveCacheDir(undefined, {}) ? "" : `, cache_dir=${JSON.stringify(cacheDir)}`;
  return `AutoModel.from_pretrained(${JSON.stringify(model.repo)}, revision=${JSON.stringify(model.commit)}, local_files_only=True${cacheArg})`;
}

function renderPullText(models: readonly PulledModel[], cacheDir: string): string {
  const lines: string[] = [];
  for (const m of models) {
    const asked = m.requested ?? "default branch";
    lines.push(
      m.commit === ""
        ? `${m.repo} @ ${asked}: not pulled`
        : `${m.repo} @ ${asked} -> ${m.commit}   policy: ${m.decision.rule}`,
    );
    for (const f of m.findings) lines.push(`  ${f.code}: ${f.message}`);
    for (const f of m.files) {
      const label =
        f.status === "linked" ? "linked " : f.status === "blocked" ? "BLOCKED" : "WRONG BYTES";
      if (f.status === "linked") lines.push(`  ${label} ${f.path}  [${f.scan.format}]`);
      else {
        lines.push(`  ${label} ${f.path}: not linked into the snapshot`);
        renderNode(f.scan, "      ", lines, true);
      }
    }
    if (m.snapshotDir !== undefined) {
      const blocked = m.files.filter((f) => f.status !== "linked").length;
      lines.push(
        `  snapshot: ${m.snapshotDir}${blocked > 0 ? ` (${blocked} file(s) withheld)` : ""}`,
      );
      if (m.verdict === "clean") lines.push(`  load it offline: ${loadLine(m, cacheDir)}`);
    }
    lines.push("");
  }
  const bad = models.filter((m) => m.verdict !== "clean").length;
  lines.push(
    bad === 0
      ? `${models.length} model(s) pulled and verified. Nothing blocks.`
      : `${bad} of ${models.length} model(s) block. Read the findings above before loading them.`,
  );
  return `${lines.join("\n")}\n`;
}

function renderPullJson(models: readonly PulledModel[], cacheDir: string): string {
  return `${JSON.stringify(
    {
      tool: { name: "modelvet", version: VERSION },
      cacheDir,
      models: models.map((m) => ({
        repo: m.repo,
        requested: m.requested ?? null,
        commit: m.commit || null,
        policy: m.decision,
        verdict: m.verdict,
        snapshot: m.snapshotDir ?? null,
        load: m.snapshotDir !== undefined && m.verdict === "clean" ? loadLine(m, cacheDir) : null,
        findings: m.findings,
        files: m.files,
      })),
    },
    null,
    2,
  )}\n`;
}

export async function runPull(refs: string[], options: PullCommandOptions): Promise<ExitCode> {
  if (!["text", "json"].includes(options.format))
    throw new UsageError(`Unknown --format "${options.format}": use text or json.`);
  const concurrency = options.concurrency === undefined ? 4 : Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) {
    throw new UsageError("--concurrency takes a whole number from 1 to 16.");
  }
  if (refs.length === 0) {
    const { runInstallFromLock } = await import("./install.js");
    return runInstallFromLock(options);
  }
  const parsed = refs.map(parseModelRef);
  const cacheDir = resolveCacheDir(options.cacheDir, process.env);
  if (isOffline()) {
    // HF_HUB_OFFLINE: nothing is fetched; verify what the cache holds instead.
    return runVerifyCache(refs, { ...options, offline: true });
  }
  const { project } = loadProject(options.config);
  const progress = await createProgress({ quiet: options.quiet ?? false });
  const client = makeHubClient(options, (line) => progress.note(line));
  try {
    const models = await pullModels({
      client,
      cacheDir,
      models: parsed.map((r) => ({
        repo: r.repo,
        ref: r.ref,
        include: options.include ?? [],
        exclude: options.exclude ?? [],
      })),
      policy: loadPullPolicy(project),
      today: today(),
      concurrency,
      onEvent: (e) => progress.onPullEvent(e),
    });
    progress.stop();
    const text =
      options.format === "json"
        ? renderPullJson(models, cacheDir)
        : renderPullText(models, cacheDir);
    writeResult(text, options.output);
    return models.every((m) => m.verdict === "clean") ? EXIT.OK : EXIT.BLOCKED;
  } finally {
    progress.stop();
  }
}
