/** JSON bodies of the Hub API (hub-api.md §2.1–2.5) built from the in-memory git model. */
import type { Commit, Repo, StoredFile } from "./repo-model.js";
import { lastCommitFor } from "./repo-model.js";

export const EXPANDABLE_KEYS = new Set([
  "author",
  "baseModels",
  "cardData",
  "config",
  "createdAt",
  "disabled",
  "downloads",
  "downloadsAllTime",
  "evalResults",
  "gated",
  "inference",
  "inferenceProviderMapping",
  "lastModified",
  "library_name",
  "likes",
  "mask_token",
  "model-index",
  "pipeline_tag",
  "private",
  "safetensors",
  "sha",
  "siblings",
  "spaces",
  "tags",
  "transformersInfo",
  "trendingScore",
  "widgetData",
  "gguf",
  "resourceGroup",
  "xetEnabled",
  "childrenModelCount",
  "usedStorage",
]);

export type TreeEntry = Record<string, unknown>;

function lastCommitJson(repo: Repo, at: Commit, path: string): Record<string, string> {
  const c = lastCommitFor(repo, at, path);
  return { id: c.id, title: c.title, date: c.date };
}

function securityJson(file: StoredFile): Record<string, unknown> {
  return {
    status: file.security,
    avScan: { virusFound: false, virusNames: null },
    ...(file.security === "safe"
      ? {}
      : { pickleImportScan: { highestSafetyLevel: "dangerous", imports: [] } }),
  };
}

/** How entries are rendered: `expand` adds lastCommit/security; `xetHash` (if given) labels LFS files. */
export interface EntryOptions {
  expand: boolean;
  xetHash?: (file: StoredFile) => string;
}

export function fileEntry(repo: Repo, at: Commit, file: StoredFile, opts: EntryOptions): TreeEntry {
  const expand = opts.expand;
  return {
    type: "file",
    oid: file.oid,
    size: file.size,
    ...(file.lfs
      ? { lfs: { oid: file.sha256, size: file.size, pointerSize: file.gitBytes.length } }
      : {}),
    ...(file.lfs && opts.xetHash ? { xetHash: opts.xetHash(file) } : {}),
    path: file.path,
    ...(expand
      ? { lastCommit: lastCommitJson(repo, at, file.path), securityFileStatus: securityJson(file) }
      : {}),
  };
}

export function dirEntry(repo: Repo, at: Commit, dir: string, opts: EntryOptions): TreeEntry {
  const expand = opts.expand;
  return {
    type: "directory",
    oid: at.dirs.get(dir)!,
    size: 0,
    path: dir,
    ...(expand ? { lastCommit: lastCommitJson(repo, at, dir) } : {}),
  };
}

/** Entry for one path (file or directory) or null when it does not exist at the commit. */
export function pathEntry(
  repo: Repo,
  at: Commit,
  path: string,
  opts: EntryOptions,
): TreeEntry | null {
  const file = at.files.get(path);
  if (file) return fileEntry(repo, at, file, opts);
  if (path !== "" && at.dirs.has(path)) return dirEntry(repo, at, path, opts);
  return null;
}

/** Tree listing under `base` ("" = root); null when `base` is not a directory. */
export function listTree(
  repo: Repo,
  at: Commit,
  base: string,
  recursive: boolean,
  opts: EntryOptions,
): TreeEntry[] | null {
  if (base !== "" && !at.dirs.has(base)) return null;
  const prefix = base === "" ? "" : `${base}/`;
  const within = (p: string): boolean =>
    p.startsWith(prefix) && (recursive || !p.slice(prefix.length).includes("/"));
  const paths: Array<{ path: string; dir: boolean }> = [];
  for (const dir of at.dirs.keys())
    if (dir !== "" && within(dir)) paths.push({ path: dir, dir: true });
  for (const path of at.files.keys()) if (within(path)) paths.push({ path, dir: false });
  paths.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return paths.map((p) =>
    p.dir ? dirEntry(repo, at, p.path, opts) : fileEntry(repo, at, at.files.get(p.path)!, opts),
  );
}

