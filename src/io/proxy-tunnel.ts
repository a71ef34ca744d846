/**
 * A CONNECT tunnel through an http(s) proxy to an https origin, for the node:http download path
 * (io/http-get.ts): `CONNECT host:port`, then TLS to the origin over the tunnel, with the usual
 * certificate checks for the origin's name (Node's CA store, `NODE_EXTRA_CA_CERTS`).
 *
 * A proxy that cannot be reached, or breaks, or answers 5xx is a `NetworkFailure` (retried like
 * any broken connection); one that refuses (407 and other 4xx) is a NETWORK error at once, saying
 * so. The proxy's credentials (from its URL) go in `Proxy-Authorization` and never in a message.
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type Socket } from "node:net";
import { type TLSSocket, connect as tlsConnect } from "node:tls";
import { HubError } from "../core/errors.js";
import { displayProxy } from "../core/proxy-rules.js";
import { describeSocketError, NetworkFailure } from "./network-failure.js";

/** `Basic …` from the proxy URL's user info, when it has any. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === "" && proxy.password === "") return undefined;
  const user = decodeURIComponent(proxy.username);
  const pass = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}`;
}

export function openTunnel(proxy: URL, target: URL, idleMs: number): Promise<TLSSocket> {
  const port = target.port || "443";
  const authority = `${target.hostname}:${port}`;
  const auth = proxyAuthorization(proxy);
  const shown = displayProxy(proxy.href);
  const send = proxy.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send({
      method: "CONNECT",
      hostname: proxy.hostname.replace(/^\[|\]$/g, ""),
      port: proxy.port || (proxy.protocol === "https:" ? 443 : 80),
      path: authority,
      headers: { Host: authority, ...(auth ? { "Proxy-Authorization": auth } : {}) },
      agent: false,
    });
    req.setTimeout(idleMs, () => {
      req.destroy(
        new NetworkFailure(`the proxy ${shown} did not answer CONNECT in ${idleMs / 1000} s`),
      );
    });
    req.once("connect", (res: IncomingMessage, socket: Socket, head: Buffer) => {
      req.setTimeout(0);
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        socket.destroy();
        const why = `the proxy ${shown} answered CONNECT ${authority} with HTTP ${status}`;
        reject(
          status >= 500
            ? new NetworkFailure(why)
            : new HubError(
                "NETWORK",
                `${why}${status === 407 ? " (proxy authentication required: put the user and password in the proxy URL)" : ""}; check HTTPS_PROXY / NO_PROXY.`,
              ),
        );
        return;
      }
      if (head.length > 0) socket.unshift(head);
      const hostname = target.hostname.replace(/^\[|\]$/g, "");
      const tls = tlsConnect({
        socket,
        host: hostname,
        ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
        ALPNProtocols: ["http/1.1"],
      });
      const fail = (error: Error) => {
        tls.destroy();
        reject(new NetworkFailure(describeSocketError(error), { cause: error }));
      };
      tls.once("error", fail);
      tls.once("secureConnect", () => {
        tls.off("error", fail);
        resolve(tls);
      });
    });
    req.once("error", (error) => {
      reject(
        error instanceof NetworkFailure
          ? error
          : new NetworkFailure(`cannot reach the proxy ${shown}: ${describeSocketError(error)}`, {
              cause: error,
            }),
      );
    });
    req.end();
  });
}
