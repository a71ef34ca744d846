/** The Hub origin: routing, access control (§2.7), rate-limit headers, and each endpoint. */
import { answerStatusFaults, type Exchange, readBody, sendError, sendJson } from "./http-kit.js";
import {
  boolParam,
  checkAccess,
  entryNotFound,
  intParam,
  nextLink,
  resolveOrFail,
  splitRevision,
} from "./hub-common.js";
import { takeRule } from "./knobs.js";
import { history } from "./repo-model.js";
import { resolveCache, resolveFile } from "./resolve-routes.js";
import {
  commitJson,
  type EntryOptions,
  EXPANDABLE_KEYS,
  listTree,
  modelInfo,
  pathEntry,
  refsJson,
} from "./shapes.js";
import type { Caller, HubState } from "./state.js";

/** Per 5-minute window (hub-api.md §6, Sept 2025): anonymous callers per IP, and free users. */
const QUOTAS = {
  anonymous: { api: 500, resolvers: 3000, pages: 100 },
  user: { api: 1000, resolvers: 5000, pages: 200 },
} as const;
type Bucket = keyof (typeof QUOTAS)["user"];

function bucketOf(path: string): Bucket {
  if (path.includes("/resolve/") || path.startsWith("/api/resolve-cache/")) return "resolvers";
  if (path.startsWith("/api/")) return "api";
  return "pages";
}

function entryOptions(state: HubState, expand: boolean): EntryOptions {
  return { expand, xetHash: state.knobs.xet ? (f) => state.xetHash(f) : undefined };
}

export async function handleHub(ex: Exchange, state: HubState): Promise<void> {
  const bucket = bucketOf(ex.path);
  const caller = state.caller(ex.req.headers.authorization);
  const who = caller.kind === "user" ? caller.user : "anonymous";
  const used = (state.bucketCounts.get(`${who}\0${bucket}`) ?? 0) + 1;
  state.bucketCounts.set(`${who}\0${bucket}`, used);
  const quota = QUOTAS[caller.kind === "user" ? "user" : "anonymous"][bucket];
  ex.baseHeaders.RateLimit = `"${bucket}";r=${Math.max(0, quota - used)};t=300`;
  ex.baseHeaders["RateLimit-Policy"] = `"fixed window";"${bucket}";q=${quota};w=300`;

  const redirect = takeRule(state.knobs.redirect, "hub", ex.method, ex.path);
  if (redirect) {
    ex.record.fault = "redirect";
    ex.record.status = redirect.status ?? 302;
    // writeHead validates header values; a malformed Location is still sent as given.
    ex.res.writeHead(redirect.status ?? 302, { ...ex.baseHeaders, Location: redirect.location });
    ex.res.end();
    return;
  }

  const faulted = answerStatusFaults(ex, {
    rateLimited: (wait) =>
      `You have been rate-limited; you can retry this action in about ${wait} seconds.`,
    rateLimitHeaders: (wait) => ({ RateLimit: `"${bucket}";r=0;t=${wait}` }),
    serverError: "Internal Error - We're working hard to fix this as soon as possible!",
    defaultServerStatus: 500,
  });
  if (faulted) return;

  if (caller.kind === "invalid") {
    sendError(ex, 401, "Invalid credentials in Authorization header");
    return;
  }

  const s = ex.segments;
  const isRead = ex.method === "GET" || ex.method === "HEAD";
  if (s[0] === "api") {
    if (s[1] === "whoami-v2" && s.length === 2 && isRead) return whoami(ex, caller);
    if (s[1] === "resolve-cache" && s[2] === "models" && s.length >= 7 && isRead) {
      return resolveCache(ex, state, caller, s.slice(3));
    }
    if (s[1] === "models" && s.length >= 4) {
      const repoId = `${s[2]}/${s[3]}`;
      const action = s[4];
      const tail = s.slice(5);
      if (action === undefined && isRead) return info(ex, state, caller, repoId, null);
      if (action === "revision" && tail.length >= 1 && isRead)
        return info(ex, state, caller, repoId, tail);
      if (action === "tree" && tail.length >= 1 && isRead)
        return tree(ex, state, caller, repoId, tail);
      if (action === "paths-info" && tail.length >= 1 && ex.method === "POST") {
        return pathsInfo(ex, state, caller, repoId, tail);
      }
      if (action === "refs" && tail.length === 0 && isRead) return refs(ex, state, caller, repoId);
      if (action === "xet-read-token" && tail.length >= 1 && isRead) {
        return xetReadToken(ex, state, caller, repoId, tail);
      }
      if (action === "auth-check" && tail.length === 0 && isRead)
        return authCheck(ex, state, caller, repoId);
      if (action === "treesize" && tail.length >= 1 && isRead)
        return treeSize(ex, state, caller, repoId, tail);
      if (action === "commits" && tail.length >= 1 && isRead)
        return commits(ex, state, caller, repoId, tail);
    }
    sendError(ex, 404, "Sorry, we can't find the page you are looking for.");
    return;
  }
  if (s.length >= 5 && (s[2] === "resolve" || s[2] === "raw") && isRead) {
    return resolveFile(ex, state, caller, `${s[0]}/${s[1]}`, s[2], s.slice(3));
  }
  sendError(ex, 404, "Sorry, we can't find the page you are looking for.");
}