function configJson(at: Commit): Record<string, unknown> | undefined {
  const file = at.files.get("config.json");
  if (!file) return undefined;
  try {
    const parsed = JSON.parse(file.bytes.toString("utf8")) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of ["architectures", "model_type", "auto_map", "quantization_config"]) {
      if (parsed[key] !== undefined) out[key] = parsed[key];
    }
    return out;
  } catch {
    return undefined;
  }
}

export interface InfoOptions {
  expand: string[];
  blobs: boolean;
  securityStatus: boolean;
}

/** `/api/models/{repo}[/revision/{rev}]` body; with `expand`, only _id, id and those keys. */
export function modelInfo(repo: Repo, at: Commit, opts: InfoOptions): Record<string, unknown> {
  const files = [...at.files.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const siblings = files.map((f) =>
    opts.blobs
      ? {
          rfilename: f.path,
          blobId: f.oid,
          size: f.size,
          ...(f.lfs
            ? { lfs: { sha256: f.sha256, size: f.size, pointerSize: f.gitBytes.length } }
            : {}),
        }
      : { rfilename: f.path },
  );
  const config = configJson(at);
  const library = repo.info.library_name;
  const author = repo.id.split("/")[0]!;
  const full: Record<string, unknown> = {
    _id: repo.mongoId,
    id: repo.id,
    modelId: repo.id,
    author,
    sha: at.id,
    lastModified: at.date,
    createdAt: new Date(Date.parse(repo.createdAt)).toISOString(),
    private: repo.private,
    gated: repo.gated,
    disabled: repo.disabled,
    downloads: repo.info.downloads,
    downloadsAllTime: repo.info.downloads,
    likes: repo.info.likes,
    ...(library ? { library_name: library } : {}),
    ...(repo.info.pipeline_tag ? { pipeline_tag: repo.info.pipeline_tag } : {}),
    tags: repo.info.tags,
    ...(config ? { config } : {}),
    ...(repo.info.cardData ? { cardData: repo.info.cardData } : {}),
    ...(library === "transformers" && config
      ? {
          transformersInfo: {
            auto_model: "AutoModel",
            ...(repo.info.pipeline_tag ? { pipeline_tag: repo.info.pipeline_tag } : {}),
            processor: "AutoTokenizer",
          },
        }
      : {}),
    spaces: [],
    trendingScore: 0,
    xetEnabled: false,
    childrenModelCount: 0,
    usedStorage: files.reduce((n, f) => n + f.size, 0),
    siblings,
  };
  let out: Record<string, unknown>;
  if (opts.expand.length > 0) {
    out = { _id: full._id, id: full.id };
    for (const key of opts.expand) if (full[key] !== undefined) out[key] = full[key];
  } else {
    out = full;
  }
  if (opts.securityStatus) {
    out.securityRepoStatus = {
      scansDone: true,
      filesWithIssues: files
        .filter((f) => f.security !== "safe")
        .map((f) => ({ path: f.path, level: f.security })),
    };
  }
  return out;
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** One /commits item; `formatted` (expand[]=formatted) adds HTML-escaped title and message. */
export function commitJson(c: Commit, formatted = false): Record<string, unknown> {
  return {
    id: c.id,
    title: c.title,
    message: c.body,
    authors: [
      {
        user: c.author,
        avatar: `https://cdn-avatars.huggingface.co/v1/production/uploads/${c.author}.png`,
      },
    ],
    date: c.date,
    ...(formatted
      ? {
          formatted: {
            title: escapeHtml(c.title),
            message: c.body ? `<p>${escapeHtml(c.body)}</p>` : "",
          },
        }
      : {}),
  };
}

export function refsJson(repo: Repo, includePrs: boolean): Record<string, unknown> {
  const list = (m: Map<string, string>, prefix: string) =>
    [...m.entries()]
      .filter(([, id]) => !repo.vanished.has(id))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, id]) => ({ name, ref: `${prefix}${name}`, targetCommit: id }));
  return {
    branches: list(repo.branches, "refs/heads/"),
    converts: [],
    tags: list(repo.tags, "refs/tags/"),
    ...(includePrs ? { pullRequests: list(repo.pullRequests, "refs/pr/") } : {}),
  };
}
