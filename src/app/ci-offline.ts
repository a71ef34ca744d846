/**
 * `modelvet ci --offline`: every locked file read back from the cache (app/cache-read.ts),
 * verified against the lock, and the verified bytes judged exactly as `pull` judges them.
 * A locked file that is not in the cache (never fetched: transformers skips README.md, `pull
 * --include`) cannot be loaded, so it is a note, not a failure, unless `requireComplete`; a model
 * none of whose files is cached fails, since nothing about it was verified.
 */
import { finding } from "../core/finding.js";
import { blockingFindings, type CiProblem } from "../core/lock-sync.js";
import type { Lockfile } from "../core/lockfile.js";
import { verdictBlocks } from "../core/verdict.js";
import { RepoCache } from "../io/cache-layout.js";
import type { FileHasher } from "../io/hash-pool.js";
import { judgeVerified, readLockedFiles } from "./cache-read.js";
import type { PullPolicy } from "./pull.js";

export interface OfflineCheckOptions {
  cacheDir: string;
  lock: Lockfile;
  policy: PullPolicy;
  today: string;
  /** A locked file absent from the cache fails (CACHE_MISSING) instead of being a note. */
  requireComplete?: boolean | undefined;
}

export async function checkOffline(
  repo: string,
  options: OfflineCheckOptions,
  hasher: FileHasher,
  notes: string[],
): Promise<{ problems: CiProblem[]; files: number }> {
  const entry = options.lock.models[repo]!;
  const cache = new RepoCache(options.cacheDir, repo);
  const states = await readLockedFiles({ repo, entry, cache, hasher });
  const problems: CiProblem[] = [];
  const absent: string[] = [];
  for (const s of states) {
    if (s.state === "corrupt")
      problems.push({ class: "integrity", model: repo, path: s.path, finding: s.finding });
    else if (s.state === "absent") {
      if (options.requireComplete === true)
        problems.push({
          class: "integrity",
          model: repo,
          path: s.path,
          finding: finding(
            "CACHE_MISSING",
            "unscannable",
            `${s.detail} (--require-complete; \`modelvet pull\` with the network on fetches it).`,
          ),
        });
      else absent.push(s.path);
    }
  }
  if (absent.length > 0 && absent.length === states.length && options.requireComplete !== true)
    // Nothing of the model is cached: nothing was verified, so this run proves nothing about it.
    problems.push({
      class: "integrity",
      model: repo,
      finding: finding(
        "CACHE_MISSING",
        "unscannable",
        `${repo}: none of its ${absent.length} locked file(s) is in the cache at ${entry.revision.slice(0, 12)}; run \`modelvet pull\` (with the network on) first.`,
      ),
    });
  else if (absent.length > 0)
    notes.push(
      `${repo}: ${absent.length} locked file(s) not in the cache, so nothing can load them unverified: ${absent.join(", ")} (never fetched; --require-complete fails on this).`,
    );
  const verified = states.flatMap((s) => (s.state === "verified" ? [s] : []));
  const nodes = await judgeVerified(repo, verified, { ...options, width: hasher.width });
  nodes.forEach(({ scan }, i) => {
    const f = verified[i]!;
    if (verdictBlocks(scan.verdict))
      for (const x of blockingFindings(scan, `${repo}/${f.path}`))
        problems.push({ class: "blocked", model: repo, path: f.path, finding: x });
  });
  return { problems, files: Object.keys(entry.files).length };
}
