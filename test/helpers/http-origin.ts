/**
 * A scriptable HTTP origin on 127.0.0.1 for transfer tests: each test sets `handle.current`. Plus
 * `sendRange`, which answers `Range: bytes=N-` the way the Hub and its CDN do.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Origin {
  server: Server;
  url: string;
  handle: { current: Handler };
}

/** Starts an origin that answers 500 until a test sets its handler. */
export function serve(): Promise<Origin> {
  const handle: { current: Handler } = { current: (_q, s) => s.writeHead(500).end() };
  const server = createServer((q, s) => handle.current(q, s));
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({ server, url: `http://127.0.0.1:${port}`, handle });
    });
  });
}

/** 206 from the asked offset for `bytes=N-`, else the whole body with 200. */
export function sendRange(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (m) {
    const from = Number(m[1]);
    res.writeHead(206, {
      "Content-Range": `bytes ${from}-${body.length - 1}/${body.length}`,
      "Content-Length": body.length - from,
    });
    res.end(body.subarray(from));
  } else {
    res.writeHead(200, { "Content-Length": body.length });
    res.end(body);
  }
}
