/**
 * An https origin on 127.0.0.1 in front of a plain-http one (the fixture Hub), so a test can reach
 * the Hub over https, and through an `HTTPS_PROXY` (CONNECT). Its certificate (tls/, made by
 * tls/make-cert.sh) is self-signed for localhost and 127.0.0.1: the client under test trusts it
 * through `NODE_EXTRA_CA_CERTS=` `TLS_CERT_FILE`. Absolute links back to the upstream origin in
 * `Link` headers are rewritten to this origin, as a real https Hub would write them.
 */

import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const TLS_CERT_FILE = join(here, "tls", "localhost-cert.pem");
const TLS_KEY_FILE = join(here, "tls", "localhost-key.pem");

export interface TlsFront {
  /** https://127.0.0.1:<port> */
  url: string;
  close(): Promise<void>;
}

export function startTlsFront(upstream: string): Promise<TlsFront> {
  const up = new URL(upstream);
  const server: Server = createServer(
    { key: readFileSync(TLS_KEY_FILE), cert: readFileSync(TLS_CERT_FILE) },
    (req, res) => {
      const headers = { ...req.headers, host: up.host };
      const forward = httpRequest(
        { host: up.hostname, port: up.port, method: req.method, path: req.url, headers },
        (answer) => {
          const out = { ...answer.headers };
          if (typeof out.link === "string") out.link = out.link.split(up.origin).join(front.url);
          res.writeHead(answer.statusCode ?? 502, out);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      req.pipe(forward);
    },
  );
  const front: TlsFront = {
    url: "",
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      front.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve(front);
    });
  });
}
