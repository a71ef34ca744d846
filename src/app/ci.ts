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
import { HubError } from "../core/errors.js";
import { type Finding, finding } from "../core/finding.js";
import { compileGlobFilter } from "../core/globs.js";
import type { LockedFile, LockedModel, Lockfile } from "../core/lockfile.js";
import { HEX40 } from "../core/object-id.js";
import { evaluateOrgPolicy, policyFindings } from "../core/org-policy.js";
import { DEFAULT_REF, declaredModels, type ProjectFile } from "../core/project.js";
import type { ScanNode } from "../core/report.js";
import { verdictBlocks } from "../core/verdict.js";
import { RepoCache } from "../io/cache-layout.js";
import { listSnapshot } from "../io/cache-store.js";
import { verifyCachedBlob } from "../io/download.js";
import { type HashPool, withHashPool } from "../io/hash-pool.js";
import type { HubClient } from "../io/hub.js";
import { VERSION } from "../version.js";
import { checkLockedSignatures } from "./model-signature.js";
import { mapBounded } from "./pool.js";
import { type PullPolicy, pullModels } from "./pull.js";
import { scanBlob, scanRepoLevel, withAccepted } from "./repo-scan.js";

export const CI_CLASSES = [
  "out-of-sync",
  "revision-gone",
  "drift",
  "policy",
  "signature",
  "integrity",
  "blocked",
] as const;
export type CiClass = (typeof CI_CLASSES)[number];

export interface CiProblem {
  class: CiClass;
  model: string;
  /** Repo path of the file concerned, when there is one. */
  path?: string | undefined;
  finding: Finding;
}

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

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

export function syncProblemsOf(project: ProjectFile, lock: Lockfile): CiProblem[] {
  const out: CiProblem[] = [];
  const declared = declaredModels(project);
  const names = new Set(declared.map((m) => m.repo));
  for (const m of declared) {
    const entry = lock.models[m.repo];
    const problem = (message: string) =>
      out.push({
        class: "out-of-sync",
        model: m.repo,
        finding: finding("LOCK_OUT_OF_SYNC", "unscannable", message),
      });
    if (entry === undefined) problem(`${m.repo} is in modelvet.json but not in models.lock.`);
    else if (entry.ref !== (m.ref ?? DEFAULT_REF))
      problem(
        `${m.repo}: modelvet.json asks for ${m.ref ?? DEFAULT_REF}, the lock was made for ${entry.ref}.`,
      );
    else if (!same(entry.include, m.include) || !same(entry.exclude, m.exclude))
      problem(`${m.repo}: the include/exclude globs in modelvet.json differ from the lock.`);
  }
  for (const repo of Object.keys(lock.models).sort()) {
    if (!names.has(repo)) {
      out.push({
        class: "out-of-sync",
        model: repo,
        finding: finding(
          "LOCK_OUT_OF_SYNC",
          "unscannable",
          `${repo} is in models.lock but no longer in modelvet.json.`,
        ),
      });
    }
  }
  return out;
}

