/**
 * The one HTTP path to the Hub. Every `@huggingface/hub` call and every call the library lacks
 * gets its `fetch` from here. It:
 *   - adds `User-Agent: modelvet/<version>`;
 *   - retries idempotent requests (GET, HEAD, and the paths-info POST) on 408/429/5xx, on network
 *     errors and on API bodies cut short, with the Hub's rules (io/retry.ts);
 *   - proxies: requests go through io/net-agent.ts (HTTP_PROXY, HTTPS_PROXY, NO_PROXY);
 *   - buffers API bodies (bounded) so a truncated JSON body is retried rather than half-parsed;
 *   - records status, `X-Error-Code`, `X-Error-Message`, `X-Request-Id` of the last failure so
 *     io/hub-errors.ts can tell gated from private from missing (the library drops headers);
 *   - never puts the token in any message: `redactSecrets` masks `hf_…` and the exact token;
 *   - decides where requests may go (the Hub's origin is `hubUrl`'s): `Authorization` is sent to
 *     the Hub's origin only, whoever set it; redirects are followed here, by hand, hop by hop;
 *     an API call ("api" scope) never leaves `<hubUrl>/api/`, not by redirect and not by a
 *     pagination link; a `Link: <…>; rel="next"` must continue the same listing (same origin,
 *     same path) and is checked when it arrives, so a bad one is never requested. A malformed
 *     `Location` or `Link` is HUB_PROTOCOL with a message that says which.
 */
import { HubError, ModelvetError } from "../core/errors.js";
import { VERSION } from "../version.js";
import { BodyTooLarge, readBounded, rebuild, silenceTimer } from "./fetch-body.js";
import { nextLinkTargets, quoted, samePath } from "./hub-links.js";
import { networkFetch } from "./net-agent.js";

export { nextLinkTargets } from "./hub-links.js";

import {
  HUB_RETRY_POLICY,
  type RetryEvent,
  type RetryPolicy,
  realSleep,
  withRetries,
} from "./retry.js";

export {
  HUB_RETRY_POLICY,
  RETRY_STATUSES,
  type RetryEvent,
  type RetryPolicy,
  rateLimitResetSeconds,
  retryAfterSeconds,
  retryDelayMs,
} from "./retry.js";

export interface FailureRecord {
  method: string;
  /** URL without query, redacted. */
  url: string;
  status: number;
  errorCode: string | undefined;
  errorMessage: string | undefined;
  requestId: string | undefined;
  retries: number;
  waitedMs: number;
  /** Set when we stopped because the server asked for a wait beyond the budget. */
  askedWaitMs?: number;
}

export type BufferMode = "api" | "all" | "none";

/**
 * Where one logical call may send requests. "api": only under `<hubUrl>/api/` (JSON endpoints);
 * "files": a resolve URL on the Hub, then wherever its redirects lead (the CDN), over http(s).
 */
export type RequestScope = "api" | "files";

export interface HubFetchOptions {
  token?: string | undefined;
  /** The Hub endpoint (origin + optional path prefix). Default: the first request's origin. */
  hubUrl?: string | undefined;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** The underlying fetch (tests may pass one; default: io/net-agent.ts, proxies honoured). */
  fetch?: typeof fetch;
  onRetry?: (event: RetryEvent) => void;
  /** Bound on a buffered body. */
  maxBufferedBytes?: number;
}

export const USER_AGENT = `modelvet/${VERSION}`;

/** Masks Hugging Face tokens, Authorization values and the given secret in any text. */
export function redactSecrets(text: string, secret?: string): string {
  let out = text;
  if (secret !== undefined && secret.length > 0) out = out.split(secret).join("hf_***");
  return out
    .replace(/\bhf_[A-Za-z0-9_-]{4,}/g, "hf_***")
    .replace(/(authorization\s*[:=]\s*)(bearer\s+)?\S+/gi, "$1$2***");
}

function isIdempotent(method: string, url: URL): boolean {
  if (method === "GET" || method === "HEAD") return true;
  return method === "POST" && /\/paths-info\//.test(url.pathname);
}

function shouldBuffer(mode: BufferMode, url: URL, response: Response, method: string): boolean {
  if (method === "HEAD" || response.status === 204 || response.status === 304) return false;
  if (mode === "all") return true;
  if (response.status >= 300 && response.status < 400) return false;
  if (!response.ok) return true;
  return mode === "api" && url.pathname.includes("/api/");
}

