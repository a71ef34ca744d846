/**
 * The two other loopback origins. The "CDN" serves LFS objects from signed URLs and never looks at
 * Authorization; the "foreign" origin is the target of the cross-origin redirect knob and serves
 * any file so the download can complete while the test checks what headers arrived there.
 */

import { handleCas } from "./cas-routes.js";
import {
  answerStatusFaults,
  contentDisposition,
  type Exchange,
  type StatusFaultWording,
  sendFileBytes,
} from "./http-kit.js";
import type { HubState } from "./state.js";

const CDN_FAULTS: StatusFaultWording = {
  rateLimited: () => "Too Many Requests",
  serverError: "Service Unavailable",
  defaultServerStatus: 503,
};

function preFaults(ex: Exchange): boolean {
  return answerStatusFaults(ex, CDN_FAULTS);
}

function accessDenied(ex: Exchange): void {
  ex.record.status = 403;
  ex.res.writeHead(403, { ...ex.baseHeaders, "Content-Type": "application/xml" });
  ex.res.end("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>");
}

/** GET|HEAD /lfs/<sha256>/<org>/<name>/<path…>?Expires=…&Signature=…, and the Xet CAS routes. */
export function handleCdn(ex: Exchange, state: HubState): void {
  if (preFaults(ex)) return;
  const s = ex.segments;
  if (handleCas(ex, state)) return;
  if ((ex.method !== "GET" && ex.method !== "HEAD") || s[0] !== "lfs" || s.length < 5) {
    accessDenied(ex);
    return;
  }
  const sha256 = s[1]!;
  const repoId = `${s[2]}/${s[3]}`;
  const path = s.slice(4).join("/");
  const expires = Number(ex.url.searchParams.get("Expires"));
  const signature = ex.url.searchParams.get("Signature");
  if (!signature || signature !== state.sign(`/lfs/${sha256}/${repoId}/${path}`, expires)) {
    accessDenied(ex);
    return;
  }
  const repo = state.repos.get(repoId);
  const file = repo ? state.findLfsObject(repo, sha256, path) : null;
  if (!repo || !file) {
    accessDenied(ex);
    return;
  }
  sendFileBytes(ex, state.contentBytes(repo, file), `"${file.sha256}"`, {
    "Content-Type": "application/octet-stream",
    "Content-Disposition": contentDisposition(path),
    "Access-Control-Allow-Origin": "*",
  });
}

/** GET|HEAD /files/<org>/<name>/<commit>/<resolve|raw>/<path…> */
export function handleForeign(ex: Exchange, state: HubState): void {
  if (preFaults(ex)) return;
  const s = ex.segments;
  if ((ex.method !== "GET" && ex.method !== "HEAD") || s[0] !== "files" || s.length < 6) {
    accessDenied(ex);
    return;
  }
  const repo = state.repos.get(`${s[1]}/${s[2]}`);
  const commit = repo?.commits.get(s[3]!);
  const mode = s[4];
  const file = commit?.files.get(s.slice(5).join("/"));
  if (!repo || !file || (mode !== "resolve" && mode !== "raw")) {
    accessDenied(ex);
    return;
  }
  const pointer = file.lfs && mode === "raw";
  const bytes = pointer ? file.gitBytes : state.contentBytes(repo, file);
  const etag = file.lfs && !pointer ? `"${file.sha256}"` : `"${file.oid}"`;
  sendFileBytes(ex, bytes, etag, { "Content-Type": "application/octet-stream" });
}
