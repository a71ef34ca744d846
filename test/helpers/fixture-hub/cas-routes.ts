/**
 * The Xet CAS routes, served on the CDN origin (the read token's casUrl), as the public protocol
 * describes them (huggingface.co/docs/xet: api, download-protocol, auth):
 *
 *   GET /v1/reconstructions/{file hash}   terms + fetch_info (one presigned URL per chunk range)
 *   GET /v2/reconstructions/{file hash}   terms + xorbs (one URL per xorb, its chunk/byte ranges)
 *   GET /xorbs/default/{xorb hash}?…      the presigned transfer URL: 206 for a Range inside the
 *                                          signed ranges, 403 otherwise (no Range included)
 *
 * Reconstruction needs `Authorization: Bearer <token from xet-read-token>` (401 without or with an
 * unknown one), answers 400 for a malformed hash, 404 for a file the token's repo does not hold,
 * 416 for a Range starting past the end. Upload routes (xorbs, shards) refuse a read token (403);
 * global dedup answers 404 (nothing tracked). Every request is in `hub.requests`.
 */
import { type Exchange, sendError, sendFileBytes, sendJson } from "./http-kit.js";
import type { Repo, StoredFile } from "./repo-model.js";
import type { HubState } from "./state.js";
import { termsForRange, type XetTerm } from "./xet-cas.js";
import { parseXetHex } from "./xet-hash.js";

const EXPIRES = 4102444800; // fixed far future, as the CDN's signed URLs

interface ChunkRange {
  start: number;
  end: number;
  /** inclusive byte range of these chunks in the serialized xorb */
  bytes: { start: number; end: number };
}

/** Distinct chunk ranges asked of each xorb, in first-use order. */
function rangesByXorb(terms: XetTerm[]): Map<string, ChunkRange[]> {
  const out = new Map<string, ChunkRange[]>();
  for (const t of terms) {
    const list = out.get(t.xorb.hash) ?? [];
    if (!list.some((r) => r.start === t.start && r.end === t.end)) {
      list.push({
        start: t.start,
        end: t.end,
        bytes: { start: t.xorb.offsets[t.start]!, end: t.xorb.offsets[t.end]! - 1 },
      });
    }
    out.set(t.xorb.hash, list);
  }
  return out;
}

function signedRanges(ranges: ChunkRange[]): string {
  return ranges.map((r) => `${r.bytes.start}-${r.bytes.end}`).join(",");
}

function xorbUrl(state: HubState, hash: string, ranges: ChunkRange[]): string {
  const path = `/xorbs/default/${hash}`;
  const signed = signedRanges(ranges);
  const sig = state.sign(`${path}\n${signed}`, EXPIRES);
  return `${state.cdnUrl}${path}?X-Xet-Signed-Range=${signed}&Expires=${EXPIRES}&Signature=${sig}`;
}

/** The LFS file of the token's repo (any commit) whose Xet hash is `hash`. */
function findByXetHash(state: HubState, repo: Repo, hash: string): StoredFile | null {
  for (const commit of repo.commits.values()) {
    for (const file of commit.files.values()) {
      if (file.lfs && state.xetHash(file) === hash) return file;
    }
  }
  return null;
}