function whoami(ex: Exchange, caller: Caller): void {
  if (caller.kind !== "user") {
    sendError(ex, 401, "Invalid username or password.");
    return;
  }
  sendJson(ex, 200, {
    type: "user",
    id: caller.user,
    name: caller.user,
    fullname: caller.user,
    auth: {
      type: "access_token",
      accessToken: { displayName: `${caller.user}-fixture`, role: "read" },
    },
  });
}

function info(
  ex: Exchange,
  state: HubState,
  caller: Caller,
  repoId: string,
  revSegs: string[] | null,
): void {
  const repo = checkAccess(ex, state, caller, repoId, revSegs ? "content" : "meta");
  if (!repo) return;
  const expand = [
    ...ex.url.searchParams.getAll("expand"),
    ...ex.url.searchParams.getAll("expand[]"),
  ];
  const bad = expand.find((k) => !EXPANDABLE_KEYS.has(k));
  if (bad !== undefined) {
    sendError(
      ex,
      400,
      `"expand" must be one of [${[...EXPANDABLE_KEYS].join(", ")}]; got ${JSON.stringify(bad)}`,
    );
    return;
  }
  const rev = revSegs ? revSegs.join("/") : repo.defaultBranch;
  const commit = resolveOrFail(ex, repo, rev);
  if (!commit) return;
  sendJson(
    ex,
    200,
    modelInfo(repo, commit, {
      expand,
      blobs: boolParam(ex.url.searchParams.get("blobs")),
      securityStatus: boolParam(ex.url.searchParams.get("securityStatus")),
    }),
  );
}

function tree(ex: Exchange, state: HubState, caller: Caller, repoId: string, tail: string[]): void {
  const repo = checkAccess(ex, state, caller, repoId, "content");
  if (!repo) return;
  const { rev, rest } = splitRevision(repo, tail);
  const commit = resolveOrFail(ex, repo, rev);
  if (!commit) return;
  const q = ex.url.searchParams;
  const expand = boolParam(q.get("expand"));
  const entries = listTree(
    repo,
    commit,
    rest.join("/"),
    boolParam(q.get("recursive")),
    entryOptions(state, expand),
  );
  if (!entries) {
    entryNotFound(ex, commit);
    return;
  }
  const requested = intParam(q.get("limit"), expand ? 100 : 1000);
  if (requested === null || requested === 0) {
    sendError(ex, 400, "Invalid limit");
    return;
  }
  const pageSize = Math.min(requested, state.knobs.pageSize ?? Number.POSITIVE_INFINITY);
  let offset = 0;
  const cursor = q.get("cursor");
  if (cursor !== null) {
    const decoded = decodeCursor(cursor);
    if (decoded === null) {
      sendError(ex, 400, "Invalid cursor");
      return;
    }
    offset = decoded;
  }
  const echo =
    caller.kind === "user" ? takeRule(state.knobs.tokenEcho, "hub", ex.method, ex.path) : null;
  if (echo && caller.kind === "user") {
    const original = entries.find((e) => e.path === echo.copyOf);
    if (original) {
      ex.record.fault = "tokenEcho";
      entries.push({ ...original, path: echoPath(echo.copyOf, caller.token) });
    }
  }
  const page = entries.slice(offset, offset + pageSize);
  const headers: Record<string, string> = {};
  if (offset + pageSize < entries.length) {
    headers.Link = nextLink(state, ex, { cursor: encodeCursor(offset + pageSize) });
  }
  sendJson(ex, 200, page, headers);
}

/** `dir/name` → `dir/echo-<token>-name` (the tokenEcho knob); resolve maps it back. */
export function echoPath(path: string, token: string): string {
  const cut = path.lastIndexOf("/") + 1;
  return `${path.slice(0, cut)}echo-${token}-${path.slice(cut)}`;
}

function encodeCursor(offset: number): string {
  return Buffer.from(JSON.stringify({ file_offset: offset }), "utf8").toString("base64url");
}

function decodeCursor(cursor: string): number | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as {
      file_offset?: unknown;
    };
    return typeof v.file_offset === "number" &&
      Number.isInteger(v.file_offset) &&
      v.file_offset >= 0
      ? v.file_offset
      : null;
  } catch {
    return null;
  }
}

