import {
  isOffline,
  loadProject,
  makeHubClient,
  readLockfile,
  resolveCacheDir,
} from "../../app/session.js";
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
  requireComplete?: boolean;
  format: string;
  output?: string;
}

function renderText(checks: readonly SnapshotCheck[], cacheDir: string, offline: boolean): string {
  const lines: string[] = [
    `cache: ${cacheDir} (${offline ? "offline: blobs checked against their names, copies against models.lock" : "checked against the Hub's tree"})`,
  ];
  let absent = 0;
  for (const c of checks) {
    const failing = c.findings.filter((f) => f.verdict !== "clean");
    const noted = c.findings.filter((f) => f.verdict === "clean");
    absent += noted.length;
    lines.push(
      `${failing.length === 0 ? "ok  " : "FAIL"} ${c.repo}${c.commit ? ` @ ${c.commit}` : ""}: ${c.checked} file(s) re-hashed${noted.length > 0 ? `, ${noted.length} not in the cache` : ""}`,
    );
    for (const f of failing) lines.push(`       - ${f.code}: ${f.message}`);
    for (const f of noted) lines.push(`       note: ${f.message}`);
  }
  if (checks.length === 0) {
    lines.push("Nothing in the cache to verify.");
    return `${lines.join("\n")}\n`;
  }
  const bad = checks.filter((c) => c.findings.some((f) => f.verdict !== "clean")).length;
  lines.push(
    bad === 0
      ? `The cache matches.${absent > 0 ? ` ${absent} file(s) were never fetched; nothing can load them from the cache (--require-complete fails on this; \`modelvet pull\` fetches them if you need them).` : ""}`
      : `${bad} snapshot(s) do not match. Run \`modelvet pull\` again to replace what is corrupt; files that are only missing were never fetched.`,
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
  // Offline, copied snapshot files (a cache written without symlinks) are checked against the
  // project's models.lock, when there is one here.
  const lock = offline ? readLockfile(loadProject(undefined).location.lockPath) : undefined;
  const pins = lock === undefined ? undefined : new Map(Object.entries(lock.models));
  const checks = await verifyCache({
    cacheDir,
    targets,
    client,
    pins,
    requireComplete: options.requireComplete === true,
  });
  const text =
    options.format === "json"
      ? `${JSON.stringify({ tool: { name: "modelvet", version: VERSION }, cacheDir, offline, snapshots: checks }, null, 2)}\n`
      : renderText(checks, cacheDir, offline);
  writeResult(text, options.output);
  const verdict = worstVerdict(checks.flatMap((c) => c.findings.map((f) => f.verdict)));
  return verdict === "clean" ? EXIT.OK : EXIT.BLOCKED;
}