function stripQuery(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

const MAX_REDIRECTS = 10;
/** Pages one listing may have (the Hub's pages hold 1000 entries, or 100 with expand). */
const MAX_PAGES = 10_000;

function protocolError(message: string, token: string | undefined): HubError {
  return new HubError("HUB_PROTOCOL", redactSecrets(message, token));
}

function requestParts(input: FetchInput, init: RequestInit | undefined) {
  const url = new URL(
    typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
  );
  const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
  const headers = new Headers(input instanceof Request ? input.headers : undefined);
  new Headers(init?.headers).forEach((value, key) => {
    headers.set(key, value);
  });
  return { url, method, headers };
}

type FetchInput = Parameters<typeof fetch>[0];

function failureOf(
  method: string,
  url: string,
  response: Response,
  retries: number,
  waitedMs: number,
): FailureRecord {
  const header = (name: string) => response.headers.get(name) ?? undefined;
  return {
    method,
    url,
    status: response.status,
    errorCode: header("X-Error-Code"),
    errorMessage: header("X-Error-Message"),
    requestId: header("X-Request-Id"),
    retries,
    waitedMs,
  };
}

/** Per-call recorder + fetch. Create one per logical Hub call (see HubHttp.call in hub.ts). */
export interface RecordingFetch {
  fetch: typeof fetch;
  lastFailure(): FailureRecord | undefined;
}

export function createRecordingFetch(
  options: HubFetchOptions,
  mode: BufferMode,
  scope: RequestScope = "files",
): RecordingFetch {
  const policy = { ...HUB_RETRY_POLICY, ...options.retry };
  const base = options.fetch ?? networkFetch;
  const sleep = options.sleep ?? realSleep;
  const maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
  let failure: FailureRecord | undefined;

  let hub: { origin: string; api: string } | undefined;
  /** Pages of a listing already read in this call (a `next` link back to one is a loop). */
  const pagesSeen = new Set<string>();
  if (options.hubUrl !== undefined) {
    const u = new URL(options.hubUrl);
    hub = { origin: u.origin, api: `${u.pathname.replace(/\/+$/, "")}/api/` };
  }
  const inApi = (u: URL) =>
    hub !== undefined && u.origin === hub.origin && u.pathname.startsWith(hub.api);

  /**
   * Where a request may go. Throws before anything is sent: a non-http(s) URL, and in "api"
   * scope anything outside the Hub's API (`why` says how we were sent there).
   */
  const admit = (u: URL, why: string): void => {
    if (u.protocol !== "http:" && u.protocol !== "https:") {
      throw protocolError(
        `${why} leads to a "${u.protocol}" URL; only http(s) is fetched.`,
        options.token,
      );
    }
    if (scope !== "api" || hub === undefined || inApi(u)) return;
    const where =
      u.origin !== hub.origin
        ? `another origin (${u.origin}) than the Hub's (${hub.origin})`
        : `${u.pathname}, outside the Hub's API (${hub.origin}${hub.api})`;
    throw protocolError(
      `${why} leads to ${where}; API answers must come from the Hub itself, so it is not followed (and no token is sent there).`,
      options.token,
    );
  };

  /** A `next` page link must continue the listing it came with: same origin, same path. */
  const checkNextLinks = (response: Response, from: URL, display: string): void => {
    for (const target of nextLinkTargets(response.headers.get("Link"))) {
      const why = `The Hub's "next page" link (Link: rel="next") in its answer to GET ${display}`;
      let next: URL;
      try {
        next = new URL(target);
      } catch {
        throw protocolError(
          `${why} is not an absolute URL (${quoted(target)}); it cannot be followed, and the listing would end short.`,
          options.token,
        );
      }
      if (next.origin !== from.origin) {
        throw protocolError(
          `${why} points at another origin (${next.origin}) than the Hub's (${from.origin}); it is not followed: the listing would mix in entries from elsewhere and the token must not leave the Hub.`,
          options.token,
        );
      }
      if (pagesSeen.has(next.href) || next.href === from.href) {
        throw protocolError(
          `${why} points back at a page already read (${next.search || next.pathname}); the listing would never end.`,
          options.token,
        );
      }
      pagesSeen.add(from.href);
      if (pagesSeen.size > MAX_PAGES) {
        throw protocolError(
          `${why} is page ${pagesSeen.size + 1} of a listing; the limit is ${MAX_PAGES} pages.`,
          options.token,
        );
      }
      if (!samePath(next, from)) {
        throw protocolError(
          `${why} points at another path (${next.pathname}) than the listing it continues (${from.pathname}); it is not followed.`,
          options.token,
        );
      }
    }
  };

  /** One request and its redirects, each hop admitted and given Authorization only on the Hub. */
  const send = async (
    first: URL,
    method: string,
    headers: Headers,
    init: RequestInit | undefined,
    signal: AbortSignal | null,
    display: string,
  ): Promise<Response> => {
    const hubOrigin = hub?.origin ?? first.origin;
    // The token is added here, not by @huggingface/hub (which refuses tokens without hf_, the
    // kind self-hosted endpoints issue), and only ever on the Hub's own origin.
    const authorization =
      headers.get("Authorization") ??
      (options.token !== undefined ? `Bearer ${options.token}` : null);
    const manual = init?.redirect === "manual";
    let url = first;
    let verb = method;
    for (let hop = 0; ; hop++) {
      const hopHeaders = new Headers(headers);
      if (url.origin !== hubOrigin) hopHeaders.delete("Authorization");
      else if (authorization !== null) hopHeaders.set("Authorization", authorization);
      const response = await base(url, {
        ...init,
        method: verb,
        headers: hopHeaders,
        redirect: "manual",
        body: verb === method ? init?.body : undefined,
        signal,
      });
      const redirected = response.status >= 300 && response.status < 400 && response.status !== 304;
      if (!redirected || manual || (verb !== "GET" && verb !== "HEAD")) {
        if (response.ok) checkNextLinks(response, url, display);
        return response;
      }
      await response.body?.cancel().catch(() => undefined);
      const location = response.headers.get("Location");
      const what = `The Hub's HTTP ${response.status} redirect for ${method} ${display}`;
      if (location === null || location.trim() === "") {
        throw protocolError(`${what} has no Location header.`, options.token);
      }
      let target: URL;
      try {
        target = new URL(location, url);
      } catch {
        throw protocolError(
          `${what} has a malformed Location header (${quoted(location)}).`,
          options.token,
        );
      }
      if (hop + 1 > MAX_REDIRECTS) {
        throw protocolError(
          `${what}: more than ${MAX_REDIRECTS} redirects in a row.`,
          options.token,
        );
      }
      admit(target, what);
      if (response.status === 303) verb = verb === "HEAD" ? "HEAD" : "GET";
      url = target;
    }
  };

  const wrapped = async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    const { url, method, headers } = requestParts(input, init);
    headers.set("User-Agent", USER_AGENT);
    if (hub === undefined) hub = { origin: url.origin, api: "/api/" };
    const display = redactSecrets(stripQuery(url), options.token);
    admit(url, `The request ${method} ${display}`);
    /** One attempt; a buffered one is bounded by the silence timeout (HF_HUB_ETAG_TIMEOUT). */
    const attempt = async (): Promise<Response> => {
      const silence = mode !== "none" ? silenceTimer(policy.timeoutMs) : undefined;
      const signals = [init?.signal, silence?.signal].filter((s): s is AbortSignal => s != null);
      const signal =
        signals.length === 0 ? null : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
      try {
        const response = await send(url, method, headers, init, signal, display);
        if (!shouldBuffer(mode, url, response, method)) return response;
        silence?.touch();
        return rebuild(response, await readBounded(response, maxBuffered, silence?.touch));
      } finally {
        silence?.clear();
      }
    };
    const outcome = await withRetries<Response>({
      policy,
      sleep,
      retryable: isIdempotent(method, url),
      method,
      display,
      send: attempt,
      answer: (response) => response,
      discard: (response) => response.body?.cancel().catch(() => undefined),
      reasonOf: (error) => {
        if (error instanceof ModelvetError) throw error;
        if (error instanceof BodyTooLarge) {
          throw new HubError(
            "HUB_PROTOCOL",
            `The Hub's answer to ${method} ${display} is too large (${error.message}); refusing to read it.`,
          );
        }
        if (init?.signal?.aborted) throw error;
        return redactSecrets(describeNetworkError(error), options.token);
      },
      networkError: (reason, { retries, waitedMs, why, cause }) => {
        const waited = `${retries} retries${why === "budget" ? " and" : ","} ${Math.round(waitedMs / 1000)} s of waiting`;
        return new HubError(
          "NETWORK",
          why === "budget"
            ? `Cannot reach the Hub (${method} ${display}): ${reason}; gave up after ${waited}.`
            : `Cannot reach the Hub (${method} ${display}): ${reason}${retries > 0 ? ` (after ${waited})` : ""}. Check the network or --hub-url / HF_ENDPOINT.`,
          { cause },
        );
      },
      onRetry: options.onRetry,
    });
    const { response, retries, waitedMs, askedWaitMs } = outcome;
    if (askedWaitMs !== undefined) {
      failure = { ...failureOf(method, display, response, retries, waitedMs), askedWaitMs };
    } else if (response.status >= 400) {
      failure = failureOf(method, display, response, retries, waitedMs);
    }
    return response;
  };
  return { fetch: wrapped as typeof fetch, lastFailure: () => failure };
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code =
      cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
    if (error.name === "TimeoutError")
      return `the request timed out (${error.message}; HF_HUB_ETAG_TIMEOUT sets that wait)`;
    return code !== undefined ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