async function checkMetadata(
  repo: string,
  options: CiOptions,
  notes: string[],
): Promise<{ problems: CiProblem[]; files: number }> {
  const entry = options.lock.models[repo]!;
  const problems: CiProblem[] = [];
  let tree: Awaited<ReturnType<HubClient["listRepoFiles"]>>;
  try {
    tree = await options.client!.listRepoFiles(repo, entry.revision);
  } catch (error) {
    if (error instanceof HubError && error.code === "HUB_REVISION_NOT_FOUND") {
      problems.push({
        class: "revision-gone",
        model: repo,
        finding: finding(
          "REVISION_GONE",
          "unscannable",
          `${repo}: the pinned commit ${entry.revision} no longer exists on the Hub (history rewritten or squashed).`,
        ),
      });
      return { problems, files: 0 };
    }
    throw error;
  }
  const keep = compileGlobFilter({ include: entry.include, exclude: entry.exclude });
  const byPath = new Map(tree.filter((f) => keep(f.path)).map((f) => [f.path, f]));
  for (const [path, locked] of Object.entries(entry.files)) {
    const f = byPath.get(path);
    const drift = (
      code: "LOCK_MISMATCH" | "LOCK_MISSING_ENTRY",
      message: string,
      expected?: string | number,
      actual?: string | number,
    ) =>
      problems.push({
        class: "drift",
        model: repo,
        path,
        finding: finding(code, "malicious", message, {
          ...(expected !== undefined ? { expected } : {}),
          ...(actual !== undefined ? { actual } : {}),
        }),
      });
    if (f === undefined) {
      drift(
        "LOCK_MISSING_ENTRY",
        `${repo}/${path} is in the lock but not in the Hub's tree at ${entry.revision.slice(0, 12)}.`,
      );
      continue;
    }
    byPath.delete(path);
    if (f.size !== locked.size)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: size ${f.size} on the Hub, ${locked.size} in the lock.`,
        locked.size,
        f.size,
      );
    else if (f.gitOid !== locked.gitOid)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: git id differs from the lock.`,
        locked.gitOid,
        f.gitOid,
      );
    else if ((f.lfs !== undefined) !== locked.lfs)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: ${locked.lfs ? "was" : "was not"} an LFS file in the lock.`,
      );
    else if (f.lfs !== undefined && f.lfs.sha256 !== locked.sha256)
      drift(
        "LOCK_MISMATCH",
        `${repo}/${path}: sha256 on the Hub differs from the lock.`,
        `sha256:${locked.sha256}`,
        `sha256:${f.lfs.sha256}`,
      );
  }
  for (const path of [...byPath.keys()].sort()) {
    problems.push({
      class: "drift",
      model: repo,
      path,
      finding: finding(
        "LOCK_EXTRA_ENTRY",
        "malicious",
        `${repo}/${path} is in the Hub's tree at ${entry.revision.slice(0, 12)} under the globs but not in the lock.`,
      ),
    });
  }
  await checkUpstreamRef(repo, options, problems, notes);
  return { problems, files: Object.keys(entry.files).length };
}

/**
 * Where does the locked ref point now? A tag that points elsewhere was re-tagged upstream: tags
 * are meant to be immutable, so that is drift. A branch or semver range that moved on is normal:
 * a note says how to move the pin.
 */
async function checkUpstreamRef(
  repo: string,
  options: CiOptions,
  problems: CiProblem[],
  notes: string[],
): Promise<void> {
  const entry = options.lock.models[repo]!;
  if (HEX40.test(entry.ref)) return;
  let now: Awaited<ReturnType<HubClient["resolveModel"]>>;
  try {
    now = await options.client!.resolveModel(
      repo,
      entry.ref === DEFAULT_REF ? undefined : entry.ref,
    );
  } catch (error) {
    notes.push(
      `${repo}: could not resolve ${entry.ref} upstream (${(error as Error).message}); the pinned commit was checked.`,
    );
    return;
  }
  if (now.revision.commit === entry.revision) return;
  const source = now.revision.source;
  if (source.kind === "tag") {
    problems.push({
      class: "drift",
      model: repo,
      finding: finding(
        "LOCK_MISMATCH",
        "malicious",
        `${repo}: tag ${source.name} now points at ${now.revision.commit.slice(0, 12)}, the lock pinned ${entry.revision.slice(0, 12)}: it was re-tagged upstream.`,
        {
          expected: entry.revision,
          actual: now.revision.commit,
        },
      ),
    });
    return;
  }
  notes.push(
    `${repo}: ${entry.ref} has moved to ${now.revision.commit.slice(0, 12)} (locked ${entry.revision.slice(0, 12)}); \`modelvet lock --update ${repo}\` moves the pin.`,
  );
}

/** One locked file read back from the cache: its problems, and its blob when it verified. */
interface OfflineFile {
  problems: CiProblem[];
  verified?: { path: string; blobPath: string; sha256: string };
}

