/**
 * One HTTP GET over node:http / node:https, with the body as a Node stream (IncomingMessage).
 *
 * Downloads use this instead of WHATWG `fetch`: on Node 20 the web-streams body costs several
 * promises and objects per 64 KiB chunk, and the bench (bench/pull.bench.ts) showed that cost on
 * the thread that must also hash. This module only sends one request and hands back the answer;
 * redirects, retries and what may carry `Authorization` are decided by the caller (io/download.ts).
 *
 * - Only `http:` and `https:` URLs are fetched (a redirect to `file:` or `ftp:` is a HUB_PROTOCOL
 *   error, not a silent failure).
 * - A connection that stays silent for `idleTimeoutMs` (before or during the body) is broken off
 *   with a `NetworkFailure`, so a stalled transfer is retried and resumed instead of hanging.
 * - Errors never carry the URL (signed CDN URLs hold credentials in their query).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { HubError } from "../core/errors.js";

/** The connection failed or broke: worth retrying (and resuming). */
export class NetworkFailure extends Error {
  override readonly name = "NetworkFailure";
}

export interface HttpResponse {
  status: number;
  /** A response header (case-insensitive); repeated headers are joined with ", ". */
  header(name: string): string | undefined;
  body: IncomingMessage;
  /** Drop a body we will not read, and its connection (a hostile body may never end). */
  discard(): void;
  /**
   * Stop (false) or restart (true) the idle timer, around a pause of our own (the disk is behind):
   * silence we asked for is not a stalled connection.
   */
  idleTimer(running: boolean): void;
}

export interface HttpGetOptions {
  headers: Record<string, string>;
  /** Silence on the connection that counts as broken, ms (default 60 s). */
  idleTimeoutMs?: number;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** `ECONNRESET`, `ECONNREFUSED`…, or the message, for error text without URLs or headers. */
export function describeSocketError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}

export function httpGet(url: URL, options: HttpGetOptions): Promise<HttpResponse> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(
      new HubError("HUB_PROTOCOL", `Refusing to download over "${url.protocol}" (only http/https)`),
    );
  }
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const req = send(url, { method: "GET", headers: options.headers }, (res) => {
      resolve({
        status: res.statusCode ?? 0,
        header: (name) => {
          const value = res.headers[name.toLowerCase()];
          return Array.isArray(value) ? value.join(", ") : value;
        },
        body: res,
        discard: () => {
          res.destroy();
          req.destroy();
        },
        idleTimer: (running) => {
          req.setTimeout(running ? idle : 0);
        },
      });
    });
    // Covers the whole exchange: no answer, or a body that stops arriving. Destroying the
    // request with an error makes the response emit that error (or close incomplete).
    req.setTimeout(idle, () => {
      req.destroy(new NetworkFailure(`no data for ${Math.round(idle / 1000)} s`));
    });
    // Kept for the request's whole life: a late socket error must never go unhandled.
    req.on("error", (error) => {
      reject(
        error instanceof NetworkFailure
          ? error
          : new NetworkFailure(describeSocketError(error), { cause: error }),
      );
    });
    req.end();
  });
}
