/**
 * httpGet against real loopback servers: answers, refused schemes, refused connections, silent
 * servers, and a body we drop. Errors must never carry the URL (signed CDN URLs hold secrets).
 */
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { HubError } from "../../src/core/errors.js";
import { httpGet, NetworkFailure } from "../../src/io/http-get.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

describe("httpGet", () => {
  let server: Server;
  let base: string;
  let handler: Handler = (_q, s) => s.end();
  const closed: string[] = [];

  before(async () => {
    server = createServer((q, s) => handler(q, s));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const readAll = (res: IncomingMessage) =>
    new Promise<Buffer>((ok, fail) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => ok(Buffer.concat(parts)));
      res.on("error", fail);
    });

  test("answers with status, headers in any case, the request headers sent, and the body", async () => {
    handler = (req, res) => {
      res.writeHead(206, {
        "X-Seen-Range": req.headers.range ?? "",
        "Content-Range": "bytes 5-9/10",
      });
      res.end("56789");
    };
    const r = await httpGet(new URL(`${base}/file`), { headers: { Range: "bytes=5-" } });
    assert.equal(r.status, 206);
    assert.equal(r.header("content-range"), "bytes 5-9/10");
    assert.equal(r.header("X-SEEN-RANGE"), "bytes=5-");
    assert.equal(r.header("x-absent"), undefined);
    assert.equal((await readAll(r.body)).toString(), "56789");
  });

  test("only http and https: a file: or ftp: URL is HUB_PROTOCOL and nothing is requested", async () => {
    for (const url of ["file:///etc/passwd", "ftp://127.0.0.1/x", "data:text/plain,hi"]) {
      await assert.rejects(httpGet(new URL(url), { headers: {} }), (e: unknown) => {
        assert.ok(e instanceof HubError);
        assert.equal(e.code, "HUB_PROTOCOL");
        return true;
      });
    }
  });

  test("a refused connection is a NetworkFailure whose message has no URL or query", async () => {
    const probe = createServer();
    await new Promise<void>((ok) => probe.listen(0, "127.0.0.1", ok));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((ok) => probe.close(() => ok()));
    await assert.rejects(
      httpGet(new URL(`http://127.0.0.1:${port}/lfs/x?Signature=s3cr3t`), { headers: {} }),
      (e: unknown) => {
        assert.ok(e instanceof NetworkFailure);
        assert.match(e.message, /ECONNREFUSED/);
        assert.doesNotMatch(e.message, /s3cr3t|Signature|\/lfs\//);
        return true;
      },
    );
  });

  test("a server that never answers is broken off after the idle timeout", async () => {
    handler = () => {}; // never answers
    await assert.rejects(
      httpGet(new URL(`${base}/silent`), { headers: {}, idleTimeoutMs: 150 }),
      (e: unknown) => e instanceof NetworkFailure && /no data for/.test(e.message),
    );
  });

  test("a body that stops arriving is broken off: the stream errors and is not complete", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "Content-Length": 1000 });
      res.write(Buffer.alloc(100)); // then silence
    };
    const r = await httpGet(new URL(`${base}/stall`), { headers: {}, idleTimeoutMs: 150 });
    await assert.rejects(readAll(r.body));
    assert.equal(r.body.complete, false);
  });

  test("a pause of our own is not a stall: with the idle timer stopped the body survives it", async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "Content-Length": 300_000 });
      res.end(Buffer.alloc(300_000, 7));
    };
    const pauseFor = async (stopTimer: boolean) => {
      const r = await httpGet(new URL(`${base}/big`), { headers: {}, idleTimeoutMs: 150 });
      r.body.pause();
      // Listeners first: a body broken off during the pause errors before we resume it.
      const body = readAll(r.body);
      body.catch(() => undefined); // awaited below; not unhandled while we wait
      if (stopTimer) r.idleTimer(false);
      await new Promise((ok) => setTimeout(ok, 450)); // three idle timeouts
      if (stopTimer) r.idleTimer(true);
      r.body.resume();
      return body;
    };
    assert.equal((await pauseFor(true)).length, 300_000);
    // The control: the same pause with the timer running is broken off as a stall.
    await assert.rejects(pauseFor(false));
  });

  test("discard() drops a body that would never end, and its connection", async () => {
    let serverSawClose!: () => void;
    const sawClose = new Promise<void>((ok) => {
      serverSawClose = ok;
    });
    handler = (req, res) => {
      res.writeHead(302, { Location: "/elsewhere" });
      const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024)), 5);
      req.socket.on("close", () => {
        clearInterval(timer);
        closed.push("endless");
        serverSawClose();
      });
    };
    const r = await httpGet(new URL(`${base}/endless`), { headers: {} });
    assert.equal(r.status, 302);
    r.discard();
    await sawClose;
    assert.deepEqual(closed, ["endless"]);
  });
});

