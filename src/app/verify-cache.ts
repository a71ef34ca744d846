/**
 * `modelvet verify-cache`: re-hash what is in the cache. Online, against the Hub's tree at each
 * snapshot's commit (missing, extra and corrupted files, like `hf cache verify`); offline, each
 * blob against its own name (sha256 for LFS blobs, git blob sha1 for regular files).
 *
 * Each snapshot entry is judged by the file it resolves to (io/cache-store.ts listSnapshot), the
 * file a loader reads: a link whose text names blobs/<right id> but that resolves anywhere else is
 * CACHE_CORRUPT, never "matches".
 */
import { readdirSync } from "node:fs";
import { type Finding, finding } from "../core/finding.js";
import { HEX40 } from "../core/object-id.js";
import { lstatOrUndefined } from "../io/cache-fs.js";
import { RepoCache } from "../io/cache-layout.js";
import {
  listSnapshot,
  listSnapshotCommits,
  readRef,
  type SnapshotEntry,
} from "../io/cache-store.js";
import { type BlobExpectation, verifyCachedBlob } from "../io/download.js";
import { type FileHasher, withHashPool } from "../io/hash-pool.js";
import type { HubClient } from "../io/hub.js";
import { mapBounded } from "./pool.js";

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

async function checkBlob(
  repo: string,
  path: string,
  blobPath: string,
  expected: BlobExpectation,
  hasher: FileHasher,
): Promise<Finding | undefined> {
  const result = await verifyCachedBlob(path, blobPath, expected, hasher);
  return "code" in result ? corrupt(repo, path, result) : undefined;
}

/** The finding for an entry that does not resolve to a blob. */
function unresolved(repo: string, entry: Exclude<SnapshotEntry, { status: "blob" }>): Finding {
  if (entry.status === "missing") {
    return finding(
      "CACHE_MISSING",
      "unscannable",
      `${repo}/${entry.path}: its blob ${entry.blobId} is not in the cache.`,
    );
  }
  return finding(
    "CACHE_CORRUPT",
    "malicious",
    `${repo}/${entry.path === "" ? "(snapshot folder)" : entry.path}: ${entry.detail}.`,
  );
}

export async function verifyCache(options: {
  cacheDir: string;
  targets: readonly CacheTarget[];
  /** Online: compare with the Hub's tree. Undefined: offline, blobs against their names. */
  client?: HubClient | undefined;
}): Promise<SnapshotCheck[]> {
  return withHashPool((hasher) => verifyTargets(options, hasher));
}

async function verifyTargets(
  options: Parameters<typeof verifyCache>[0],
  hasher: FileHasher,
): Promise<SnapshotCheck[]> {
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
    for (const commit of commits) {
      const entries = listSnapshot(cache, commit);
      const check: SnapshotCheck = {
        repo: target.repo,
        commit,
        checked: 0,
        missing: [],
        extra: [],
        findings: [],
      };
      // Blob checks run several at once (hashed on every core); findings keep the file order.
      const pending: (() => Promise<Finding | undefined>)[] = [];
      const now = (f: Finding) => pending.push(async () => f);
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
          check.checked++;
          if (entry.status === "untrusted") {
            now(unresolved(target.repo, entry));
            continue;
          }
          if (entry.blobId !== blobId) {
            now(
              finding(
                "CACHE_CORRUPT",
                "malicious",
                `${target.repo}/${file.path}: the snapshot resolves to blob ${entry.blobId}, the Hub published ${blobId}.`,
                { expected: blobId, actual: entry.blobId },
              ),
            );
            continue;
          }
          if (entry.status === "missing") {
            now(unresolved(target.repo, entry));
            continue;
          }
          const blobPath = entry.blobPath;
          pending.push(() => checkBlob(target.repo, file.path, blobPath, expected, hasher));
        }
        const extra = entries.filter((e) => !want.has(e.path));
        for (const e of extra) if (e.status === "untrusted") now(unresolved(target.repo, e));
        check.extra = extra.filter((e) => e.status !== "untrusted").map((e) => e.path);
      } else {
        for (const entry of entries) {
          check.checked++;
          if (entry.status !== "blob") {
            now(unresolved(target.repo, entry));
            continue;
          }
          const size = lstatOrUndefined(entry.blobPath)?.size ?? 0;
          const expected: BlobExpectation =
            entry.blobId.length === 64
              ? { size, gitOid: "", lfsSha256: entry.blobId }
              : { size, gitOid: entry.blobId };
          const blobPath = entry.blobPath;
          pending.push(() => checkBlob(target.repo, entry.path, blobPath, expected, hasher));
        }
      }
      for (const problem of await mapBounded(pending, hasher.width * 2, (run) => run()))
        if (problem) check.findings.push(problem);
      for (const path of check.missing) {
        check.findings.push(
          finding(
            "CACHE_MISSING",
            "unscannable",
            `${target.repo}/${path} is at ${commit.slice(0, 12)} on the Hub but not in the snapshot.`,
          ),
        );
      }
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
