/**
 * Opening a download: the request for one file's bytes (from an offset, to resume), redirects
 * followed by hand so `Authorization` goes only to the Hub's origin, retried with the Hub's rules.
 */
import { HubError } from "../core/errors.js";
import type { DownloadRequest } from "./download.js";
import { redactSecrets, USER_AGENT } from "./fetch.js";
import { type HttpResponse, httpGet, NetworkFailure, redirectTarget } from "./http-get.js";
import { HUB_RETRY_POLICY, realSleep, withRetries } from "./retry.js";

/** Follow redirects by hand: Authorization only on the Hub's origin. */
async function follow(req: DownloadRequest, from: number): Promise<HttpResponse> {
  let url = new URL(req.url);
  for (let hop = 0; hop < 10; hop++) {
    const headers: Record<string, string> = {
      "Accept-Encoding": "identity",
      "User-Agent": USER_AGENT,
    };
    if (from > 0) headers.Range = `bytes=${from}-`;
    if (req.auth !== undefined && url.origin === req.auth.origin)
      headers.Authorization = req.auth.authorization;
    const response = await httpGet(url, { headers, idleTimeoutMs: req.idleTimeoutMs });
    const location = response.header("location");
    if (response.status >= 300 && response.status < 400 && location !== undefined) {
      response.discard();
      url = redirectTarget(location, url, `downloading ${req.path}`);
      continue;
    }
    return response;
  }
  throw new HubError("HUB_PROTOCOL", `Too many redirects while downloading ${req.path}`);
}

/**
 * The answer to one download request (from byte `from`), retried on 408/429/5xx and on
 * connections that fail before an answer with the Hub's rules (io/retry.ts, the same loop as every
 * API call). When retries run out, the last answer is returned (the caller reports its status).
 */
export async function openDownload(req: DownloadRequest, from: number): Promise<HttpResponse> {
  const base = new URL(req.url);
  const outcome = await withRetries<HttpResponse>({
    policy: { ...HUB_RETRY_POLICY, ...req.retry },
    sleep: req.sleep ?? realSleep,
    retryable: true,
    method: "GET",
    display: redactSecrets(`${base.origin}${base.pathname}`),
    send: () => follow(req, from),
    answer: (response) => ({
      status: response.status,
      headers: { get: (name) => response.header(name) ?? null },
    }),
    discard: (response) => response.discard(),
    reasonOf: (error) => {
      if (!(error instanceof NetworkFailure)) throw error;
      return error.message;
    },
    networkError: (reason, { retries, waitedMs, cause }) =>
      new HubError(
        "NETWORK",
        `Cannot download ${req.path}: ${reason}${retries > 0 ? ` (after ${retries} retries, ${Math.round(waitedMs / 1000)} s of waiting)` : ""}. Check the network or --hub-url / HF_ENDPOINT.`,
        { cause },
      ),
    onRetry: req.onRetry,
  });
  return outcome.response;
}
