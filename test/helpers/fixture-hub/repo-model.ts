/**
 * The fixture Hub's in-memory git model (repos, commits, files) with every id computed, never
 * typed, by ./git-objects.ts; revision resolution and history walks. Loading is ./repo-loader.ts.
 */
import {
  gitBlobId,
  gitCommitId,
  gitTreeId,
  lfsPointerText,
  sha256Hex,
  type TreeEntryInput,
} from "./git-objects.js";

/** Extensions the Hub's default .gitattributes routes through LFS (a subset, the weight formats). */
export const LFS_EXTENSIONS = [
  ".7z",
  ".arrow",
  ".bin",
  ".bz2",
  ".ckpt",
  ".ftz",
  ".gguf",
  ".gz",
  ".h5",
  ".joblib",
  ".keras",
  ".mlmodel",
  ".model",
  ".msgpack",
  ".npy",
  ".npz",
  ".onnx",
  ".ot",
  ".parquet",
  ".pb",
  ".pickle",
  ".pkl",
  ".pt",
  ".pth",
  ".rar",
  ".safetensors",
  ".tar",
  ".tflite",
  ".tgz",
  ".xz",
  ".zip",
  ".zst",
] as const;
/** Files at least this big are LFS regardless of extension (the fixture's stand-in for the Hub's rule). */
export const LFS_SIZE_THRESHOLD = 10 * 1024;

export interface RepoInfo {
  pipeline_tag?: string;
  library_name?: string;
  tags: string[];
  downloads: number;
  likes: number;
  createdAt?: string;
  cardData?: Record<string, unknown>;
}

export interface StoredFile {
  path: string;
  bytes: Buffer;
  size: number;
  sha256: string;
  lfs: boolean;
  /** The bytes git stores: the content, or the LFS pointer text. */
  gitBytes: Buffer;
  /** Tree `oid` / sibling `blobId` / resolve ETag: sha1 of `gitBytes`. */
  oid: string;
  security: "safe" | "unsafe" | "caution";
}

export interface Commit {
  id: string;
  parent: string | null;
  title: string;
  body: string;
  message: string;
  author: string;
  date: string;
  treeId: string;
  files: Map<string, StoredFile>;
  /** directory path ("" = root) → tree id */
  dirs: Map<string, string>;
  /** paths added, modified or deleted by this commit relative to its parent */
  changed: Set<string>;
}

export interface Repo {
  id: string;
  mongoId: string;
  purpose: string;
  private: boolean;
  gated: false | "auto" | "manual";
  disabled: boolean;
  defaultBranch: string;
  info: RepoInfo;
  createdAt: string;
  commits: Map<string, Commit>;
  /** commit ids that were made unresolvable (super-squash / force-push) */
  vanished: Set<string>;
  branches: Map<string, string>;
  tags: Map<string, string>;
  pullRequests: Map<string, string>;
}

