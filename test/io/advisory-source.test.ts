/**
 * Advisory files fetched over HTTP (io/advisory-source.ts): read from a real loopback server,
 * never with credentials, refused when the server fails, lies about its size or never stops.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ModelvetError } from "../../src/core/errors.js";
import { readAdvisorySource } from "../../src/io/advisory-source.js";
import { type Origin, serve } from "../helpers/http-origin.js";

let origin: Origin;
before(async () => {
  origin = await serve();
});
after(() => {
  origin.server.close();
});

test("an advisory URL is read, without any Authorization header", async () => {
  let authorization: string | undefined = "unset";
  origin.handle.current = (req, res) => {
    authorization = req.headers.authorization;
    res
      .writeHead(200, { "content-type": "application/json" })
      .end('{"advisoriesVersion":"1.0.0","advisories":[]}');
  };
  const text = await readAdvisorySource(`${origin.url}/adv.json`);
  assert.equal(text, '{"advisoriesVersion":"1.0.0","advisories":[]}');
  assert.equal(authorization, undefined);
});

test("an HTTP error is a network error naming the status and the URL", async () => {
  origin.handle.current = (_req, res) => res.writeHead(404).end("nope");
  await assert.rejects(readAdvisorySource(`${origin.url}/missing.json`), (error: unknown) => {
    assert.ok(error instanceof ModelvetError);
    assert.equal(error.code, "NETWORK");
    assert.match(error.message, /HTTP 404 for http:\/\/127\.0\.0\.1:\d+\/missing\.json/);
    return true;
  });
});

test("a body past 32 MiB is refused while it streams, even without a Content-Length", async () => {
  let sent = 0;
  origin.handle.current = (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    const pump = () => {
      while (sent < 64 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) {
          res.once("drain", pump);
          return;
        }
      }
      res.end();
    };
    res.on("error", () => {});
    pump();
  };
  await assert.rejects(
    readAdvisorySource(`${origin.url}/endless.json`),
    /more than 33554432 bytes/,
  );
  assert.ok(sent < 64 * 1024 * 1024, "the reader stopped before the server sent everything");
});

test("a missing local file is INPUT_NOT_FOUND", async () => {
  await assert.rejects(readAdvisorySource("/nonexistent/advisories.json"), (error: unknown) => {
    assert.ok(error instanceof ModelvetError);
    assert.equal(error.code, "INPUT_NOT_FOUND");
    return true;
  });
});
