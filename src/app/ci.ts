/**
 * `modelvet ci`: prove that models.lock still holds, like `npm ci` proves package-lock.json.
 * Never writes the project files. Every problem is collected (one run reports them all), each in
 * a failure class that the CLI maps to its own exit code.
 *
 * - out-of-sync: modelvet.json and models.lock disagree (models, refs, globs)
 * - policy: the allowlist no longer admits a locked model
 * - revision-gone: a pinned commit no longer exists on the Hub
 * - drift: the Hub's tree at the pinned commit differs from the lock (size, git id, digest,
 *   files that appeared or vanished under the globs)
 * - signature: a signature policy.signatures requires is missing, no longer verifies, or names
 *   another signer than the lock (app/model-signature.ts)
 * - integrity: bytes that do not match the lock (--download, --rescan), or a cache that does not
 *   (--offline)
 * - blocked: a rescan with the current scanner blocks (--download, --rescan, --offline)
 *
 * The metadata check proves the Hub still serves what the lock pins, but a verdict in the lock is
 * only a claim: a hand-made lock can call a malicious file clean. Every verdict that a run did
 * not re-derive is listed in `trusted`. `--rescan` re-derives all but those of large
 * weights-only files (see `verdictKeptOnTrust`) by downloading and scanning the rest, through
 * the same pull path as `--download`, verified against the lock while streaming.
 */
import { finding } from "../core/finding.js";
import {
  blockingFindings,
  CI_CLASSES,
  type CiClass,
  type CiProblem,
  syncProblemsOf,
} from "../core/lock-sync.js";
import type { LockedFile, LockedModel, Lockfile } from "../core/lockfile.js";
import { evaluateOrgPolicy, policyFindings } from "../core/org-policy.js";
import type { ProjectFile } from "../core/project.js";
import { withHashPool } from "../io/hash-pool.js";
import type { HubClient } from "../io/hub.js";
import { VERSION } from "../version.js";
import { checkMetadata } from "./ci-metadata.js";
import { checkOffline } from "./ci-offline.js";
import { mapBounded } from "./map-bounded.js";
import { checkLockedSignatures } from "./model-signature.js";
import { type PullPolicy, pullModels } from "./pull.js";

export { CI_CLASSES, type CiClass, type CiProblem, syncProblemsOf };

/** A verdict read from models.lock that this run did not re-derive from the bytes. */
export interface TrustedVerdict {
  model: string;
  path: string;
  verdict: string;
  format: string;
  /** Why it was not re-derived. */
  reason: "metadata-only" | "weights-only";
}

export interface CiResult {
  mode: "metadata" | "rescan" | "download" | "offline";
  models: number;
  files: number;
  problems: CiProblem[];
  /** Facts worth knowing that do not fail the run (e.g. the lock was made by another scanner). */
  notes: string[];
  /** Verdicts taken from models.lock without rescanning (every file in metadata mode). */
  trusted: TrustedVerdict[];
}

export interface CiOptions {
  client: HubClient | undefined;
  cacheDir: string;
  project: ProjectFile;
  lock: Lockfile;
  policy: PullPolicy;
  policyDigest: string;
  today: string;
  download: boolean;
  offline: boolean;
  /** Offline: a locked file absent from the cache fails instead of being a note. */
  requireComplete?: boolean;
  /** Re-derive every verdict except those of large weights-only files (downloads the rest). */
  rescan?: boolean;
  concurrency?: number;
}

/** Files at most this large are always rescanned by `ci --rescan`, whatever their format. */
export const RESCAN_ALWAYS_BELOW = 10 * 1024 * 1024;

/**
 * `ci --rescan` keeps a locked verdict on trust only for a file that cannot carry code or
 * references when its loader reads it, and whose bytes the metadata check bound to the lock by
 * sha256: a safetensors file (lock format and name both say so; a loader picks the format by
 * name), stored in LFS (its sha256 is in the Hub's tree), larger than RESCAN_ALWAYS_BELOW.
 * GGUF (chat templates) and ONNX (external data paths) are rescanned: their scans read more than
 * tensors. Everything else (pickles, archives, code, configs, tokenizers) is rescanned.
 */
