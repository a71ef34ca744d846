import { readFileSync } from "node:fs";
import {
  CI_CLASSES,
  type CiClass,
  type CiResult,
  runCi,
  type TrustedVerdict,
} from "../../app/ci.js";
import {
  computePolicyDigest,
  isOffline,
  loadProject,
  loadPullPolicy,
  makeHubClient,
  readLockfile,
  resolveCacheDir,
  today,
} from "../../app/session.js";
import { UsageError } from "../../core/errors.js";
import { VERSION } from "../../version.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { lineOfKey, lockLine } from "../lock-lines.js";
import { writeResult } from "../output.js";
import { retryNotes } from "../progress.js";
import { renderCodeQuality } from "../render/codequality.js";
import { checkReportFormat } from "../render/formats.js";
import { type ItemPlace, placeFile, type ReportItem } from "../render/report-items.js";
import { renderSarif, type SarifNotification } from "../render/sarif.js";
import { findSourceRoot } from "../source-root.js";

export interface CiCommandOptions {
  quiet?: boolean;
  download?: boolean;
  rescan?: boolean;
  offline?: boolean;
  requireComplete?: boolean;
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  config?: string;
  format: string;
  output?: string;
}

/** Exit code per failure class; when several occur, the first in CI_CLASSES order wins. */
export const CI_EXIT: Record<CiClass, ExitCode> = {
  "out-of-sync": EXIT.OUT_OF_SYNC,
  "revision-gone": EXIT.REVISION_GONE,
  drift: EXIT.DRIFT,
  policy: EXIT.POLICY,
  signature: EXIT.SIGNATURE,
  integrity: EXIT.INTEGRITY,
  blocked: EXIT.BLOCKED,
};

export const NEXT_STEP: Record<CiClass, string> = {
  "out-of-sync": "run `modelvet lock` and commit models.lock.",
  "revision-gone":
    "the pinned commit is gone upstream; review the model, then `modelvet lock --update <model>` to pin a commit that exists.",
  drift:
    "the Hub no longer serves what was locked for that commit; do not use these files. Investigate, then `modelvet lock --update <model>` if the change is expected.",
  policy:
    "add the organization or the repo to `policy` in modelvet.json (with a reason), or remove the model.",
  signature:
    "the model signature (model.sig) required by policy.signatures is missing, no longer verifies, or names another signer than models.lock; do not use the model. If the new signer is expected, update policy.signatures and run `modelvet lock --update <model>`.",
  integrity:
    "the bytes differ from the lock; run `modelvet verify-cache`, remove the damaged copy and pull again. If it persists, the Hub or a mirror serves tampered files.",
  blocked:
    "run `modelvet scan` on the file to read why; accept a reviewed finding in modelvet.json only with a reason.",
};

function renderText(result: CiResult): string {
  const lines: string[] = [
    `modelvet ci (${result.mode}): ${result.models} model(s), ${result.files} file(s) checked against models.lock.`,
  ];
  for (const cls of CI_CLASSES) {
    const problems = result.problems.filter((p) => p.class === cls);
    if (problems.length === 0) continue;
    lines.push("", `${cls} (exit ${CI_EXIT[cls]}):`);
    for (const p of problems) lines.push(`  - ${p.finding.code}: ${p.finding.message}`);
    lines.push(`  next: ${NEXT_STEP[cls]}`);
  }
  lines.push(...renderTrusted(result.trusted));
  for (const n of result.notes) lines.push("", `note: ${n}`);
  lines.push(
    "",
    result.problems.length === 0
      ? "The lock holds."
      : `${result.problems.length} problem(s): the lock does not hold.`,
  );
  return `${lines.join("\n")}\n`;
}

export const TRUSTED_WHY: Record<TrustedVerdict["reason"], string> = {
  "metadata-only":
    "read from models.lock, not re-derived: the metadata check proves the bytes, not the verdicts; `modelvet ci --rescan` re-derives them without downloading large safetensors weights",
  "weights-only":
    "kept from models.lock, not rescanned: large safetensors weights whose sha256 the Hub's tree binds to the lock",
};

function renderTrusted(trusted: readonly TrustedVerdict[]): string[] {
  const lines: string[] = [];
  for (const reason of Object.keys(TRUSTED_WHY) as TrustedVerdict["reason"][]) {
    const these = trusted.filter((t) => t.reason === reason);
    if (these.length === 0) continue;
    lines.push("", `${these.length} verdict(s) ${TRUSTED_WHY[reason]}:`);
    for (const t of these) lines.push(`  - ${t.model}/${t.path}: ${t.verdict} (${t.format})`);
  }
  return lines;
}

