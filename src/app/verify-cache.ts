/**
 * `modelvet verify-cache`: re-hash what is in the cache. Online, against the Hub's tree at each
 * snapshot's commit (missing, extra and corrupted files, like `hf cache verify`); offline, each
 * blob against its own name (sha256 for LFS blobs, git blob sha1 for regular files).
 *
 * Each snapshot entry is judged by the file it resolves to (io/cache-store.ts listSnapshot), the
 * file a loader reads: a link whose text names blobs/<right id> but that resolves anywhere else is
 * CACHE_CORRUPT, never "matches". A regular file (huggingface_hub's layout without symlinks) is
 * judged by its bytes: against the Hub's tree online; offline against models.lock (`pins`), else
 * against huggingface_hub's own listing of the commit (`trees/<commit>.json`, as trustworthy as
 * blob names: io/cache-tree-listing.ts); with none of them it cannot be checked (CACHE_UNVERIFIED,
 * which fails).
 *
 * Absent is not corrupt: a file the Hub lists that the cache lacks (never fetched: transformers
 * skips README.md, `pull --include`, files modelvet withheld) cannot be loaded from the cache, so
 * it is noted (CACHE_MISSING at verdict clean) unless `requireComplete`.
 */
import { readdirSync, statSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { type Finding, finding } from "../core/finding.js";
import type { LockedModel } from "../core/lockfile.js";
import { HEX40 } from "../core/object-id.js";
import { lstatOrUndefined } from "../io/cache-fs.js";
import { RepoCache } from "../io/cache-layout.js";
import { listSnapshot, listSnapshotCommits, readRef } from "../io/cache-store.js";
import { readTreeListing } from "../io/cache-tree-listing.js";
import { type BlobExpectation, verifyCachedBlob } from "../io/download.js";
import { type FileHasher, withHashPool } from "../io/hash-pool.js";
import type { HubClient } from "../io/hub.js";
import { mapBounded } from "./map-bounded.js";

export interface CacheTarget {
  repo: string;
  /** A commit or a ref name from refs/; undefined = every snapshot of the repo. */
  revision?: string | undefined;
}

export interface SnapshotCheck {
  repo: string;
  commit: string;
  checked: number;
  missing: string[];
  extra: string[];
  findings: Finding[];
}

export function listCachedRepos(cacheDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith("models--"))
    .map((n) => n.slice("models--".length).split("--"))
    .filter((parts) => parts.length === 2)
    .map((parts) => parts.join("/"))
    .sort();
}

function commitsFor(cache: RepoCache, revision: string | undefined): string[] {
  if (revision === undefined) return listSnapshotCommits(cache);
  if (HEX40.test(revision)) return [revision];
  const commit = readRef(cache, revision);
  return commit === undefined ? [] : [commit];
}

