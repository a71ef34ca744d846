/**
 * Reading what models.lock pins back from the cache alone, for `ci --offline` and for an offline
 * `pull` from the lock. Each locked file is found where a loader finds it (snapshots/<commit>/,
 * a link into blobs/ or, as huggingface_hub writes it without symlinks, a copy) and its bytes are
 * verified against the lock: size, git blob id or LFS sha256, and sha256. A file that is not
 * there is `absent` (nothing unverified can be loaded from it), never corrupt; a file that is
 * there with other bytes is `corrupt`. The verified bytes are then judged exactly as `pull`
 * judges them (`judgeVerified`).
 */
import { type Finding, finding } from "../core/finding.js";
import type { LockedFile, LockedModel } from "../core/lockfile.js";
import type { ScanNode } from "../core/report.js";
import { lstatOrUndefined } from "../io/cache-fs.js";
import type { RepoCache } from "../io/cache-layout.js";
import { listSnapshot } from "../io/cache-store.js";
import { verifyCachedBlob } from "../io/download.js";
import type { FileHasher } from "../io/hash-pool.js";
import { mapBounded } from "./map-bounded.js";
import type { PullPolicy } from "./pull.js";
import { scanBlob, scanRepoLevel, withAccepted } from "./repo-scan.js";

export type LockedFileState =
  | {
      path: string;
      state: "verified";
      /** The file a loader reads (or, when not `inSnapshot`, the blob to link). */
      bytesPath: string;
      sha256: string;
      /** In snapshots/ already; otherwise found as blobs/<blobId> only. */
      inSnapshot: boolean;
      blobId: string;
    }
  | { path: string; state: "absent"; detail: string }
  | { path: string; state: "corrupt"; finding: Finding };

export interface ReadLockedOptions {
  repo: string;
  entry: LockedModel;
  cache: RepoCache;
  hasher: FileHasher;
  /** Also take a verified blob in blobs/ for a file the snapshot lacks (an offline install). */
  adoptBlobs?: boolean;
}

const blobIdOf = (locked: LockedFile) => (locked.lfs ? locked.sha256 : locked.gitOid);

async function verifyAgainstLock(
  repo: string,
  path: string,
  bytesPath: string,
  locked: LockedFile,
  hasher: FileHasher,
): Promise<{ sha256: string } | Finding> {
  const checked = await verifyCachedBlob(
    path,
    bytesPath,
    {
      size: locked.size,
      gitOid: locked.lfs ? "" : locked.gitOid,
      lfsSha256: locked.lfs ? locked.sha256 : undefined,
    },
    hasher,
  );
  if ("code" in checked)
    return finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: ${checked.message}`, {
      ...(checked.expected !== undefined ? { expected: checked.expected } : {}),
      ...(checked.actual !== undefined ? { actual: checked.actual } : {}),
    });
  if (checked.sha256 !== locked.sha256)
    return finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: sha256 differs from the lock.`, {
      expected: `sha256:${locked.sha256}`,
      actual: `sha256:${checked.sha256}`,
    });
  return checked;
}

/** Every locked file of one model, in the lock's order, as the cache holds it. */
export async function readLockedFiles(options: ReadLockedOptions): Promise<LockedFileState[]> {
  const { repo, entry, cache, hasher } = options;
  // Entries are judged by the file they resolve to, never by a link's text (io/cache-store.ts).
  const entries = listSnapshot(cache, entry.revision);
  const linked = new Map(entries.map((e) => [e.path, e]));
  const folder = entries.find((e) => e.path === "" && e.status === "untrusted");
  return mapBounded(
    Object.entries(entry.files),
    hasher.width * 2,
    async ([path, locked]): Promise<LockedFileState> => {
      const link = linked.get(path) ?? folder;
      if (link?.status === "untrusted") {
        const f = finding("CACHE_CORRUPT", "malicious", `${repo}/${path}: ${link.detail}.`);
        return { path, state: "corrupt", finding: f };
      }
      if (link?.status === "blob" || link?.status === "copy") {
        const bytesPath = link.status === "blob" ? link.blobPath : link.filePath;
        const checked = await verifyAgainstLock(repo, path, bytesPath, locked, hasher);
        if ("code" in checked) return { path, state: "corrupt", finding: checked };
        const blobId = link.status === "blob" ? link.blobId : blobIdOf(locked);
        return {
          path,
          state: "verified",
          bytesPath,
          sha256: checked.sha256,
          inSnapshot: true,
          blobId,
        };
      }
      const blobId = blobIdOf(locked);
      if (options.adoptBlobs === true && folder === undefined) {
        const blobPath = cache.blobPath(blobId);
        if (lstatOrUndefined(blobPath)?.isFile() === true) {
          const checked = await verifyAgainstLock(repo, path, blobPath, locked, hasher);
          if ("code" in checked) return { path, state: "corrupt", finding: checked };
          return {
            path,
            state: "verified",
            bytesPath: blobPath,
            sha256: checked.sha256,
            inSnapshot: false,
            blobId,
          };
        }
      }
      return {
        path,
        state: "absent",
        detail:
          link?.status === "missing"
            ? `${repo}/${path}: its blob ${link.blobId} is not in the cache`
            : `${repo}/${path} is not in the cache`,
      };
    },
  );
}

/**
 * Verified bytes judged exactly as `pull` (and so `ci --download`) judges them: each file, then
 * the repo-level pass (trust_remote_code, companion data), then the accepted findings.
 */
export async function judgeVerified(
  repo: string,
  verified: readonly { path: string; bytesPath: string; sha256: string }[],
  options: { policy: PullPolicy; today: string; width: number },
): Promise<{ raw: ScanNode; scan: ScanNode }[]> {
  const scanned = await mapBounded(verified, options.width, async (f) => ({
    path: f.path,
    blobPath: f.bytesPath,
    scan: await scanBlob(f.bytesPath, f.path, options.policy.scan),
  }));
  const nodes = await scanRepoLevel(scanned, options.policy.scan);
  return nodes.map((raw, i) => ({
    raw,
    scan: withAccepted(raw, verified[i]!.sha256, {
      model: repo,
      accepted: options.policy.acceptedFindings,
      today: options.today,
    }),
  }));
}
