/** Response writing shared by the three loopback origins: JSON, errors, bytes with ranges, faults. */

import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type BodyFaultRule, type FaultKnobs, type Origin, takeRule } from "./knobs.js";

export interface RecordedRequest {
  origin: Origin;
  method: string;
  /** absolute URL as received */
  url: string;
  /** decoded path, e.g. "/api/models/acme/tiny/tree/main" */
  path: string;
  /** lower-cased header names; repeated headers joined with ", " */
  headers: Record<string, string>;
  /** request body as text (POST only) */
  body?: string;
  /** final status code, set when the response is sent */
  status?: number;
  /** which fault knob, if any, shaped the response */
  fault?:
    | "rateLimit"
    | "serverError"
    | "truncate"
    | "reset"
    | "trickle"
    | "foreignRedirect"
    | "nextLink"
    | "redirect"
    | "tokenEcho";
}

export interface Exchange {
  origin: Origin;
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  /** path segments, each percent-decoded on its own (so "%2F" stays inside its segment) */
  segments: string[];
  path: string;
  record: RecordedRequest;
  knobs: FaultKnobs;
  /** headers added to every response of this origin */
  baseHeaders: Record<string, string>;
}

export type Headers = Record<string, string | number>;

let requestCounter = 0;

export function requestId(): string {
  requestCounter += 1;
  const h = createHash("sha1").update(`request-${requestCounter}`).digest("hex");
  const uuid = `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return `Root=1-${requestCounter.toString(16).padStart(8, "0")}-${h.slice(16, 40)};${uuid}`;
}

export function splitPath(rawPath: string): string[] | null {
  const segs: string[] = [];
  for (const raw of rawPath.split("/").slice(1)) {
    try {
      segs.push(decodeURIComponent(raw));
    } catch {
      return null;
    }
  }
  if (segs.length > 0 && segs[segs.length - 1] === "") segs.pop();
  return segs;
}

function finish(ex: Exchange, status: number, headers: Headers): Headers {
  ex.record.status = status;
  return { ...ex.baseHeaders, ...headers };
}

/** Writes a body, or only headers for HEAD, honouring the truncate/reset knobs for 200/206. */
export function writeBody(ex: Exchange, status: number, headers: Headers, body: Buffer): void {
  const all = finish(ex, status, { "Content-Length": body.length, ...headers });
  if (ex.method === "HEAD") {
    ex.res.writeHead(status, all);
    ex.res.end();
    return;
  }
  if ((status === 200 || status === 206) && body.length > 0) {
    const accept = (rule: BodyFaultRule): boolean => !(rule.onlyFullBodies && status === 206);
    const reset = takeRule(ex.knobs.reset, ex.origin, ex.method, ex.path, accept);
    const truncate = reset
      ? null
      : takeRule(ex.knobs.truncate, ex.origin, ex.method, ex.path, accept);
    const trickle =
      reset || truncate ? null : takeRule(ex.knobs.trickle, ex.origin, ex.method, ex.path, accept);
    if (trickle) {
      ex.record.fault = "trickle";
      ex.res.writeHead(status, all);
      const step = Math.max(1, trickle.bytes ?? 1);
      let sent = 0;
      const timer = setInterval(() => {
        if (sent >= body.length - 1) return; // never the last byte: the client must give up
        ex.res.write(body.subarray(sent, Math.min(sent + step, body.length - 1)));
        sent += step;
      }, trickle.everyMs ?? 20);
      ex.res.on("close", () => clearInterval(timer));
      return;
    }
    const rule = reset ?? truncate;
    if (rule) {
      ex.record.fault = reset ? "reset" : "truncate";
      const cut = Math.max(
        0,
        Math.min(rule.afterBytes ?? Math.floor(body.length / 2), body.length - 1),
      );
      ex.res.writeHead(status, all);
      const kill = (): void => {
        const socket = ex.res.socket;
        if (!socket) return;
        if (reset) socket.resetAndDestroy();
        else socket.destroy();
      };
      if (cut === 0) {
        ex.res.flushHeaders();
        setImmediate(kill);
      } else {
        // One macrotask after the write callback is too early for a reset: libuv then still
        // closes with FIN (observed on Node 20), so wait one more turn before cutting.
        ex.res.write(body.subarray(0, cut), () => setImmediate(() => setImmediate(kill)));
      }
      return;
    }
  }
  ex.res.writeHead(status, all);
  ex.res.end(body);
}

export function sendJson(
  ex: Exchange,
  status: number,
  value: unknown,
  headers: Headers = {},
): void {
  writeBody(
    ex,
    status,
    { "Content-Type": "application/json; charset=utf-8", ...headers },
    Buffer.from(JSON.stringify(value), "utf8"),
  );
}

/** A Hub error (§2.7): X-Error-Code (when given), X-Error-Message, JSON {"error": …}. */
export function sendError(
  ex: Exchange,
  status: number,
  message: string,
  code?: string,
  headers: Headers = {},
): void {
  sendJson(
    ex,
    status,
    { error: message },
    {
      ...(code ? { "X-Error-Code": code } : {}),
      // header values must be Latin-1; the JSON body keeps the exact text
      "X-Error-Message": message.replace(/[^\x20-\x7e]/g, "?"),
      ...headers,
    },
  );
}

export interface StatusFaultWording {
  rateLimited: (waitSeconds: number) => string;
  serverError: string;
  defaultServerStatus: 500 | 502 | 503 | 504;
  /** extra headers of a 429 (e.g. the Hub's RateLimit with r=0) */
  rateLimitHeaders?: (waitSeconds: number) => Headers;
}

/** The rateLimit and serverError knobs: answers 429 / 5xx and returns true when a rule fires. */
export function answerStatusFaults(ex: Exchange, wording: StatusFaultWording): boolean {
  const limited = takeRule(ex.knobs.rateLimit, ex.origin, ex.method, ex.path);
  if (limited) {
    ex.record.fault = "rateLimit";
    const wait = limited.retryAfter ?? 1;
    sendError(ex, 429, wording.rateLimited(wait), undefined, {
      ...wording.rateLimitHeaders?.(wait),
      ...(limited.omitRetryAfter ? {} : { "Retry-After": String(wait) }),
    });
    return true;
  }
  const failing = takeRule(ex.knobs.serverError, ex.origin, ex.method, ex.path);
  if (failing) {
    ex.record.fault = "serverError";
    sendError(ex, failing.status ?? wording.defaultServerStatus, wording.serverError);
    return true;
  }
  return false;
}

export function sendRedirect(
  ex: Exchange,
  status: 302 | 307,
  location: string,
  headers: Headers = {},
): void {
  const body = Buffer.from(
    status === 302
      ? `Found. Redirecting to ${location}`
      : `Temporary Redirect. Redirecting to ${location}`,
    "utf8",
  );
  writeBody(
    ex,
    status,
    { "Content-Type": "text/plain; charset=utf-8", Location: location, ...headers },
    body,
  );
}

export function sendNotModified(ex: Exchange, headers: Headers): void {
  ex.res.writeHead(304, finish(ex, 304, headers));
  ex.res.end();
}

export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === "*") return true;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => t.trim().replace(/^W\//, "") === bare);
}

type RangeResult = { kind: "none" } | { kind: "ok"; start: number; end: number } | { kind: "bad" };

/** A single `bytes=` range (multi-range and other units are ignored: 200 with the whole body). */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return { kind: "none" };
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return { kind: "none" };
  const [, a, b] = m;
  if (a === "" && b === "") return { kind: "none" };
  let start: number;
  let end: number;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0) return { kind: "bad" };
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
    if (b !== "" && Number(b) < start) return { kind: "none" };
  }
  if (start >= size) return { kind: "bad" };
  return { kind: "ok", start, end };
}

/** File bytes with ETag, If-None-Match → 304, Range → 206 / 416, HEAD. */
export function sendFileBytes(ex: Exchange, bytes: Buffer, etag: string, headers: Headers): void {
  const common: Headers = { ETag: etag, "Accept-Ranges": "bytes", ...headers };
  if (etagMatches(ex.req.headers["if-none-match"], etag)) {
    sendNotModified(ex, common);
    return;
  }
  const range = parseRange(ex.req.headers.range, bytes.length);
  if (range.kind === "bad") {
    writeBody(ex, 416, { ...common, "Content-Range": `bytes */${bytes.length}` }, Buffer.alloc(0));
    return;
  }
  if (range.kind === "ok") {
    writeBody(
      ex,
      206,
      { ...common, "Content-Range": `bytes ${range.start}-${range.end}/${bytes.length}` },
      bytes.subarray(range.start, range.end + 1),
    );
    return;
  }
  writeBody(ex, 200, common, bytes);
}

export function contentTypeFor(path: string): string {
  const lower = path.toLowerCase();
  if (lower.endsWith(".json")) return "application/json";
  if (
    /\.(md|txt|py|jinja|yaml|yml|cfg|gitattributes|model\.card)$/.test(lower) ||
    lower.endsWith(".gitattributes")
  ) {
    return "text/plain; charset=utf-8";
  }
  return "application/octet-stream";
}

export function contentDisposition(path: string): string {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const fallback = name.replace(/["\\]|[^\x20-\x7e]/g, "_");
  return `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${fallback}";`;
}

/** The request body, or null past `limit` bytes (the rest is still drained so the reply can be read). */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total <= limit) chunks.push(buf);
  }
  return total > limit ? null : Buffer.concat(chunks);
}
