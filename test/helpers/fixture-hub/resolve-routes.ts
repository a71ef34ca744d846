/** `resolve` / `raw` / `api/resolve-cache` (hub-api.md §2.6): redirects, headers, ranges, 304. */
import {
  contentDisposition,
  contentTypeFor,
  type Exchange,
  etagMatches,
  sendFileBytes,
  sendJson,
  sendNotModified,
  sendRedirect,
} from "./http-kit.js";
import { checkAccess, entryNotFound, resolveOrFail, splitRevision } from "./hub-common.js";
import { takeRule } from "./knobs.js";
import type { Commit, Repo } from "./repo-model.js";
import type { Caller, HubState } from "./state.js";

export function resolveFile(
  ex: Exchange,
  state: HubState,
  caller: Caller,
  repoId: string,
  mode: "resolve" | "raw",
  tail: string[],
): void {
  ex.baseHeaders.Vary = "Origin, Accept";
  const repo = checkAccess(ex, state, caller, repoId, "content");
  if (!repo) return;
  const { rev, rest } = splitRevision(repo, tail);
  const commit = resolveOrFail(ex, repo, rev);
  if (!commit) return;
  const asked = rest.join("/");
  // The tokenEcho knob's entries serve the bytes of the file they mirror.
  const path =
    ex.knobs.tokenEcho.length > 0 ? asked.replace(/(^|\/)echo-hf_[A-Za-z0-9_]+-/, "$1") : asked;
  const file = commit.files.get(path);
  if (!file) {
    entryNotFound(ex, commit);
    return;
  }

  if (takeRule(ex.knobs.foreignRedirect, "hub", ex.method, ex.path)) {
    ex.record.fault = "foreignRedirect";
    const target = `/files/${repo.id}/${commit.id}/${mode}/${path}`;
    sendRedirect(
      ex,
      302,
      `${state.foreignUrl}${target.split("/").map(encodeURIComponent).join("/")}`,
      {
        "X-Repo-Commit": commit.id,
      },
    );
    return;
  }

  if (file.lfs && mode === "resolve") {
    const etag = `"${file.sha256}"`;
    const headers: Record<string, string> = {
      "X-Repo-Commit": commit.id,
      "X-Linked-Etag": etag,
      "X-Linked-Size": String(file.size),
      ETag: etag,
      "Accept-Ranges": "bytes",
    };
    if (state.knobs.xet) {
      const xetHash = state.xetHash(file);
      const refreshUrl = `${state.hubUrl}/api/models/${repo.id}/xet-read-token/${commit.id}`;
      const reconstructionUrl = `${state.cdnUrl}/v1/reconstructions/${xetHash}`;
      // The refresh route travels both as the `xet-auth` Link and as X-Xet-Refresh-Route, and the
      // connection info (CAS URL, token, expiry) as headers too, as the real Hub sends them.
      Object.assign(headers, {
        "X-Xet-Hash": xetHash,
        "X-Xet-Refresh-Route": refreshUrl,
        ...state.xetTokenHeaders(commit.id),
        Link:
          `<${refreshUrl}>; rel="xet-auth", ` +
          `<${reconstructionUrl}>; rel="xet-reconstruction-info"`,
      });
      if ((ex.req.headers.accept ?? "").includes("application/vnd.xet-fileinfo+json")) {
        sendJson(
          ex,
          200,
          {
            hash: xetHash,
            refreshUrl,
            reconstructionUrl,
            etag: file.sha256,
            size: file.size,
            ...state.xetToken(commit.id),
          },
          { ...headers, "Content-Type": "application/vnd.xet-fileinfo+json" },
        );
        return;
      }
    }
    if (etagMatches(ex.req.headers["if-none-match"], etag)) {
      sendNotModified(ex, headers);
      return;
    }
    sendRedirect(ex, 302, state.cdnLocation(repo, file), headers);
    return;
  }

  if (mode === "resolve" && state.knobs.resolveCacheRedirect) {
    const original = `/${repo.id}/resolve/${rev}/${path}`;
    const target = `/api/resolve-cache/models/${repo.id}/${commit.id}/${path}`;
    const location =
      `${target.split("/").map(encodeURIComponent).join("/")}` +
      `?${encodeURIComponent(original)}=&etag=${encodeURIComponent(`"${file.oid}"`)}`;
    sendRedirect(ex, 307, location);
    return;
  }
  serveGitFile(ex, state, repo, commit, path, mode);
}

/** 200/206 for a regular file (or an LFS pointer under /raw/), with the Hub's headers. */
function serveGitFile(
  ex: Exchange,
  state: HubState,
  repo: Repo,
  commit: Commit,
  path: string,
  mode: "resolve" | "raw",
): void {
  const file = commit.files.get(path)!;
  const bytes = file.lfs ? file.gitBytes : state.contentBytes(repo, file);
  sendFileBytes(ex, bytes, `"${file.oid}"`, {
    "Content-Type": file.lfs ? "text/plain; charset=utf-8" : contentTypeFor(path),
    "X-Repo-Commit": commit.id,
    ...(mode === "resolve" ? { "Content-Disposition": contentDisposition(path) } : {}),
  });
}

export function resolveCache(ex: Exchange, state: HubState, caller: Caller, segs: string[]): void {
  ex.baseHeaders.Vary = "Origin, Accept";
  const repo = checkAccess(ex, state, caller, `${segs[0]}/${segs[1]}`, "content");
  if (!repo) return;
  const commit = resolveOrFail(ex, repo, segs[2]!);
  if (!commit) return;
  const path = segs.slice(3).join("/");
  const file = commit.files.get(path);
  if (!file || file.lfs) {
    entryNotFound(ex, commit);
    return;
  }
  serveGitFile(ex, state, repo, commit, path, "resolve");
}