describe("httpGet: the progress rule (a trickle is not progress)", () => {
  let server: Server;
  let base: string;
  let handler: Handler = (_q, s) => s.end();
  const timers: NodeJS.Timeout[] = [];

  before(async () => {
    server = createServer((q, s) => handler(q, s));
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    for (const t of timers) clearInterval(t);
    server.closeAllConnections();
    server.close();
  });

  /** Headers at once, then one byte every `everyMs`: never silent, never done. */
  const trickle =
    (everyMs: number, headersToo = false): Handler =>
    (req, res) => {
      if (headersToo) {
        // Even the status line trickles: one byte of it at a time.
        const head = Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n");
        let i = 0;
        const t = setInterval(() => {
          if (i < head.length) req.socket.write(head.subarray(i, ++i));
          else req.socket.write("x");
        }, everyMs);
        timers.push(t);
        req.socket.on("close", () => clearInterval(t));
        return;
      }
      res.writeHead(200, { "Content-Length": 100_000 });
      const t = setInterval(() => res.write("x"), everyMs);
      timers.push(t);
      res.on("close", () => clearInterval(t));
    };

  const readAll = (res: IncomingMessage) =>
    new Promise<Buffer>((ok, fail) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => ok(Buffer.concat(parts)));
      res.on("error", fail);
    });

  test("a body that trickles under the minimum rate is broken off with a clear reason", {
    timeout: 20_000,
  }, async () => {
    handler = trickle(20);
    const r = await httpGet(new URL(`${base}/trickle`), {
      headers: {},
      idleTimeoutMs: 300,
      progress: { windowMs: 300, minBytesPerSecond: 1024 },
    });
    await assert.rejects(readAll(r.body), (e: unknown) => {
      assert.ok(e instanceof NetworkFailure, String(e));
      assert.match(e.message, /too slow/);
      assert.match(e.message, /bytes in 0\.3 s/);
      return true;
    });
    assert.equal(r.body.complete, false);
  });

  test("headers that trickle are broken off too (the rule runs from the request on)", {
    timeout: 20_000,
  }, async () => {
    handler = trickle(20, true);
    await assert.rejects(
      httpGet(new URL(`${base}/trickle-head`), {
        headers: {},
        idleTimeoutMs: 300,
        progress: { windowMs: 300, minBytesPerSecond: 1024 },
      }),
      (e: unknown) => e instanceof NetworkFailure && /too slow/.test(e.message),
    );
  });

  test("the default rule is 1 KiB/s over the idle timeout's window", {
    timeout: 20_000,
  }, async () => {
    handler = trickle(20);
    const r = await httpGet(new URL(`${base}/trickle-default`), {
      headers: {},
      idleTimeoutMs: 300,
    });
    await assert.rejects(readAll(r.body), (e: unknown) => /too slow/.test(String(e)));
  });

  test("a fast body and a paused one (our own pause) are not judged", {
    timeout: 20_000,
  }, async () => {
    handler = (_req, res) => {
      res.writeHead(200, { "Content-Length": 300_000 });
      res.end(Buffer.alloc(300_000, 7));
    };
    const r = await httpGet(new URL(`${base}/fast`), {
      headers: {},
      idleTimeoutMs: 150,
      progress: { windowMs: 150, minBytesPerSecond: 1024 },
    });
    r.body.pause();
    const body = readAll(r.body);
    body.catch(() => undefined);
    r.idleTimer(false);
    await new Promise((ok) => setTimeout(ok, 500));
    r.idleTimer(true);
    r.body.resume();
    assert.equal((await body).length, 300_000);
  });
});