async function checkOffline(
  repo: string,
  options: CiOptions,
  hasher: HashPool,
): Promise<{ problems: CiProblem[]; files: number }> {
  const entry = options.lock.models[repo]!;
  const cache = new RepoCache(options.cacheDir, repo);
  // Entries are judged by the file they resolve to, never by a link's text (io/cache-store.ts).
  const entries = listSnapshot(cache, entry.revision);
  const linked = new Map(entries.map((e) => [e.path, e]));
  const folder = entries.find((e) => e.path === "" && e.status === "untrusted");
  // Several files at once (hashed on every core); problems keep the lock's file order.
  const perFile = await mapBounded(
    Object.entries(entry.files),
    hasher.width * 2,
    async ([path, locked]): Promise<OfflineFile> => {
      const problems: CiProblem[] = [];
      const link = linked.get(path) ?? folder;
      const integrity = (f: Finding) =>
        problems.push({ class: "integrity", model: repo, path, finding: f });
      if (link?.status === "untrusted") {
        integrity(finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: ${link.detail}.`));
        return { problems };
      }
      if (link === undefined) {
        integrity(
          finding(
            "CACHE_MISSING",
            "unscannable",
            `${repo}/${path} is not in the cache (run \`modelvet pull\` with the network on).`,
          ),
        );
        return { problems };
      }
      if (link.status === "missing") {
        integrity(
          finding(
            "CACHE_MISSING",
            "unscannable",
            `${repo}/${path}: its blob is missing from the cache.`,
          ),
        );
        return { problems };
      }
      const blobPath = link.blobPath;
      const checked = await verifyCachedBlob(
        path,
        blobPath,
        {
          size: locked.size,
          gitOid: locked.lfs ? "" : locked.gitOid,
          lfsSha256: locked.lfs ? locked.sha256 : undefined,
        },
        hasher,
      );
      if ("code" in checked) {
        integrity(
          finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: ${checked.message}`, {
            ...(checked.expected !== undefined ? { expected: checked.expected } : {}),
            ...(checked.actual !== undefined ? { actual: checked.actual } : {}),
          }),
        );
        return { problems };
      }
      if (checked.sha256 !== locked.sha256) {
        integrity(
          finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: sha256 differs from the lock.`, {
            expected: `sha256:${locked.sha256}`,
            actual: `sha256:${checked.sha256}`,
          }),
        );
        return { problems };
      }
      return { problems, verified: { path, blobPath, sha256: checked.sha256 } };
    },
  );
  const problems = perFile.flatMap((r) => r.problems);
  // The verified bytes are judged exactly as `pull` (and so `ci --download`) judges them: each
  // file, then the repo-level pass (trust_remote_code, companion data), then accepted findings.
  const verified = perFile.flatMap((r) => (r.verified === undefined ? [] : [r.verified]));
  const scanned = await mapBounded(verified, hasher.width, async (f) => ({
    path: f.path,
    blobPath: f.blobPath,
    scan: await scanBlob(f.blobPath, f.path, options.policy.scan),
  }));
  const nodes = await scanRepoLevel(scanned, options.policy.scan);
  nodes.forEach((node, i) => {
    const f = verified[i]!;
    const scan = withAccepted(node, f.sha256, {
      model: repo,
      accepted: options.policy.acceptedFindings,
      today: options.today,
    });
    if (verdictBlocks(scan.verdict))
      for (const x of blockingFindings(scan, `${repo}/${f.path}`))
        problems.push({ class: "blocked", model: repo, path: f.path, finding: x });
  });
  return { problems, files: Object.keys(entry.files).length };
}

/** Every blocking finding of a node and its members, with the member path in the message. */
function blockingFindings(node: ScanNode, prefix = ""): Finding[] {
  const here = node.findings
    .filter((f) => f.verdict !== "clean")
    .map((f) => (prefix === "" ? f : { ...f, message: `${prefix}: ${f.message}` }));
  const inner = (node.members ?? []).flatMap((m) =>
    blockingFindings(m, prefix === "" ? m.path : `${prefix}/${m.path}`),
  );
  return [...here, ...inner];
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
      mapBounded(admitted, concurrency, (repo) => checkOffline(repo, options, hasher)),
    );
    for (const r of checked) {
      problems.push(...r.problems);
      files += r.files;
    }
    return { mode: "offline", models: repos.length, files, problems, notes, trusted: [] };
  }
  const metadata = await mapBounded(admitted, concurrency, (repo) =>
    checkMetadata(repo, options, notes),
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