function corrupt(repo: string, path: string, detail: Finding): Finding {
  return finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: ${detail.message}`, {
    ...(detail.expected !== undefined ? { expected: detail.expected } : {}),
    ...(detail.actual !== undefined ? { actual: detail.actual } : {}),
  });
}

/** A file a loader cannot find: informational, or a failure with `requireComplete`. */
function absent(message: string, requireComplete: boolean): Finding {
  return requireComplete
    ? finding("CACHE_MISSING", "unscannable", `${message} (--require-complete).`)
    : finding(
        "CACHE_MISSING",
        "clean",
        `${message}: not in the cache (never fetched), so nothing can load it.`,
      );
}

function untrusted(repo: string, entry: { path: string; detail: string }): Finding {
  return finding(
    "CACHE_CORRUPT",
    "malicious",
    `${repo}/${entry.path === "" ? "(snapshot folder)" : entry.path}: ${entry.detail}.`,
  );
}

/** What a lock pins for a copied file, as a blob expectation plus the lock's sha256. */
function pinnedExpectation(
  pin: LockedModel | undefined,
  commit: string,
  path: string,
): { expected: BlobExpectation; sha256: string } | undefined {
  const locked =
    pin?.revision === commit && Object.hasOwn(pin.files, path) ? pin.files[path] : undefined;
  if (locked === undefined) return undefined;
  return {
    expected: {
      size: locked.size,
      gitOid: locked.lfs ? "" : locked.gitOid,
      lfsSha256: locked.lfs ? locked.sha256 : undefined,
    },
    sha256: locked.sha256,
  };
}

export interface VerifyCacheOptions {
  cacheDir: string;
  targets: readonly CacheTarget[];
  /** Online: compare with the Hub's tree. Undefined: offline, blobs against their names. */
  client?: HubClient | undefined;
  /**
   * models.lock entries by repo: offline, a copied snapshot file (no blob name to check) is
   * checked against the lock when it pins that commit.
   */
  pins?: ReadonlyMap<string, LockedModel> | undefined;
  /** Files the Hub lists but the cache lacks fail (CACHE_MISSING) instead of being noted. */
  requireComplete?: boolean | undefined;
}

/**
 * Re-hashes the cached snapshots of `targets` (every repo in the cache when none are given). A
 * cache folder that does not exist is a UsageError, never an empty pass: a mistyped --cache-dir
 * or HF_HUB_CACHE in a CI step would otherwise verify nothing and succeed.
 */
export async function verifyCache(options: VerifyCacheOptions): Promise<SnapshotCheck[]> {
  let isFolder = false;
  try {
    isFolder = statSync(options.cacheDir).isDirectory();
  } catch {
    // missing or unreadable: said below
  }
  if (!isFolder)
    throw new UsageError(
      `No huggingface_hub cache folder at ${options.cacheDir} (from --cache-dir, HF_HUB_CACHE or HF_HOME): nothing can be verified there. Check the path.`,
    );
  return withHashPool((hasher) => verifyTargets(options, hasher));
}

async function checkBytes(
  repo: string,
  path: string,
  bytesPath: string,
  expected: BlobExpectation,
  sha256: string | undefined,
  hasher: FileHasher,
): Promise<Finding | undefined> {
  const result = await verifyCachedBlob(path, bytesPath, expected, hasher);
  if ("code" in result) return corrupt(repo, path, result);
  if (sha256 !== undefined && result.sha256 !== sha256)
    return finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: sha256 differs from the lock.`, {
      expected: `sha256:${sha256}`,
      actual: `sha256:${result.sha256}`,
    });
  return undefined;
}

