/**
 * The fixture Hub's in-memory git model: repos loaded from `fixtures/hub/repos/<org>/<name>/repo.json`
 * (data, see fixtures/hub/README.md), with every id computed (never typed) by ./git-objects.ts.
 * Also the run-time mutations tests use (move a branch, push a commit, make a commit vanish).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { z } from "zod";
import {
  gitBlobId,
  gitCommitId,
  gitTreeId,
  lfsPointerText,
  sha1Hex,
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

const FileSpecSchema = z.union([
  z.string(),
  z
    .object({
      text: z.string().optional(),
      source: z.string().optional(),
      base64: z.string().optional(),
      repeat: z.object({ pattern: z.string(), size: z.number().int().nonnegative() }).optional(),
      lfs: z.boolean().optional(),
      security: z.enum(["safe", "unsafe", "caution"]).optional(),
    })
    .strict()
    .refine(
      (s) => [s.text, s.source, s.base64, s.repeat].filter((v) => v !== undefined).length === 1,
      "exactly one of text, source, base64, repeat",
    ),
]);
export type FileSpec = z.infer<typeof FileSpecSchema>;

const CommitSpecSchema = z
  .object({
    key: z.string().min(1),
    parent: z.string().nullable().optional(),
    message: z.string().min(1),
    author: z.string().default("fixture-bot"),
    date: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z$/),
    files: z.record(z.string(), FileSpecSchema.nullable()),
  })
  .strict();

const RepoSpecSchema = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/),
    purpose: z.string(),
    private: z.boolean().default(false),
    gated: z.union([z.literal(false), z.literal("auto"), z.literal("manual")]).default(false),
    disabled: z.boolean().default(false),
    defaultBranch: z.string().default("main"),
    info: z
      .object({
        pipeline_tag: z.string().optional(),
        library_name: z.string().optional(),
        tags: z.array(z.string()).default([]),
        downloads: z.number().int().default(0),
        likes: z.number().int().default(0),
        createdAt: z.string().optional(),
        cardData: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .default({ tags: [], downloads: 0, likes: 0 }),
    commits: z.array(CommitSpecSchema).min(1),
    branches: z.record(z.string(), z.string()),
    tags: z.record(z.string(), z.string()).default({}),
    pullRequests: z.record(z.string().regex(/^\d+$/), z.string()).default({}),
  })
  .strict();
export type RepoSpec = z.infer<typeof RepoSpecSchema>;

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
  info: RepoSpec["info"];
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

function repeatBytes(pattern: string, size: number): Buffer {
  const unit = Buffer.from(pattern, "utf8");
  if (unit.length === 0) throw new Error("repeat pattern must not be empty");
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = unit[i % unit.length]!;
  return out;
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

export function loadRepoSpec(file: string, projectRoot: string): Repo {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw new Error(`fixture hub: cannot read ${file}`, { cause });
  }
  const parsed = RepoSpecSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(
      `fixture hub: ${file}: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  const spec = parsed.data;
  const fixturesRoot = resolve(projectRoot, "fixtures");
  const readSpec = (path: string, fileSpec: FileSpec): StoredFile => {
    if (typeof fileSpec === "string") return makeStoredFile(path, Buffer.from(fileSpec, "utf8"));
    let bytes: Buffer;
    if (fileSpec.text !== undefined) bytes = Buffer.from(fileSpec.text, "utf8");
    else if (fileSpec.base64 !== undefined) bytes = Buffer.from(fileSpec.base64, "base64");
    else if (fileSpec.repeat) bytes = repeatBytes(fileSpec.repeat.pattern, fileSpec.repeat.size);
    else {
      const src = resolve(projectRoot, fileSpec.source!);
      if (!src.startsWith(fixturesRoot + sep)) {
        throw new Error(`fixture hub: ${file}: source ${fileSpec.source} is outside fixtures/`);
      }
      try {
        bytes = readFileSync(src);
      } catch (cause) {
        throw new Error(`fixture hub: ${file}: missing source ${fileSpec.source}`, { cause });
      }
    }
    return makeStoredFile(path, bytes, { lfs: fileSpec.lfs, security: fileSpec.security });
  };

  const byKey = new Map<string, Commit>();
  const commits = new Map<string, Commit>();
  let previous: Commit | null = null;
  for (const c of spec.commits) {
    if (byKey.has(c.key)) throw new Error(`fixture hub: ${file}: duplicate commit key ${c.key}`);
    let parent: Commit | null = previous;
    if (c.parent !== undefined) {
      parent = c.parent === null ? null : (byKey.get(c.parent) ?? null);
      if (c.parent !== null && !parent) {
        throw new Error(`fixture hub: ${file}: commit ${c.key} has unknown parent ${c.parent}`);
      }
    }
    const changes = new Map<string, StoredFile | null>();
    for (const [path, fs] of Object.entries(c.files)) {
      changes.set(path, fs === null ? null : readSpec(path, fs));
    }
    const commit = buildCommit({
      parent,
      message: c.message,
      author: c.author,
      date: c.date,
      changes,
    });
    byKey.set(c.key, commit);
    commits.set(commit.id, commit);
    previous = commit;
  }
  const refMap = (refs: Record<string, string>, kind: string): Map<string, string> => {
    const out = new Map<string, string>();
    for (const [name, key] of Object.entries(refs)) {
      const commit = byKey.get(key);
      if (!commit) throw new Error(`fixture hub: ${file}: ${kind} ${name} → unknown commit ${key}`);
      out.set(name, commit.id);
    }
    return out;
  };
  const branches = refMap(spec.branches, "branch");
  if (!branches.has(spec.defaultBranch)) {
    throw new Error(`fixture hub: ${file}: default branch ${spec.defaultBranch} missing`);
  }
  return {
    id: spec.id,
    mongoId: sha1Hex(`repo:${spec.id}`).slice(0, 24),
    purpose: spec.purpose,
    private: spec.private,
    gated: spec.gated,
    disabled: spec.disabled,
    defaultBranch: spec.defaultBranch,
    info: spec.info,
    createdAt: spec.info.createdAt ?? spec.commits[0]!.date,
    commits,
    vanished: new Set(),
    branches,
    tags: refMap(spec.tags, "tag"),
    pullRequests: refMap(spec.pullRequests, "pull request"),
  };
}

/** Loads every `<dir>/<org>/<name>/repo.json`; checks the directory matches the declared id. */
export function loadRepos(dir: string, projectRoot: string): Map<string, Repo> {
  const repos = new Map<string, Repo>();
  for (const org of readdirSync(dir).sort()) {
    const orgDir = join(dir, org);
    if (!statSync(orgDir).isDirectory()) continue;
    for (const name of readdirSync(orgDir).sort()) {
      const file = join(orgDir, name, "repo.json");
      try {
        statSync(file);
      } catch {
        continue;
      }
      const repo = loadRepoSpec(file, projectRoot);
      if (repo.id !== `${org}/${name}`) {
        throw new Error(`fixture hub: ${file} declares id ${repo.id}, expected ${org}/${name}`);
      }
      repos.set(repo.id, repo);
    }
  }
  return repos;
}

export type Resolved = { commit: Commit; kind: "branch" | "tag" | "pr" | "sha" | "head" };

/** Resolves a decoded revision string: HEAD, branch, tag, refs/heads|tags|pr/…, or a full SHA. */
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
  return null;
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