async function pathsInfo(
  ex: Exchange,
  state: HubState,
  caller: Caller,
  repoId: string,
  tail: string[],
): Promise<void> {
  const body = await readBody(ex.req, 1 << 20);
  if (body) ex.record.body = body.toString("utf8");
  const repo = checkAccess(ex, state, caller, repoId, "content");
  if (!repo) return;
  const commit = resolveOrFail(ex, repo, tail.join("/"));
  if (!commit) return;
  if (!body) {
    sendError(ex, 413, "Payload too large");
    return;
  }
  const type = (ex.req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  let paths: unknown;
  let expand: unknown = false;
  if (type === "application/json") {
    try {
      const parsed = JSON.parse(body.toString("utf8")) as { paths?: unknown; expand?: unknown };
      paths = parsed.paths;
      expand = parsed.expand ?? false;
    } catch {
      sendError(ex, 400, "Invalid JSON body");
      return;
    }
  } else if (type === "application/x-www-form-urlencoded") {
    const form = new URLSearchParams(body.toString("utf8"));
    paths = form.getAll("paths");
    expand = boolParam(form.get("expand"));
  } else {
    sendError(ex, 400, `Unsupported content type: ${type || "(none)"}`);
    return;
  }
  if (typeof paths === "string") paths = [paths];
  if (!Array.isArray(paths) || paths.some((p) => typeof p !== "string") || paths.length > 2000) {
    sendError(ex, 400, '"paths" must be an array of at most 2000 strings');
    return;
  }
  if (typeof expand !== "boolean") {
    sendError(ex, 400, '"expand" must be a boolean');
    return;
  }
  const out = [];
  for (const p of paths as string[]) {
    const entry = pathEntry(repo, commit, p.replace(/^\/+|\/+$/g, ""), entryOptions(state, expand));
    if (entry) out.push(entry);
  }
  sendJson(ex, 200, out);
}

/**
 * `GET /api/models/{repo}/xet-read-token/{rev}` (§2.6 g): a token for the (absent) CAS, in the JSON
 * body (what @huggingface/hub reads) and in X-Xet-* headers (all huggingface_hub 1.x reads).
 */
function xetReadToken(
  ex: Exchange,
  state: HubState,
  caller: Caller,
  repoId: string,
  tail: string[],
): void {
  const repo = checkAccess(ex, state, caller, repoId, "content");
  if (!repo) return;
  const commit = resolveOrFail(ex, repo, tail.join("/"));
  if (!commit) return;
  sendJson(ex, 200, state.xetToken(commit.id), state.xetTokenHeaders(commit.id));
}

/** `GET /api/models/{repo}/auth-check`: 200 when the caller may read the files, else the §2.7 error. */
function authCheck(ex: Exchange, state: HubState, caller: Caller, repoId: string): void {
  if (!checkAccess(ex, state, caller, repoId, "content")) return;
  sendJson(ex, 200, { ok: true });
}

/** `GET /api/models/{repo}/treesize/{rev}/{path}`: total content bytes under a path (LFS sizes). */
function treeSize(
  ex: Exchange,
  state: HubState,
  caller: Caller,
  repoId: string,
  tail: string[],
): void {
  const repo = checkAccess(ex, state, caller, repoId, "content");
  if (!repo) return;
  const { rev, rest } = splitRevision(repo, tail);
  const commit = resolveOrFail(ex, repo, rev);
  if (!commit) return;
  const path = rest.join("/");
  const file = commit.files.get(path);
  if (path !== "" && !file && !commit.dirs.has(path)) {
    entryNotFound(ex, commit);
    return;
  }
  let size = file?.size ?? 0;
  if (!file) {
    for (const f of commit.files.values())
      if (path === "" || f.path.startsWith(`${path}/`)) size += f.size;
  }
  sendJson(ex, 200, { path, size });
}

function refs(ex: Exchange, state: HubState, caller: Caller, repoId: string): void {
  const repo = checkAccess(ex, state, caller, repoId, "meta");
  if (!repo) return;
  sendJson(ex, 200, refsJson(repo, boolParam(ex.url.searchParams.get("include_prs"))));
}

function commits(
  ex: Exchange,
  state: HubState,
  caller: Caller,
  repoId: string,
  tail: string[],
): void {
  const repo = checkAccess(ex, state, caller, repoId, "content");
  if (!repo) return;
  const { rev, rest } = splitRevision(repo, tail);
  const commit = resolveOrFail(ex, repo, rev);
  if (!commit) return;
  const path = rest.join("/");
  let list = history(repo, commit);
  if (path !== "") {
    if (!commit.files.has(path) && !commit.dirs.has(path)) {
      entryNotFound(ex, commit);
      return;
    }
    list = list.filter((c) => [...c.changed].some((p) => p === path || p.startsWith(`${path}/`)));
  }
  const q = ex.url.searchParams;
  const limit = intParam(q.get("limit"), 50);
  const page = intParam(q.get("p"), 0);
  if (limit === null || page === null || limit === 0) {
    sendError(ex, 400, "Invalid limit or page");
    return;
  }
  const size = Math.min(limit, 1000, state.knobs.pageSize ?? Number.POSITIVE_INFINITY);
  const slice = list.slice(page * size, page * size + size);
  const headers: Record<string, string> = { "X-Total-Count": String(list.length) };
  if ((page + 1) * size < list.length) headers.Link = nextLink(state, ex, { p: String(page + 1) });
  const expand = [...q.getAll("expand"), ...q.getAll("expand[]")];
  const formatted = expand.includes("formatted");
  sendJson(
    ex,
    200,
    slice.map((c) => commitJson(c, formatted)),
    headers,
  );
}
