import { isOffline, makeHubClient, resolveCacheDir } from "../../app/session.js";
import { type SnapshotCheck, verifyCache } from "../../app/verify-cache.js";
import { UsageError } from "../../core/errors.js";
import { parseModelRef } from "../../core/model-ref.js";
import { worstVerdict } from "../../core/verdict.js";
import { VERSION } from "../../version.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";
import { retryNotes } from "../progress.js";

export interface VerifyCacheOptions {
  quiet?: boolean;
  cacheDir?: string;
  hubUrl?: string;
  token?: string;
  offline?: boolean;
  format: string;
  output?: string;
}

function renderText(checks: readonly SnapshotCheck[], cacheDir: string, offline: boolean): string {
  const lines: string[] = [
    `cache: ${cacheDir} (${offline ? "offline: blobs checked against their names" : "checked against the Hub's tree"})`,
  ];
  for (const c of checks) {
    const ok = c.findings.length === 0;
    lines.push(
      `${ok ? "ok  " : "FAIL"} ${c.repo}${c.commit ? ` @ ${c.commit}` : ""}: ${c.checked} file(s) re-hashed`,
    );
    for (const f of c.findings) lines.push(`       - ${f.code}: ${f.message}`);
  }
  if (checks.length === 0) lines.push("Nothing in the cache to verify.");
  const bad = checks.filter((c) => c.findings.length > 0).length;
  lines.push(
    bad === 0
      ? "The cache matches."
      : `${bad} snapshot(s) do not match. Run \`modelvet pull\` again to repair them.`,
  );
  return `${lines.join("\n")}\n`;
}

export async function runVerifyCache(
  refs: string[],
  options: VerifyCacheOptions,
): Promise<ExitCode> {
  if (!["text", "json"].includes(options.format))
    throw new UsageError(`Unknown --format "${options.format}": use text or json.`);
  const targets = refs.map((r) => {
    const parsed = parseModelRef(r);
    return { repo: parsed.repo, revision: parsed.ref };
  });
  const cacheDir = resolveCacheDir(options.cacheDir, process.env);
  const offline = options.offline === true || isOffline();
  const client = offline ? undefined : makeHubClient(options, retryNotes(options.quiet));
  const checks = await verifyCache({ cacheDir, targets, client });
  const text =
    options.format === "json"
      ? `${JSON.stringify({ tool: { name: "modelvet", version: VERSION }, cacheDir, offline, snapshots: checks }, null, 2)}\n`
      : renderText(checks, cacheDir, offline);
  writeResult(text, options.output);
  const verdict = worstVerdict(checks.flatMap((c) => c.findings.map((f) => f.verdict)));
  return verdict === "clean" ? EXIT.OK : EXIT.BLOCKED;
}
