/** The three loopback origins' plumbing: listening, request recording, per-request Exchange. */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  type Exchange,
  type RecordedRequest,
  requestId,
  sendError,
  splitPath,
} from "./http-kit.js";
import { type Origin, takeRule } from "./knobs.js";
import type { HubState } from "./state.js";

export function listen(server: Server, port: number, host = "127.0.0.1"): Promise<number> {
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      ok((server.address() as AddressInfo).port);
    });
  });
}

function headerRecord(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
  }
  return out;
}

const EXPOSE =
  "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag,X-Xet-Access-Token,X-Xet-Token-Expiration,X-Xet-Refresh-Route,X-Xet-Cas-Url,X-Xet-Hash";

/** A request listener for one origin: records the request, builds the Exchange, runs `handle`. */
export function originHandler(
  origin: Origin,
  state: HubState,
  requests: RecordedRequest[],
  handle: (ex: Exchange) => void | Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const base =
      origin === "hub" ? state.hubUrl : origin === "cdn" ? state.cdnUrl : state.foreignUrl;
    const url = new URL(req.url ?? "/", base);
    const segments = splitPath(url.pathname);
    const record: RecordedRequest = {
      origin,
      method: req.method ?? "GET",
      url: url.href,
      path: segments ? `/${segments.join("/")}` : url.pathname,
      headers: headerRecord(req),
    };
    requests.push(record);
    const ex: Exchange = {
      origin,
      req,
      res,
      method: record.method,
      url,
      segments: segments ?? [],
      path: record.path,
      record,
      knobs: state.knobs,
      baseHeaders: {
        "X-Request-Id": requestId(),
        ...(origin === "hub"
          ? {
              "X-Powered-By": "huggingface-moon",
              "Access-Control-Expose-Headers": EXPOSE,
              Vary: "Origin",
            }
          : {}),
      },
    };
    if (!segments) {
      sendError(ex, 400, "Malformed percent-encoding in path");
      return;
    }
    const delay = takeRule(state.knobs.delay, origin, record.method, record.path);
    (delay ? new Promise((r) => setTimeout(r, delay.ms)) : Promise.resolve())
      .then(() => handle(ex))
      .catch((err: unknown) => {
        if (!res.headersSent) sendError(ex, 500, `fixture hub bug: ${String(err)}`);
        else res.destroy();
      });
  };
}

/**
 * Listens on another loopback host than the Hub's 127.0.0.1 and returns its origin, so clients that
 * compare host names and ignore ports (huggingface_hub 1.x) see a cross-host redirect as with the
 * real Hub. Linux answers all of 127.0.0.0/8; where `address` is not available (macOS without an
 * alias), the server listens on 127.0.0.1 and is named `localhost`, still another host name.
 */
export async function listenOnOtherHost(server: Server, address: string): Promise<string> {
  try {
    return `http://${address}:${await listen(server, 0, address)}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRNOTAVAIL") throw err;
    return `http://localhost:${await listen(server, 0, "127.0.0.1")}`;
  }
}
