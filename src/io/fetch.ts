/**
 * The one HTTP path to the Hub. Every `@huggingface/hub` call and every call the library lacks
 * gets its `fetch` from here. It:
 *   - adds `User-Agent: modelvet/<version>`;
 *   - retries idempotent requests (GET, HEAD, and the paths-info POST) on 408/429/5xx, on network
 *     errors and on API bodies cut short, with the Hub's rules (shared/hub-api.md §6): up to 5
 *     retries, backoff 1 s doubling to 8 s, `RateLimit: …;r=0;t=<s>` → wait t+1 s on 429, else an
 *     integer `Retry-After`; never more than `maxTotalWaitMs` in total (a longer wait asked by the
 *     server fails at once, saying how long it asked for). The sleep is injectable for tests;
 *   - buffers API bodies (bounded) so a truncated JSON body is retried rather than half-parsed;
 *   - records status, `X-Error-Code`, `X-Error-Message`, `X-Request-Id` of the last failure so
 *     io/hub-errors.ts can tell gated from private from missing (the library drops headers);
 *   - never puts the token in any message: `redactSecrets` masks `hf_…` and the exact token.
 */
import { HubError } from "../core/errors.js";
import { VERSION } from "../version.js";

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound on all waits of one request together. */
  maxTotalWaitMs: number;
  /** Per-attempt timeout for buffered (API) requests; streaming downloads are not timed here. */
  timeoutMs: number;
}

export const HUB_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  maxTotalWaitMs: 120_000,
  timeoutMs: 60_000,
};

export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

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

export interface RetryEvent {
  method: string;
  url: string;
  attempt: number;
  reason: string;
  waitMs: number;
}

export type BufferMode = "api" | "all" | "none";

export interface HubFetchOptions {
  token?: string | undefined;
  retry?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /** The underlying fetch (tests may pass one; default: global fetch). */
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

/** Seconds from `RateLimit: "api";r=0;t=42` when r is 0; otherwise undefined. */
export function rateLimitResetSeconds(header: string | null): number | undefined {
  if (header === null) return undefined;
  const r = /(?:^|;)\s*r=(\d+)/.exec(header);
  const t = /(?:^|;)\s*t=(\d+)/.exec(header);
  if (r === null || t === null || Number(r[1]) !== 0) return undefined;
  return Number(t[1]);
}

/** Integer `Retry-After` seconds (the HTTP-date form is ignored, as huggingface_hub does). */
export function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return undefined;
  return Number(header.trim());
}

/** How long to wait before retry number `retry` (0-based) after `response` (absent: network error). */
export function retryDelayMs(
  retry: number,
  response: { status: number; headers: Pick<Headers, "get"> } | undefined,
  policy: RetryPolicy,
): number {
  if (response !== undefined) {
    if (response.status === 429) {
      const reset = rateLimitResetSeconds(response.headers.get("RateLimit"));
      if (reset !== undefined) return (reset + 1) * 1000;
    }
    const after = retryAfterSeconds(response.headers.get("Retry-After"));
    if (after !== undefined) return after * 1000;
  }
  return Math.min(policy.baseDelayMs * 2 ** retry, policy.maxDelayMs);
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

class BodyTooLarge extends Error {}

async function readBounded(response: Response, max: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel();
    throw new BodyTooLarge(`${declared} bytes`);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new BodyTooLarge(`more than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

function rebuild(original: Response, body: Uint8Array): Response {
  const copy = new Response(original.status === 204 ? null : body, {
    status: original.status,
    statusText: original.statusText,
    headers: original.headers,
  });
  // The library reads `url` (error messages, same-origin checks); a rebuilt Response has none.
  Object.defineProperty(copy, "url", { value: original.url });
  return copy;
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

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Per-call recorder + fetch. Create one per logical Hub call (see HubHttp.call in hub.ts). */
export interface RecordingFetch {
  fetch: typeof fetch;
  lastFailure(): FailureRecord | undefined;
}

export function createRecordingFetch(options: HubFetchOptions, mode: BufferMode): RecordingFetch {
  const policy = { ...HUB_RETRY_POLICY, ...options.retry };
  const base = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? realSleep;
  const maxBuffered = options.maxBufferedBytes ?? 64 * 1024 * 1024;
  let failure: FailureRecord | undefined;

  const wrapped = async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    const { url, method, headers } = requestParts(input, init);
    headers.set("User-Agent", USER_AGENT);
    const retryable = isIdempotent(method, url);
    const display = redactSecrets(stripQuery(url), options.token);
    let waited = 0;
    for (let attempt = 0; ; attempt++) {
      const canRetry = retryable && attempt < policy.maxRetries;
      const buffered = mode !== "none";
      const signals = [
        init?.signal,
        buffered ? AbortSignal.timeout(policy.timeoutMs) : undefined,
      ].filter((s): s is AbortSignal => s != null);
      let response: Response | undefined;
      let problem: string;
      try {
        response = await base(url, {
          ...init,
          method,
          headers,
          signal:
            signals.length === 0
              ? null
              : signals.length === 1
                ? signals[0]!
                : AbortSignal.any(signals),
        });
        if (shouldBuffer(mode, url, response, method)) {
          response = rebuild(response, await readBounded(response, maxBuffered));
        }
        if (!RETRY_STATUSES.has(response.status) || !canRetry) {
          if (response.status >= 400)
            failure = failureOf(method, display, response, attempt, waited);
          return response;
        }
        problem = `HTTP ${response.status}`;
      } catch (error) {
        if (error instanceof BodyTooLarge) {
          throw new HubError(
            "HUB_PROTOCOL",
            `The Hub's answer to ${method} ${display} is too large (${error.message}); refusing to read it.`,
          );
        }
        if (init?.signal?.aborted) throw error;
        const reason = redactSecrets(describeNetworkError(error), options.token);
        if (!canRetry) {
          throw new HubError(
            "NETWORK",
            `Cannot reach the Hub (${method} ${display}): ${reason}${attempt > 0 ? ` (after ${attempt} retries, ${Math.round(waited / 1000)} s of waiting)` : ""}. Check the network or --hub-url / HF_ENDPOINT.`,
            { cause: error },
          );
        }
        response = undefined;
        problem = reason;
      }
      const delay = retryDelayMs(attempt, response, policy);
      if (waited + delay > policy.maxTotalWaitMs) {
        if (response !== undefined) {
          failure = {
            ...failureOf(method, display, response, attempt, waited),
            askedWaitMs: delay,
          };
          return response;
        }
        throw new HubError(
          "NETWORK",
          `Cannot reach the Hub (${method} ${display}): ${problem}; gave up after ${attempt} retries and ${Math.round(waited / 1000)} s of waiting.`,
        );
      }
      await response?.body?.cancel().catch(() => undefined);
      options.onRetry?.({
        method,
        url: display,
        attempt: attempt + 1,
        reason: problem,
        waitMs: delay,
      });
      await sleep(delay);
      waited += delay;
    }
  };
  return { fetch: wrapped as typeof fetch, lastFailure: () => failure };
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const code =
      cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
    if (error.name === "TimeoutError") return "the request timed out";
    return code !== undefined ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
