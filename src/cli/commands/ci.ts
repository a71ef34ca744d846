import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { CI_CLASSES, type CiClass, type CiResult, runCi } from "../../app/ci.js";
import { UsageError } from "../../core/errors.js";
import { resolveCacheDir } from "../../io/cache-layout.js";
import { isOffline } from "../../io/hub-config.js";
import { computePolicyDigest } from "../../io/policy-digest.js";
import { readLockfile } from "../../io/project-files.js";
import { VERSION } from "../../version.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { loadProject, loadPullPolicy, makeHubClient, today } from "../hub-setup.js";
import { lineOfKey, lockLine } from "../lock-lines.js";
import { writeResult } from "../output.js";
import { renderSarif, type SarifItem } from "../render/sarif.js";

export interface CiCommandOptions {
  download?: boolean;
  offline?: boolean;
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
  for (const n of result.notes) lines.push("", `note: ${n}`);
  lines.push(
    "",
    result.problems.length === 0
      ? "The lock holds."
      : `${result.problems.length} problem(s): the lock does not hold.`,
  );
  return `${lines.join("\n")}\n`;
}

export async function runCiCommand(options: CiCommandOptions): Promise<ExitCode> {
  if (!["text", "json", "sarif"].includes(options.format))
    throw new UsageError(`Unknown --format "${options.format}": use text, json or sarif.`);
  if (options.download && options.offline)
    throw new UsageError("--download and --offline cannot be combined.");
  const { location, project } = loadProject(options.config);
  if (project === undefined)
    throw new UsageError(
      `No ${location.configPath}: nothing to check. Run \`modelvet add org/name\` first.`,
    );
  const lock = readLockfile(location.lockPath);
  if (lock === undefined)
    throw new UsageError(`No ${location.lockPath}: run \`modelvet lock\` and commit models.lock.`);
  const offline = options.offline === true || isOffline();
  if (offline && options.download)
    throw new UsageError("HF_HUB_OFFLINE is set: --download cannot fetch anything.");
  const result = await runCi({
    client: offline ? undefined : makeHubClient(options),
    cacheDir: resolveCacheDir(options.cacheDir, process.env),
    project,
    lock,
    policy: loadPullPolicy(project),
    policyDigest: computePolicyDigest(project.policy),
    today: today(),
    download: options.download === true,
    offline,
  });
  let text: string;
  if (options.format === "json") {
    text = `${JSON.stringify({ tool: { name: "modelvet", version: VERSION }, ...result, ok: result.problems.length === 0 }, null, 2)}\n`;
  } else if (options.format === "sarif") {
    const lockText = readFileSync(location.lockPath, "utf8");
    const configText = readFileSync(location.configPath, "utf8");
    const lockUri = relative(process.cwd(), location.lockPath).split("\\").join("/");
    const configUri = relative(process.cwd(), location.configPath).split("\\").join("/");
    const items: SarifItem[] = result.problems.map((p) => {
      const inLock = lockLine(lockText, p.model, p.path);
      if (p.class === "out-of-sync" && inLock === undefined) {
        return {
          finding: p.finding,
          uri: configUri,
          line: lineOfKey(configText, p.model),
          logical: p.model,
        };
      }
      return {
        finding: p.finding,
        uri: lockUri,
        line: inLock,
        logical: p.path ? `${p.model}/${p.path}` : p.model,
      };
    });
    text = renderSarif(items, VERSION);
  } else text = renderText(result);
  writeResult(text, options.output);
  for (const cls of CI_CLASSES)
    if (result.problems.some((p) => p.class === cls)) return CI_EXIT[cls];
  return EXIT.OK;
}
