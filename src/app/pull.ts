/**
 * `modelvet pull`: resolve → check policy → download and verify → scan → link.
 *
 * A file reaches snapshots/ only when its bytes matched the tree at the pinned commit and its scan
 * verdict is admitted by policy (clean, or findings the project accepted for that exact digest).
 * A model that policy denies is not downloaded at all. Never prints: progress goes out as events.
 */

import { type Finding, finding } from "../core/finding.js";
import { compileGlobFilter } from "../core/globs.js";
import {
  evaluateOrgPolicy,
  type OrgAllowlist,
  type OrgDecision,
  policyFindings,
} from "../core/org-policy.js";
import type { AcceptedFinding } from "../core/project.js";
import type { ProjectPolicy } from "../core/project-policy.js";
import type { RepoFile } from "../core/repo-file.js";
import { makeNode, type ScanNode } from "../core/report.js";
import type { ResolvedRevision } from "../core/revision.js";
import { type Verdict, verdictBlocks, worstVerdict } from "../core/verdict.js";
import { RepoCache } from "../io/cache-layout.js";
import { linkSnapshot, unlinkSnapshot } from "../io/cache-store.js";
import { downloadToCache, removeBlob } from "../io/download.js";
import type { HubClient } from "../io/hub.js";
import type { ScanPolicy } from "../scan/policy.js";
import { lockedRefSource, writeCacheRefs } from "./locked-refs.js";
import { mapBounded } from "./map-bounded.js";
import {
  checkHubSignature,
  type ModelSignatureCheck,
  type SignaturePolicy,
} from "./model-signature.js";
import { scanBlob, scanRepoLevel, withAccepted } from "./repo-scan.js";

export interface ModelRequest {
  repo: string;
  ref: string | undefined;
  include: readonly string[];
  exclude: readonly string[];
}

export interface PullPolicy {
  scan: ScanPolicy;
  organizations: OrgAllowlist;
  project: ProjectPolicy;
  acceptedFindings: readonly AcceptedFinding[];
  /** policy.signatures: which models must be signed, and by whom. */
  signatures?: SignaturePolicy;
}

export type PullEvent =
  | { type: "resolved"; repo: string; commit: string; requested: string | undefined }
  | { type: "denied"; repo: string; decision: OrgDecision }
  | { type: "files"; repo: string; count: number; bytes: number }
  | { type: "file-start"; repo: string; path: string; size: number }
  | { type: "bytes"; repo: string; path: string; bytes: number }
  | {
      type: "file-done";
      repo: string;
      path: string;
      status: PulledFile["status"];
      verdict: Verdict;
    };

export interface PulledFile {
  path: string;
  size: number;
  gitOid: string;
  lfs: boolean;
  /** The sha256 of the verified bytes; undefined when the bytes did not verify. */
  sha256: string | undefined;
  /** linked: in snapshots/; blocked: verified but the scan blocks; mismatch: wrong bytes. */
  status: "linked" | "blocked" | "mismatch";
  /** The scan after accepted findings; `rawVerdict` is the scanner's own verdict before them. */
  scan: ScanNode;
  rawVerdict: Verdict;
}

export interface PulledModel {
  repo: string;
  requested: string | undefined;
  commit: string;
  revision: ResolvedRevision | undefined;
  decision: OrgDecision;
  /** Findings about the model as a whole (policy). */
  findings: Finding[];
  files: PulledFile[];
  snapshotDir: string | undefined;
  verdict: Verdict;
  /** The model signature (model.sig), when there is one or policy requires one. */
  signature?: ModelSignatureCheck;
}

export interface PullOptions {
  client: HubClient;
  cacheDir: string;
  models: readonly ModelRequest[];
  policy: PullPolicy;
  /** YYYY-MM-DD, for expiring exceptions. */
  today: string;
  concurrency?: number;
  onEvent?: (event: PullEvent) => void;
  /** When set, only these files are fetched (e.g. from a lockfile) and they must exist at the commit. */
  pinned?: ReadonlyMap<string, PinnedModel>;
}

/** What a lockfile pins for one file: the download's expectations, besides the Hub's tree. */
export interface PinnedFile {
  size: number;
  gitOid: string;
  lfs: boolean;
  sha256: string;
}