export async function runCiCommand(options: CiCommandOptions): Promise<ExitCode> {
  checkReportFormat(options.format);
  if (options.download && options.offline)
    throw new UsageError("--download and --offline cannot be combined.");
  if (options.rescan && options.download)
    throw new UsageError(
      "--rescan and --download cannot be combined: --download rescans every file.",
    );
  if (options.rescan && options.offline)
    throw new UsageError(
      "--rescan and --offline cannot be combined: --offline rescans every cached file.",
    );
  const { location, project } = loadProject(options.config);
  if (project === undefined)
    throw new UsageError(
      `No ${location.configPath}: nothing to check. Run \`modelvet add org/name\` first.`,
    );
  const lock = readLockfile(location.lockPath);
  if (lock === undefined)
    throw new UsageError(`No ${location.lockPath}: run \`modelvet lock\` and commit models.lock.`);
  const offline = options.offline === true || isOffline();
  if (offline && (options.download || options.rescan))
    throw new UsageError(
      `HF_HUB_OFFLINE is set: --${options.download ? "download" : "rescan"} cannot fetch anything.`,
    );
  if (options.requireComplete && !offline)
    throw new UsageError("--require-complete checks the cache: use it with --offline.");
  const result = await runCi({
    client: offline ? undefined : makeHubClient(options, retryNotes(options.quiet)),
    cacheDir: resolveCacheDir(options.cacheDir, process.env),
    project,
    lock,
    policy: loadPullPolicy(project),
    policyDigest: computePolicyDigest(project.policy),
    today: today(),
    download: options.download === true,
    rescan: options.rescan === true,
    offline,
    requireComplete: options.requireComplete === true,
  });
  let text: string;
  if (options.format === "json") {
    text = `${JSON.stringify({ tool: { name: "modelvet", version: VERSION }, ...result, ok: result.problems.length === 0 }, null, 2)}\n`;
  } else if (options.format === "sarif" || options.format === "codequality") {
    const place = { root: findSourceRoot(process.cwd(), process.env), cwd: process.cwd() };
    const items = ciItems(result, location, place);
    text =
      options.format === "sarif"
        ? renderSarif(items, {
            version: VERSION,
            root: place.root,
            notifications: ciNotifications(result, location.lockPath, place),
          })
        : renderCodeQuality(items);
  } else text = renderText(result);
  writeResult(text, options.output);
  for (const cls of CI_CLASSES)
    if (result.problems.some((p) => p.class === cls)) return CI_EXIT[cls];
  return EXIT.OK;
}

/** What `ci` took on trust, and its notes: facts about the run, not results. */
function ciNotifications(
  result: CiResult,
  lockPath: string,
  place: ItemPlace,
): SarifNotification[] {
  const lockText = readFileSync(lockPath, "utf8");
  const lockFile = placeFile(lockPath, place);
  return [
    ...result.trusted.map((t) => ({
      text: `${t.model}/${t.path}: verdict ${t.verdict} (${t.format}) ${TRUSTED_WHY[t.reason]}.`,
      place: lockFile,
      line: lockLine(lockText, t.model, t.path),
      logical: `${t.model}/${t.path}`,
    })),
    ...result.notes.map((text) => ({ text })),
  ];
}

/** Each problem at its line of models.lock, or of modelvet.json when the lock has no entry. */
function ciItems(
  result: CiResult,
  location: { lockPath: string; configPath: string },
  place: ItemPlace,
): ReportItem[] {
  const lockText = readFileSync(location.lockPath, "utf8");
  const configText = readFileSync(location.configPath, "utf8");
  const lockFile = placeFile(location.lockPath, place);
  const configFile = placeFile(location.configPath, place);
  return result.problems.map((p) => {
    const inLock = lockLine(lockText, p.model, p.path);
    if (p.class === "out-of-sync" && inLock === undefined) {
      return {
        finding: p.finding,
        ...configFile,
        line: lineOfKey(configText, p.model),
        logical: p.model,
      };
    }
    return {
      finding: p.finding,
      ...lockFile,
      line: inLock,
      logical: p.path ? `${p.model}/${p.path}` : p.model,
    };
  });
}