export function verdictKeptOnTrust(path: string, locked: LockedFile): boolean {
  return (
    locked.scan.format === "safetensors" &&
    /\.safetensors$/i.test(path) &&
    locked.lfs &&
    locked.size > RESCAN_ALWAYS_BELOW
  );
}
export async function runCi(options: CiOptions): Promise<CiResult> {
  const problems: CiProblem[] = syncProblemsOf(options.project, options.lock);
  const notes: string[] = [];
  const repos = Object.keys(options.lock.models).sort();
  const admitted: string[] = [];
  for (const repo of repos) {
    const decision = evaluateOrgPolicy(repo, options.policy.organizations, options.policy.project);
    if (!decision.allowed)
      for (const f of policyFindings(repo, decision))
        problems.push({ class: "policy", model: repo, finding: f });
    else admitted.push(repo);
  }
  const stale = repos.filter((r) =>
    Object.values(options.lock.models[r]!.files).some(
      (f) => f.scan.scanner !== VERSION || f.scan.policy !== options.policyDigest,
    ),
  );
  if (stale.length > 0) {
    notes.push(
      `${stale.length} model(s) were locked by another scanner version or policy; ${options.download || options.offline ? "they were rescanned" : options.rescan ? "their files were rescanned except large safetensors weights" : "run with --rescan to rescan them, or `modelvet lock --update` to record current verdicts"}.`,
    );
  }
  let files = 0;
  const concurrency = options.concurrency ?? 8;
  if (options.offline) {
    const checked = await withHashPool((hasher) =>
      mapBounded(admitted, concurrency, (repo) => checkOffline(repo, options, hasher, notes)),
    );
    for (const r of checked) {
      problems.push(...r.problems);
      files += r.files;
    }
    return { mode: "offline", models: repos.length, files, problems, notes, trusted: [] };
  }
  const metadata = await mapBounded(admitted, concurrency, (repo) =>
    checkMetadata(repo, { client: options.client!, lock: options.lock }, notes),
  );
  const healthy: string[] = [];
  metadata.forEach((r, i) => {
    problems.push(...r.problems);
    files += r.files;
    if (!r.problems.some((p) => p.class === "revision-gone")) healthy.push(admitted[i]!);
  });
  for (const p of await checkLockedSignatures({
    client: options.client!,
    lock: options.lock,
    repos: healthy,
    policy: options.policy.signatures,
  }))
    problems.push({ class: "signature", model: p.model, finding: p.finding });
  const trusted: TrustedVerdict[] = [];
  const keptOnTrust = (repo: string, path: string, locked: LockedFile) => {
    const metadataOnly = !options.download && !options.rescan;
    if (!metadataOnly && (options.download || !verdictKeptOnTrust(path, locked))) return false;
    trusted.push({
      model: repo,
      path,
      verdict: locked.scan.verdict,
      format: locked.scan.format,
      reason: metadataOnly ? "metadata-only" : "weights-only",
    });
    return true;
  };
  const pinned = new Map<
    string,
    { commit: string; files: string[]; locked: LockedModel["files"] }
  >();
  for (const repo of admitted) {
    const entry = options.lock.models[repo]!;
    // Files that already drifted are reported; they are not fetched (their bytes cannot verify).
    const drifted = new Set(
      problems.filter((p) => p.model === repo && p.class === "drift").map((p) => p.path),
    );
    const files = Object.keys(entry.files)
      .sort()
      .filter((path) => !keptOnTrust(repo, path, entry.files[path]!) && !drifted.has(path));
    if (healthy.includes(repo) && files.length > 0)
      pinned.set(repo, { commit: entry.revision, files, locked: entry.files });
  }
  if (options.download || options.rescan) {
    const pulled = await pullModels({
      client: options.client!,
      cacheDir: options.cacheDir,
      models: [...pinned.keys()].map((repo) => ({
        repo,
        ref: options.lock.models[repo]!.revision,
        include: [],
        exclude: [],
      })),
      policy: options.policy,
      today: options.today,
      concurrency: 4,
      pinned,
    });
    for (const model of pulled) {
      const entry = options.lock.models[model.repo]!;
      for (const f of model.files) {
        const locked = entry.files[f.path];
        if (f.status === "mismatch") {
          for (const x of f.scan.findings)
            problems.push({ class: "integrity", model: model.repo, path: f.path, finding: x });
        } else if (locked !== undefined && f.sha256 !== locked.sha256) {
          problems.push({
            class: "integrity",
            model: model.repo,
            path: f.path,
            finding: finding(
              "DIGEST_MISMATCH",
              "malicious",
              `${model.repo}/${f.path}: the bytes verify against the Hub but not against the lock.`,
              { expected: `sha256:${locked.sha256}`, actual: `sha256:${f.sha256}` },
            ),
          });
        } else if (f.status === "blocked") {
          for (const x of blockingFindings(f.scan, `${model.repo}/${f.path}`))
            problems.push({ class: "blocked", model: model.repo, path: f.path, finding: x });
        } else if (locked !== undefined && f.rawVerdict !== locked.scan.verdict) {
          notes.push(
            `${model.repo}/${f.path}: rescanned as ${f.rawVerdict}, the lock says ${locked.scan.verdict}; \`modelvet lock --update ${model.repo}\` records the current verdict.`,
          );
        }
      }
    }
  }
  return {
    mode: options.download ? "download" : options.rescan ? "rescan" : "metadata",
    models: repos.length,
    files,
    problems,
    notes,
    trusted,
  };
}
