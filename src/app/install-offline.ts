/**
 * `HF_HUB_OFFLINE=1 modelvet pull` with no argument: install what models.lock pins from the cache
 * alone, never contacting the Hub. Each locked file is found in snapshots/<commit>/ or as its blob
 * in blobs/ (app/cache-read.ts), verified against the lock, scanned as `pull` scans it, and then
 * linked (or copied, with HF_HUB_DISABLE_SYMLINKS) only when policy admits it; refs/ are written
 * as the official client writes them. A locked file the cache does not hold is reported `absent`:
 * the caller fails closed, since this install cannot be completed without the network.
 */
import { finding } from "../core/finding.js";
import type { Lockfile } from "../core/lockfile.js";
import { evaluateOrgPolicy, policyFindings } from "../core/org-policy.js";
import { makeNode } from "../core/report.js";
import { verdictBlocks, worstVerdict } from "../core/verdict.js";
import { RepoCache } from "../io/cache-layout.js";
import { linkSnapshot, unlinkSnapshot } from "../io/cache-store.js";
import { removeBlob } from "../io/download.js";
import { withHashPool } from "../io/hash-pool.js";
import { judgeVerified, readLockedFiles } from "./cache-read.js";
import { writeCacheRefs } from "./locked-refs.js";
import type { PulledFile, PulledModel, PullPolicy } from "./pull.js";

export interface OfflineInstallOptions {
  cacheDir: string;
  lock: Lockfile;
  policy: PullPolicy;
  today: string;
}

export interface OfflineInstalledModel {
  model: PulledModel;
  /** Locked files the cache does not hold: the install is incomplete. */
  absent: string[];
}

/** Remove a snapshot entry that must not be loaded; an entry that cannot be removed stays reported. */
function withdraw(cache: RepoCache, commit: string, path: string): void {
  try {
    unlinkSnapshot(cache, commit, path);
  } catch {
    // a linked snapshot folder: never written through; its finding says what is wrong
  }
}

async function installModel(
  repo: string,
  options: OfflineInstallOptions,
  hasher: Parameters<typeof readLockedFiles>[0]["hasher"],
): Promise<OfflineInstalledModel> {
  const entry = options.lock.models[repo]!;
  const cache = new RepoCache(options.cacheDir, repo);
  const commit = entry.revision;
  const decision = evaluateOrgPolicy(repo, options.policy.organizations, options.policy.project);
  const base = { repo, requested: entry.ref, commit, revision: undefined, decision };
  if (!decision.allowed) {
    const findings = policyFindings(repo, decision);
    const model = { ...base, findings, files: [], snapshotDir: undefined };
    return { model: { ...model, verdict: "suspicious" }, absent: [] };
  }
  const states = await readLockedFiles({ repo, entry, cache, hasher, adoptBlobs: true });
  const verified = states.flatMap((s) => (s.state === "verified" ? [s] : []));
  const judged = await judgeVerified(repo, verified, { ...options, width: hasher.width });
  const byPath = new Map(verified.map((v, i) => [v.path, { v, ...judged[i]! }]));
  const files: PulledFile[] = [];
  const absent: string[] = [];
  for (const s of states) {
    const locked = entry.files[s.path]!;
    const meta = { path: s.path, size: locked.size, gitOid: locked.gitOid, lfs: locked.lfs };
    if (s.state === "absent") {
      absent.push(s.path);
      continue;
    }
    if (s.state === "corrupt") {
      withdraw(cache, commit, s.path);
      const scan = makeNode({
        path: s.path,
        format: "unknown",
        size: locked.size,
        findings: [s.finding],
      });
      files.push({
        ...meta,
        sha256: undefined,
        status: "mismatch",
        scan,
        rawVerdict: scan.verdict,
      });
      continue;
    }
    const { v, raw, scan } = byPath.get(s.path)!;
    const blocks = verdictBlocks(scan.verdict);
    if (blocks) {
      // Blocked bytes leave the cache entirely, as `pull` leaves it.
      withdraw(cache, commit, s.path);
      removeBlob(cache.blobPath(v.blobId));
    } else if (!v.inSnapshot) linkSnapshot(cache, commit, s.path, v.blobId);
    files.push({
      ...meta,
      sha256: v.sha256,
      status: blocks ? "blocked" : "linked",
      scan,
      rawVerdict: raw.verdict,
    });
  }
  writeCacheRefs(cache, entry.ref, commit, undefined);
  const findings = absent.map((path) =>
    finding(
      "CACHE_MISSING",
      "unscannable",
      `${repo}/${path} is not in the cache, and HF_HUB_OFFLINE is set so nothing is fetched; unset HF_HUB_OFFLINE to pull it.`,
    ),
  );
  return {
    model: {
      ...base,
      findings,
      files,
      snapshotDir: cache.snapshotDir(commit),
      verdict: worstVerdict([...findings, ...files.map((f) => f.scan)].map((x) => x.verdict)),
    },
    absent,
  };
}

export function installFromCache(options: OfflineInstallOptions): Promise<OfflineInstalledModel[]> {
  const repos = Object.keys(options.lock.models).sort();
  return withHashPool(async (hasher) => {
    const out: OfflineInstalledModel[] = [];
    for (const repo of repos) out.push(await installModel(repo, options, hasher));
    return out;
  });
}