export function isLfsPath(path: string, size: number): boolean {
  const lower = path.toLowerCase();
  return size >= LFS_SIZE_THRESHOLD || LFS_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

export function makeStoredFile(
  path: string,
  bytes: Buffer,
  opts: { lfs?: boolean; security?: StoredFile["security"] } = {},
): StoredFile {
  const lfs = opts.lfs ?? isLfsPath(path, bytes.length);
  const sha256 = sha256Hex(bytes);
  const gitBytes = lfs ? Buffer.from(lfsPointerText(sha256, bytes.length), "utf8") : bytes;
  return {
    path,
    bytes,
    size: bytes.length,
    sha256,
    lfs,
    gitBytes,
    oid: gitBlobId(gitBytes),
    security: opts.security ?? "safe",
  };
}

function validatePath(path: string): void {
  const bad =
    path === "" ||
    path.startsWith("/") ||
    path.endsWith("/") ||
    path.includes("\\") ||
    path.split("/").some((seg) => seg === "" || seg === "." || seg === "..");
  if (bad) throw new Error(`invalid repo path: ${JSON.stringify(path)}`);
}

/** Computes the tree ids of every directory of a file map; returns the map and the root id. */
export function computeTrees(files: ReadonlyMap<string, StoredFile>): Map<string, string> {
  const children = new Map<string, TreeEntryInput[]>();
  const ensure = (dir: string): TreeEntryInput[] => {
    let list = children.get(dir);
    if (!list) {
      list = [];
      children.set(dir, list);
    }
    return list;
  };
  ensure("");
  for (const file of files.values()) {
    const segs = file.path.split("/");
    for (let i = 1; i < segs.length; i++) ensure(segs.slice(0, i).join("/"));
  }
  const dirs = new Map<string, string>();
  // deepest directories first so each parent sees its children's ids
  const order = [...children.keys()].sort((a, b) => b.split("/").length - a.split("/").length);
  for (const file of files.values()) {
    const cut = file.path.lastIndexOf("/");
    const dir = cut < 0 ? "" : file.path.slice(0, cut);
    ensure(dir).push({ name: file.path.slice(cut + 1), kind: "file", id: file.oid });
  }
  for (const dir of order) {
    if (dir === "") continue;
    const id = gitTreeId(children.get(dir)!);
    dirs.set(dir, id);
    const cut = dir.lastIndexOf("/");
    const parent = cut < 0 ? "" : dir.slice(0, cut);
    ensure(parent).push({ name: dir.slice(cut + 1), kind: "directory", id });
  }
  dirs.set("", gitTreeId(children.get("")!));
  return dirs;
}

export interface NewCommitInput {
  parent: Commit | null;
  message: string;
  author: string;
  date: string;
  /** path → new file, or null to delete */
  changes: ReadonlyMap<string, StoredFile | null>;
}

export function buildCommit(input: NewCommitInput): Commit {
  const files = new Map(input.parent?.files ?? []);
  const changed = new Set<string>();
  for (const [path, file] of input.changes) {
    validatePath(path);
    if (file === null) {
      if (!files.delete(path)) throw new Error(`cannot delete missing path ${path}`);
    } else {
      files.set(path, file);
    }
    changed.add(path);
  }
  for (const path of files.keys()) {
    for (const other of files.keys()) {
      if (other.startsWith(`${path}/`)) throw new Error(`path ${path} is both file and directory`);
    }
  }
  const dirs = computeTrees(files);
  const treeId = dirs.get("")!;
  const message = input.message.replace(/\n+$/, "");
  const nl = message.indexOf("\n");
  const title = nl < 0 ? message : message.slice(0, nl);
  const body = nl < 0 ? "" : message.slice(nl + 1).replace(/^\n+/, "");
  const id = gitCommitId({
    tree: treeId,
    parent: input.parent?.id ?? null,
    authorName: input.author,
    authorEmail: `${input.author}@users.noreply.huggingface.co`,
    date: input.date,
    message,
  });
  return {
    id,
    parent: input.parent?.id ?? null,
    title,
    body,
    message,
    author: input.author,
    date: new Date(Date.parse(input.date)).toISOString(),
    treeId,
    files,
    dirs,
    changed,
  };
}

export type Resolved = { commit: Commit; kind: "branch" | "tag" | "pr" | "sha" | "head" };

/**
 * Resolves a decoded revision string: HEAD, branch, tag, refs/heads|tags|pr/…, a full SHA, or (as
 * the real Hub does) a unique prefix of 7 to 39 hex digits of a live commit. Ref names win over a
 * prefix; a prefix two live commits share resolves to nothing (RevisionNotFound), like git.
 */
export function resolveRevision(repo: Repo, rev: string): Resolved | null {
  const get = (id: string | undefined): Commit | null =>
    id && !repo.vanished.has(id) ? (repo.commits.get(id) ?? null) : null;
  const wrap = (c: Commit | null, kind: Resolved["kind"]): Resolved | null =>
    c ? { commit: c, kind } : null;
  if (rev === "HEAD") return wrap(get(repo.branches.get(repo.defaultBranch)), "head");
  if (repo.branches.has(rev)) return wrap(get(repo.branches.get(rev)), "branch");
  if (repo.tags.has(rev)) return wrap(get(repo.tags.get(rev)), "tag");
  if (rev.startsWith("refs/heads/")) return wrap(get(repo.branches.get(rev.slice(11))), "branch");
  if (rev.startsWith("refs/tags/")) return wrap(get(repo.tags.get(rev.slice(10))), "tag");
  if (rev.startsWith("refs/pr/")) return wrap(get(repo.pullRequests.get(rev.slice(8))), "pr");
  if (/^[0-9a-f]{40}$/.test(rev)) return wrap(get(rev), "sha");
  if (/^[0-9a-f]{7,39}$/.test(rev)) return wrap(uniquePrefix(repo, rev), "sha");
  return null;
}

/** The one live commit whose id starts with `prefix`, or null when none or several do. */
function uniquePrefix(repo: Repo, prefix: string): Commit | null {
  let found: Commit | null = null;
  for (const [id, commit] of repo.commits) {
    if (!id.startsWith(prefix) || repo.vanished.has(id)) continue;
    if (found !== null) return null;
    found = commit;
  }
  return found;
}

/** Every ref name (as a client could write it) used to split "<rev>/<path>" URL tails. */
export function refNames(repo: Repo): string[] {
  const names = ["HEAD"];
  for (const b of repo.branches.keys()) names.push(b, `refs/heads/${b}`);
  for (const t of repo.tags.keys()) names.push(t, `refs/tags/${t}`);
  for (const p of repo.pullRequests.keys()) names.push(`refs/pr/${p}`);
  return names;
}

/** Commits reachable from `start` following first parents, newest first. */
export function history(repo: Repo, start: Commit): Commit[] {
  const out: Commit[] = [];
  let cur: Commit | undefined = start;
  while (cur) {
    out.push(cur);
    cur = cur.parent ? repo.commits.get(cur.parent) : undefined;
  }
  return out;
}

/** The newest commit in `start`'s history that touched `path` (a file, or anything under a dir). */
export function lastCommitFor(repo: Repo, start: Commit, path: string): Commit {
  const chain = history(repo, start);
  for (const c of chain) {
    for (const p of c.changed) {
      if (p === path || p.startsWith(`${path}/`)) return c;
    }
  }
  return chain[chain.length - 1]!;
}
