/**
 * The Hub's retry rules (shared/hub-api.md §6) and the one loop that applies them, for the fetch
 * wrapper (io/fetch.ts) and the node:http downloads (io/download-open.ts) alike: up to 5 retries
 * on 408/429/5xx and on connections that fail before an answer, backoff 1 s doubling to 8 s,
 * `RateLimit: …;r=0;t=<s>` → wait t+1 s on 429, else an integer `Retry-After`; never more than
 * `maxTotalWaitMs` in total (a longer wait asked by the server ends the loop at once, with that
 * answer). The sleep is injectable for tests.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound on all waits of one request together. */
  maxTotalWaitMs: number;
  /**
   * Buffered (API, metadata) requests: the longest silence before the answer's headers, and
   * between two parts of its body (`HF_HUB_ETAG_TIMEOUT`, default 10 s as in huggingface_hub).
   * A request that times out is retried. Streaming downloads are not timed here.
   */
  timeoutMs: number;
}

export const HUB_RETRY_POLICY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 1000,
  maxDelayMs: 8000,
  maxTotalWaitMs: 120_000,
  timeoutMs: 10_000,
};

export const RETRY_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

export interface RetryEvent {
  method: string;
  url: string;
  attempt: number;
  reason: string;
  waitMs: number;
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

/** An answer as the retry rules see it. */
export interface RetryAnswer {
  status: number;
  headers: Pick<Headers, "get">;
}

/** How long to wait before retry number `retry` (0-based) after `response` (absent: network error). */
export function retryDelayMs(
  retry: number,
  response: RetryAnswer | undefined,
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

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface RetryLoop<R> {
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  /** False for requests that must not be sent twice (one attempt only). */
  retryable: boolean;
  /** For retry events: the method and the URL as shown (redacted, no query). */
  method: string;
  display: string;
  /** One attempt: an answer, or a throw. */
  send: (attempt: number) => Promise<R>;
  answer: (response: R) => RetryAnswer;
  /** Let go of an answer that will be retried. */
  discard: (response: R) => void | Promise<void>;
  /** A failure worth retrying: its reason. Anything else: rethrow it. */
  reasonOf: (error: unknown) => string;
  /** The error when no answer came: `last` after the final attempt, `budget` when waits run out. */
  networkError: (
    reason: string,
    info: { retries: number; waitedMs: number; why: "last" | "budget"; cause?: unknown },
  ) => Error;
  onRetry?: ((event: RetryEvent) => void) | undefined;
}

export interface RetryOutcome<R> {
  response: R;
  retries: number;
  waitedMs: number;
  /** Set when the loop stopped because the server asked for a wait beyond the budget. */
  askedWaitMs?: number;
}

/**
 * Sends until an answer that is not worth retrying, or until retries or the wait budget run out
 * (then the last answer is returned, for the caller to report). A connection that fails on the
 * last attempt, or when the budget is spent, throws `networkError`.
 */
export async function withRetries<R>(loop: RetryLoop<R>): Promise<RetryOutcome<R>> {
  let waited = 0;
  for (let attempt = 0; ; attempt++) {
    const canRetry = loop.retryable && attempt < loop.policy.maxRetries;
    let response: R | undefined;
    let problem: string;
    try {
      response = await loop.send(attempt);
      const status = loop.answer(response).status;
      if (!RETRY_STATUSES.has(status) || !canRetry) {
        return { response, retries: attempt, waitedMs: waited };
      }
      problem = `HTTP ${status}`;
    } catch (error) {
      const reason = loop.reasonOf(error);
      if (!canRetry) {
        throw loop.networkError(reason, {
          retries: attempt,
          waitedMs: waited,
          why: "last",
          cause: error,
        });
      }
      response = undefined;
      problem = reason;
    }
    const delay = retryDelayMs(
      attempt,
      response === undefined ? undefined : loop.answer(response),
      loop.policy,
    );
    if (waited + delay > loop.policy.maxTotalWaitMs) {
      if (response !== undefined) {
        return { response, retries: attempt, waitedMs: waited, askedWaitMs: delay };
      }
      throw loop.networkError(problem, { retries: attempt, waitedMs: waited, why: "budget" });
    }
    if (response !== undefined) await loop.discard(response);
    loop.onRetry?.({
      method: loop.method,
      url: loop.display,
      attempt: attempt + 1,
      reason: problem,
      waitMs: delay,
    });
    await loop.sleep(delay);
    waited += delay;
  }
}