export interface PinnedModel {
  commit: string;
  /**
   * The ref the lock was resolved from (models.lock `ref`): refs/ are written for it, pointing at
   * the pinned commit, as the official client would. Undefined: no ref is written.
   */
  ref?: string | undefined;
  files: readonly string[];
  /**
   * The lock's digests, by path. The bytes must match them as well as the tree, inside the
   * download: a file that differs from the lock never leaves its partial file, so it is never
   * linked, not even for a moment.
   */
  locked?: Readonly<Record<string, PinnedFile>> | undefined;
}

/** A file downloaded and verified (or not), scanned on its own; not linked yet. */
interface FetchedFile {
  file: RepoFile;
  /** Set when the bytes verified. */
  blob?: { id: string; path: string; sha256: string };
  /** The file's own scan, or the mismatch finding. */
  scan: ScanNode;
}

/** A lock that pins other metadata than the Hub's tree lists: no download can satisfy both. */
function lockDisagrees(file: RepoFile, locked: PinnedFile | undefined): Finding | undefined {
  if (locked === undefined) return undefined;
  const tree = { size: file.size, gitOid: file.gitOid, lfs: file.lfs !== undefined };
  const lfsDiffers = file.lfs !== undefined && file.lfs.sha256 !== locked.sha256;
  if (
    tree.size === locked.size &&
    tree.gitOid === locked.gitOid &&
    tree.lfs === locked.lfs &&
    !lfsDiffers
  )
    return undefined;
  return finding(
    "DIGEST_MISMATCH",
    "malicious",
    `${file.path}: the Hub's tree at this commit lists other bytes than models.lock pins (size ${tree.size} vs ${locked.size}, git id ${tree.gitOid} vs ${locked.gitOid}); not downloaded.`,
    {
      expected: `sha256:${locked.sha256}`,
      actual: file.lfs !== undefined ? `sha256:${file.lfs.sha256}` : `git-sha1:${file.gitOid}`,
    },
  );
}

async function fetchFile(
  file: RepoFile,
  model: { repo: string; commit: string; cache: RepoCache; locked?: PinnedModel["locked"] },
  options: PullOptions,
): Promise<FetchedFile> {
  const { client } = options;
  const emit = options.onEvent ?? (() => {});
  emit({ type: "file-start", repo: model.repo, path: file.path, size: file.size });
  const locked = model.locked?.[file.path];
  const disagrees = lockDisagrees(file, locked);
  if (disagrees !== undefined) {
    const scan = makeNode({
      path: file.path,
      format: "unknown",
      size: file.size,
      findings: [disagrees],
    });
    return { file, scan };
  }
  const result = await downloadToCache({
    cache: model.cache,
    path: file.path,
    url: client.resolveUrl(model.repo, model.commit, file.path),
    expected: {
      size: file.size,
      gitOid: file.gitOid,
      lfsSha256: file.lfs?.sha256,
      lockedSha256: locked?.sha256,
    },
    ...client.transferOptions(),
    auth: client.authFor(),
    onBytes: (bytes) => emit({ type: "bytes", repo: model.repo, path: file.path, bytes }),
  });
  if (result.status === "mismatch") {
    const scan = makeNode({
      path: file.path,
      format: "unknown",
      size: file.size,
      findings: [result.finding],
    });
    return { file, scan };
  }
  const scan = await scanBlob(result.blobPath, file.path, options.policy.scan);
  return { file, blob: { id: result.blobId, path: result.blobPath, sha256: result.sha256 }, scan };
}

/** Link what policy admits; remove blocked bytes from the cache. */
function settle(
  fetched: FetchedFile,
  node: ScanNode,
  model: { repo: string; commit: string; cache: RepoCache },
  options: PullOptions,
): PulledFile {
  const { file } = fetched;
  const base = {
    path: file.path,
    size: file.size,
    gitOid: file.gitOid,
    lfs: file.lfs !== undefined,
  };
  const emit = options.onEvent ?? (() => {});
  if (fetched.blob === undefined) {
    unlinkSnapshot(model.cache, model.commit, file.path);
    emit({
      type: "file-done",
      repo: model.repo,
      path: file.path,
      status: "mismatch",
      verdict: node.verdict,
    });
    return { ...base, sha256: undefined, status: "mismatch", scan: node, rawVerdict: node.verdict };
  }
  const scan = withAccepted(node, fetched.blob.sha256, {
    model: model.repo,
    accepted: options.policy.acceptedFindings,
    today: options.today,
  });
  const status = verdictBlocks(scan.verdict) ? "blocked" : "linked";
  if (status === "linked") linkSnapshot(model.cache, model.commit, file.path, fetched.blob.id);
  else {
    // Blocked bytes leave the cache entirely: nothing a loader could find by hand either.
    unlinkSnapshot(model.cache, model.commit, file.path);
    removeBlob(fetched.blob.path);
  }
  emit({ type: "file-done", repo: model.repo, path: file.path, status, verdict: scan.verdict });
  return { ...base, sha256: fetched.blob.sha256, status, scan, rawVerdict: node.verdict };
}

