/**
 * A real HTTP proxy on 127.0.0.1 for the proxy tests, written for them (no package): it forwards
 * plain-HTTP requests sent in absolute form (`GET http://host:port/path HTTP/1.1`, what clients send
 * to an `HTTP_PROXY`) and tunnels `CONNECT host:port` (what clients send for https through an
 * `HTTPS_PROXY`, and for http when they tunnel). Everything that passes is recorded in `seen`,
 * so a test can check that every request went through it, or none.
 *
 * Optional `auth`: a `Proxy-Authorization: Basic …` value that must arrive, else 407.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { type AddressInfo, connect, type Socket } from "node:net";

export interface ProxyPass {
  kind: "forward" | "connect";
  method: string;
  /** Absolute URL (forward) or `host:port` (CONNECT). */
  target: string;
  proxyAuthorization: string | undefined;
}

export interface ForwardProxy {
  url: string;
  seen: ProxyPass[];
  close(): Promise<void>;
}

function hopHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (key === "proxy-authorization" || key === "proxy-connection" || key === "connection")
      continue;
    out[k] = v;
  }
  return out;
}

export function startForwardProxy(options: { auth?: string } = {}): Promise<ForwardProxy> {
  const seen: ProxyPass[] = [];
  const sockets = new Set<Socket>();
  const authorized = (req: IncomingMessage) =>
    options.auth === undefined || req.headers["proxy-authorization"] === options.auth;

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400).end("absolute-form request target expected");
      return;
    }
    seen.push({
      kind: "forward",
      method: req.method ?? "GET",
      target: target.href,
      proxyAuthorization: req.headers["proxy-authorization"],
    });
    if (!authorized(req)) {
      res.writeHead(407, { "Proxy-Authenticate": "Basic" }).end();
      return;
    }
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: hopHeaders(req),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.destroy();
    });
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  };

  const server: Server = createServer(forward);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? "";
    seen.push({
      kind: "connect",
      method: "CONNECT",
      target,
      proxyAuthorization: req.headers["proxy-authorization"],
    });
    if (!authorized(req)) {
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n");
      return;
    }
    const m = /^([^:]+|\[[^\]]+\]):(\d+)$/.exec(target);
    if (m === null) {
      client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const upstream = connect(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ""), () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        seen,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
