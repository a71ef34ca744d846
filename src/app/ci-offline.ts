/**
 * `modelvet ci --offline`: every locked file read back from the cache, verified against the lock,
 * and the verified bytes judged exactly as `pull` judges them.
 */
import { type Finding, finding } from "../core/finding.js";
import { blockingFindings, type CiProblem } from "../core/lock-sync.js";
import type { Lockfile } from "../core/lockfile.js";
import { verdictBlocks } from "../core/verdict.js";
import { RepoCache } from "../io/cache-layout.js";
import { listSnapshot } from "../io/cache-store.js";
import { verifyCachedBlob } from "../io/download.js";
import type { HashPool } from "../io/hash-pool.js";
import { mapBounded } from "./pool.js";
import type { PullPolicy } from "./pull.js";
import { scanBlob, scanRepoLevel, withAccepted } from "./repo-scan.js";

export interface OfflineCheckOptions {
  cacheDir: string;
  lock: Lockfile;
  policy: PullPolicy;
  today: string;
}

/** One locked file read back from the cache: its problems, and its blob when it verified. */
interface OfflineFile {
  problems: CiProblem[];
  verified?: { path: string; blobPath: string; sha256: string };
}

export async function checkOffline(
  repo: string,
  options: OfflineCheckOptions,
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