async function pullModel(request: ModelRequest, options: PullOptions): Promise<PulledModel> {
  const emit = options.onEvent ?? (() => {});
  const decision = evaluateOrgPolicy(
    request.repo,
    options.policy.organizations,
    options.policy.project,
  );
  const pin = options.pinned?.get(request.repo);
  if (!decision.allowed) {
    emit({ type: "denied", repo: request.repo, decision });
    return {
      repo: request.repo,
      requested: request.ref,
      commit: pin?.commit ?? "",
      revision: undefined,
      decision,
      findings: policyFindings(request.repo, decision),
      files: [],
      snapshotDir: undefined,
      verdict: "suspicious",
    };
  }
  const { revision } = await options.client.resolveModel(request.repo, pin?.commit ?? request.ref);
  const commit = revision.commit;
  emit({ type: "resolved", repo: request.repo, commit, requested: request.ref });
  const cache = new RepoCache(options.cacheDir, request.repo);
  const listed = await options.client.listRepoFiles(request.repo, commit);
  const keep = compileGlobFilter({ include: request.include, exclude: request.exclude });
  const findings: Finding[] = [];
  let files = listed.filter((f) => keep(f.path));
  if (pin !== undefined) {
    const byPath = new Map(listed.map((f) => [f.path, f]));
    files = [];
    for (const path of pin.files) {
      const f = byPath.get(path);
      if (f === undefined) {
        findings.push(
          finding(
            "LOCK_MISSING_ENTRY",
            "malicious",
            `${request.repo}/${path} is in the lock but not in the Hub's tree at ${commit}.`,
          ),
        );
      } else files.push(f);
    }
  }
  // A tree the filesystem cannot hold fails before any byte is downloaded.
  cache.checkTreeFits(
    commit,
    files.map((f) => f.path),
  );
  emit({
    type: "files",
    repo: request.repo,
    count: files.length,
    bytes: files.reduce((n, f) => n + f.size, 0),
  });
  const where = { repo: request.repo, commit, cache, locked: pin?.locked };
  const fetched = await mapBounded(files, options.concurrency ?? 4, (f) =>
    fetchFile(f, where, options),
  );
  const nodes = await scanRepoLevel(
    fetched.map((f) => ({ path: f.file.path, blobPath: f.blob?.path, scan: f.scan })),
    options.policy.scan,
  );
  const pulled = fetched.map((f, i) => settle(f, nodes[i]!, where, options));
  const signature = await checkHubSignature({
    repo: request.repo,
    commit,
    tree: listed,
    client: options.client,
    policy: options.policy.signatures,
    known: new Map(pulled.flatMap((f) => (f.sha256 ? [[f.path, f.sha256] as const] : []))),
    localDir: cache.snapshotDir(commit),
    localFiles: new Set(pulled.filter((f) => f.status === "linked").map((f) => f.path)),
  });
  const signatureBlocks = signature?.findings.filter((f) => f.verdict !== "clean") ?? [];
  findings.push(...signatureBlocks);
  // A model whose required signature fails is not admitted: no loader may find its files.
  if (signatureBlocks.length > 0) {
    for (const f of pulled) {
      if (f.status !== "linked") continue;
      unlinkSnapshot(cache, commit, f.path);
      f.status = "blocked";
    }
  }
  // refs/ as the official client writes them, so it finds this snapshot by the same revision.
  if (pin?.ref !== undefined) {
    const source = await lockedRefSource(options.client, request.repo, pin.ref, commit);
    writeCacheRefs(cache, pin.ref, commit, source);
  } else writeCacheRefs(cache, request.ref, commit, revision.source);
  return {
    repo: request.repo,
    requested: request.ref,
    commit,
    revision,
    decision,
    findings,
    files: pulled,
    snapshotDir: cache.snapshotDir(commit),
    verdict: worstVerdict([
      ...findings.map((f) => f.verdict),
      ...pulled.map((f) => f.scan.verdict),
    ]),
    ...(signature ? { signature } : {}),
  };
}

export async function pullModels(options: PullOptions): Promise<PulledModel[]> {
  const out: PulledModel[] = [];
  for (const request of options.models) out.push(await pullModel(request, options));
  return out;
}