async function verifyTargets(
  options: VerifyCacheOptions,
  hasher: FileHasher,
): Promise<SnapshotCheck[]> {
  const requireComplete = options.requireComplete === true;
  const targets: readonly CacheTarget[] =
    options.targets.length > 0
      ? options.targets
      : listCachedRepos(options.cacheDir).map((repo) => ({ repo }));
  const out: SnapshotCheck[] = [];
  for (const target of targets) {
    const cache = new RepoCache(options.cacheDir, target.repo);
    const commits = commitsFor(cache, target.revision);
    if (commits.length === 0) {
      out.push({
        repo: target.repo,
        commit: target.revision ?? "",
        checked: 0,
        missing: [],
        extra: [],
        findings: [
          finding(
            "CACHE_MISSING",
            "unscannable",
            `${target.repo}${target.revision ? `@${target.revision}` : ""} has no snapshot in ${options.cacheDir}.`,
          ),
        ],
      });
      continue;
    }
    const pin = options.pins?.get(target.repo);
    for (const commit of commits) {
      const entries = listSnapshot(cache, commit);
      // huggingface_hub's listing of this commit, read once and only when a copied file needs it.
      let listed: Map<string, BlobExpectation> | undefined | null = null;
      const listing = () => {
        if (listed === null) listed = readTreeListing(cache, commit);
        return listed;
      };
      const check: SnapshotCheck = {
        repo: target.repo,
        commit,
        checked: 0,
        missing: [],
        extra: [],
        findings: [],
      };
      // Byte checks run several at once (hashed on every core); findings keep the file order.
      const pending: (() => Promise<Finding | undefined>)[] = [];
      const now = (f: Finding) => pending.push(async () => f);
      const bytes = (path: string, at: string, expected: BlobExpectation, sha256?: string) =>
        pending.push(() => checkBytes(target.repo, path, at, expected, sha256, hasher));
      if (options.client !== undefined) {
        const tree = await options.client.listRepoFiles(target.repo, commit);
        const have = new Map(entries.map((e) => [e.path, e]));
        const want = new Set(tree.map((f) => f.path));
        for (const file of tree) {
          const entry = have.get(file.path);
          if (entry === undefined) {
            check.missing.push(file.path);
            continue;
          }
          const expected = { size: file.size, gitOid: file.gitOid, lfsSha256: file.lfs?.sha256 };
          const blobId = file.lfs?.sha256 ?? file.gitOid;
          if (entry.status === "untrusted") {
            check.checked++;
            now(untrusted(target.repo, entry));
          } else if (entry.status === "missing") {
            check.missing.push(file.path);
            now(
              absent(
                `${target.repo}/${file.path}: its blob ${entry.blobId} is not in the cache`,
                requireComplete,
              ),
            );
          } else if (entry.status === "copy") {
            check.checked++;
            bytes(file.path, entry.filePath, expected);
          } else if (entry.blobId !== blobId) {
            check.checked++;
            now(
              finding(
                "CACHE_CORRUPT",
                "malicious",
                `${target.repo}/${file.path}: the snapshot resolves to blob ${entry.blobId}, the Hub published ${blobId}.`,
                { expected: blobId, actual: entry.blobId },
              ),
            );
          } else {
            check.checked++;
            bytes(file.path, entry.blobPath, expected);
          }
        }
        const extra = entries.filter((e) => !want.has(e.path));
        for (const e of extra) if (e.status === "untrusted") now(untrusted(target.repo, e));
        check.extra = extra.filter((e) => e.status !== "untrusted").map((e) => e.path);
        for (const path of check.missing)
          if (have.get(path) === undefined)
            now(
              absent(
                `${target.repo}/${path} is at ${commit.slice(0, 12)} on the Hub`,
                requireComplete,
              ),
            );
      } else {
        for (const entry of entries) {
          if (entry.status === "untrusted") {
            check.checked++;
            now(untrusted(target.repo, entry));
          } else if (entry.status === "missing") {
            check.missing.push(entry.path);
            now(
              absent(
                `${target.repo}/${entry.path}: its blob ${entry.blobId} is not in the cache`,
                requireComplete,
              ),
            );
          } else if (entry.status === "copy") {
            check.checked++;
            const pinned = pinnedExpectation(pin, commit, entry.path);
            const listed = pinned === undefined ? listing()?.get(entry.path) : undefined;
            if (pinned !== undefined)
              bytes(entry.path, entry.filePath, pinned.expected, pinned.sha256);
            else if (listed !== undefined) bytes(entry.path, entry.filePath, listed);
            else
              now(
                finding(
                  "CACHE_UNVERIFIED",
                  "unscannable",
                  `${target.repo}/${entry.path}: a copied file (a cache written without symlinks) has no blob name to check offline, and neither models.lock nor huggingface_hub's trees/${commit.slice(0, 12)}….json lists it; check it against the Hub (without --offline).`,
                ),
              );
          } else {
            check.checked++;
            const size = lstatOrUndefined(entry.blobPath)?.size ?? 0;
            const expected: BlobExpectation =
              entry.blobId.length === 64
                ? { size, gitOid: "", lfsSha256: entry.blobId }
                : { size, gitOid: entry.blobId };
            bytes(entry.path, entry.blobPath, expected);
          }
        }
      }
      for (const problem of await mapBounded(pending, hasher.width * 2, (run) => run()))
        if (problem) check.findings.push(problem);
      for (const path of check.extra) {
        check.findings.push(
          finding(
            "CACHE_EXTRA",
            "suspicious",
            `${target.repo}/${path} is in the snapshot but not in the Hub's tree at ${commit.slice(0, 12)}.`,
          ),
        );
      }
      out.push(check);
    }
  }
  return out;
}
