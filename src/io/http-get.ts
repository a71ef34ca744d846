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
 * - A connection that is never silent but barely moves (a byte a second keeps any idle timer
 *   happy) is broken off the same way by the progress rule: in every window of `windowMs`
 *   (default: the idle timeout) at least `minBytesPerSecond` (default 1 KiB/s) must arrive, from
 *   the request on (headers count). A window with no bytes at all is the idle timer's to judge.
 *   Our own pauses (`idleTimer(false)`) stop both.
 * - Errors never carry the URL (signed CDN URLs hold credentials in their query).
 * - `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` are honoured with the same rules as every fetch
 *   (core/proxy-rules.ts): an http URL is sent to the proxy in absolute form, an https URL goes
 *   through a CONNECT tunnel (io/proxy-tunnel.ts).
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import { HubError } from "../core/errors.js";
import { type ProxyEnv, proxyForUrl, proxySettingsFrom } from "../core/proxy-rules.js";
import { describeSocketError, NetworkFailure } from "./network-failure.js";
import { openTunnel, proxyAuthorization } from "./proxy-tunnel.js";

export { describeSocketError, NetworkFailure };

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

export interface ProgressRule {
  /** Length of each window the rate is judged over, ms. */
  windowMs: number;
  /** Bytes per second that must arrive, on average, in every window (0: no rule). */
  minBytesPerSecond: number;
}

export interface HttpGetOptions {
  headers: Record<string, string>;
  /** Silence on the connection that counts as broken, ms (default 60 s). */
  idleTimeoutMs?: number | undefined;
  /** Default: windows of the idle timeout, at least DEFAULT_MIN_BYTES_PER_SECOND. */
  progress?: Partial<ProgressRule> | undefined;
  /** Where the proxy variables are read (default: process.env). */
  env?: ProxyEnv | undefined;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
export const DEFAULT_MIN_BYTES_PER_SECOND = 1024;

/** Where a redirect leads. A malformed `Location` is HUB_PROTOCOL, never a bare TypeError. */
export function redirectTarget(location: string, base: URL, what: string): URL {
  try {
    return new URL(location, base);
  } catch {
    const flat = location.replace(/[\u0000-\u001f\u007f]/g, "?");
    throw new HubError(
      "HUB_PROTOCOL",
      `A redirect while ${what} has a malformed Location header (${JSON.stringify(flat.slice(0, 200))}); it cannot be followed.`,
    );
  }
}

export async function httpGet(url: URL, options: HttpGetOptions): Promise<HttpResponse> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new HubError(
      "HUB_PROTOCOL",
      `Refusing to download over "${url.protocol}" (only http/https)`,
    );
  }
  const idle = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const proxy = proxyForUrl(url, proxySettingsFrom(options.env ?? process.env));
  if (proxy === undefined) {
    const send = url.protocol === "https:" ? httpsRequest : httpRequest;
    return exchange((o) => send(url, o), options, idle);
  }
  const via = new URL(proxy);
  if (url.protocol === "http:") {
    // Absolute form to the proxy: it makes the connection and forwards the answer.
    const send = via.protocol === "https:" ? httpsRequest : httpRequest;
    const auth = proxyAuthorization(via);
    return exchange(
      (o) =>
        send({
          ...o,
          protocol: via.protocol,
          hostname: via.hostname.replace(/^\[|\]$/g, ""),
          port: via.port || (via.protocol === "https:" ? 443 : 80),
          path: url.href,
          headers: {
            ...o.headers,
            Host: url.host,
            ...(auth ? { "Proxy-Authorization": auth } : {}),
          },
        }),
      options,
      idle,
    );
  }
  const tunnel = await openTunnel(via, url, idle);
  return exchange(
    (o) => httpsRequest(url, { ...o, createConnection: () => tunnel }),
    options,
    idle,
  );
}

function exchange(
  send: (options: RequestOptions) => ReturnType<typeof httpRequest>,
  options: HttpGetOptions,
  idle: number,
): Promise<HttpResponse> {
  const windowMs = options.progress?.windowMs ?? idle;
  const minRate = options.progress?.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND;
  const minBytes = Math.ceil((windowMs * minRate) / 1000);
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    let watchdog: NodeJS.Timeout | undefined;
    let mark = 0;
    let finished = false;
    const bytesRead = () => req.socket?.bytesRead ?? 0;
    const fail = (failure: NetworkFailure) => {
      // Once the answer is out, its body carries the reason to whoever reads it.
      if (response !== undefined) response.destroy(failure);
      req.destroy(failure);
    };
    /** Starts (or restarts, from a fresh window) or stops the progress rule. */
    const watch = (running: boolean) => {
      clearInterval(watchdog);
      watchdog = undefined;
      if (!running || finished || minBytes <= 0 || windowMs <= 0) return;
      mark = bytesRead();
      watchdog = setInterval(() => {
        const now = bytesRead();
        const got = now - mark;
        mark = now;
        if (got > 0 && got < minBytes) {
          const secs = Math.round(windowMs / 100) / 10;
          fail(
            new NetworkFailure(
              `the transfer is too slow: ${got} bytes in ${secs} s (at least ${minRate} bytes/s are expected over any ${secs} s; HF_HUB_DOWNLOAD_TIMEOUT sets that window)`,
            ),
          );
        }
      }, windowMs);
      watchdog.unref();
    };
    const stop = () => {
      finished = true;
      watch(false);
    };
    const req = send({ method: "GET", headers: options.headers });
    req.once("response", (res: IncomingMessage) => {
      response = res;
      res.once("end", stop);
      res.once("close", stop);
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
          watch(running);
        },
      });
    });
    req.once("socket", () => {
      mark = bytesRead(); // a kept-alive socket has read bytes before this request
    });
    req.once("close", stop);
    watch(true);
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