function reconstruction(ex: Exchange, state: HubState, version: 1 | 2, hashText: string): void {
  if (version === 2 && !state.knobs.xetReconstructionV2) {
    sendError(ex, 404, "Not Found");
    return;
  }
  const m = /^Bearer\s+(\S+)$/i.exec((ex.req.headers.authorization ?? "").trim());
  const repo = m ? state.xetTokenRepo(m[1]!) : null;
  if (!repo) {
    sendError(ex, 401, "Unauthorized: missing or unknown Xet access token");
    return;
  }
  const hash = hashText.toLowerCase();
  if (!parseXetHex(hash)) {
    sendError(ex, 400, `Invalid file hash: ${hashText.slice(0, 80)}`);
    return;
  }
  const file = findByXetHash(state, repo, hash);
  if (!file) {
    sendError(ex, 404, "File not found");
    return;
  }
  const layout = state.xet.layout(state.contentBytes(repo, file));
  let first = 0;
  let last = layout.size - 1;
  const header = ex.req.headers.range;
  if (header !== undefined) {
    const r = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
    if (!r || (r[2] !== "" && Number(r[2]) < Number(r[1]))) {
      sendError(ex, 400, `Invalid range: ${header.slice(0, 80)}`);
      return;
    }
    first = Number(r[1]);
    if (first >= layout.size) {
      sendError(ex, 416, `Range start ${first} is past the end of the file (${layout.size} bytes)`);
      return;
    }
    if (r[2] !== "") last = Math.min(last, Number(r[2]));
  }
  const { terms, offsetIntoFirstRange } =
    layout.size === 0 ? { terms: [], offsetIntoFirstRange: 0 } : termsForRange(layout, first, last);
  state.xet.issue(terms);
  const byXorb = rangesByXorb(terms);
  const body: Record<string, unknown> = {
    offset_into_first_range: offsetIntoFirstRange,
    terms: terms.map((t) => ({
      hash: t.xorb.hash,
      unpacked_length: t.unpackedLength,
      range: { start: t.start, end: t.end },
    })),
  };
  if (version === 1) {
    body.fetch_info = Object.fromEntries(
      [...byXorb].map(([hash, ranges]) => [
        hash,
        ranges.map((r) => ({
          range: { start: r.start, end: r.end },
          url: xorbUrl(state, hash, [r]),
          url_range: r.bytes,
        })),
      ]),
    );
  } else {
    body.xorbs = Object.fromEntries(
      [...byXorb].map(([hash, ranges]) => [
        hash,
        [
          {
            url: xorbUrl(state, hash, ranges),
            ranges: ranges.map((r) => ({ chunks: { start: r.start, end: r.end }, bytes: r.bytes })),
          },
        ],
      ]),
    );
  }
  sendJson(ex, 200, body);
}

function accessDenied(ex: Exchange, why: string): void {
  ex.record.status = 403;
  ex.res.writeHead(403, { ...ex.baseHeaders, "Content-Type": "application/xml" });
  ex.res.end(`<Error><Code>AccessDenied</Code><Message>${why}</Message></Error>`);
}

/** GET /xorbs/default/<hash>?X-Xet-Signed-Range=a-b[,c-d…]&Expires=…&Signature=… with a Range. */
function transfer(ex: Exchange, state: HubState, hash: string): void {
  const signed = ex.url.searchParams.get("X-Xet-Signed-Range") ?? "";
  const expires = Number(ex.url.searchParams.get("Expires"));
  const sig = ex.url.searchParams.get("Signature");
  const xorb = state.xet.issued.get(hash);
  if (!xorb || !sig || sig !== state.sign(`/xorbs/default/${hash}\n${signed}`, expires)) {
    accessDenied(ex, "Access Denied");
    return;
  }
  const m = /^bytes=(\d+)-(\d+)$/.exec((ex.req.headers.range ?? "").trim());
  const start = Number(m?.[1]);
  const end = Number(m?.[2]);
  const allowed = signed.split(",").some((r) => {
    const [a, b] = r.split("-").map(Number);
    return m !== null && start >= a! && end <= b! && start <= end;
  });
  if (!allowed) {
    accessDenied(ex, "Range outside the presigned ranges (a Range header is required)");
    return;
  }
  sendFileBytes(ex, xorb.bytes, `"${hash}"`, { "Content-Type": "application/octet-stream" });
}

/** Answers a CAS route and returns true, or returns false when the path is not one. */
export function handleCas(ex: Exchange, state: HubState): boolean {
  const s = ex.segments;
  const versioned = /^v([12])$/.exec(s[0] ?? "");
  if (s[0] === "xorbs" && s[1] === "default" && s.length === 3) {
    if (ex.method !== "GET") accessDenied(ex, "Method not allowed on a presigned URL");
    else transfer(ex, state, s[2]!);
    return true;
  }
  if (!versioned) return false;
  const [, what, id] = s;
  if (
    what === "reconstructions" &&
    s.length === 3 &&
    (ex.method === "GET" || ex.method === "HEAD")
  ) {
    reconstruction(ex, state, versioned[1] === "1" ? 1 : 2, id!);
    return true;
  }
  if (ex.method === "GET" && what === "chunks") {
    sendError(ex, 404, "Chunk not tracked for global deduplication");
    return true;
  }
  if (ex.method === "POST" && (what === "xorbs" || what === "shards")) {
    sendError(ex, 403, "Forbidden: a read token cannot upload");
    return true;
  }
  sendError(ex, 404, "Not Found");
  return true;
}
