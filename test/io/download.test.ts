/**
 * downloadToCache against a real HTTP server on 127.0.0.1 whose behaviour each test sets:
 * what is on disk afterwards is asserted, not only the result.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { after, afterEach, before, describe, test } from "node:test";
import { RepoCache } from "../../src/io/cache-layout.js";
import { downloadToCache } from "../../src/io/download.js";
import { BUILT_SINK_WORKER } from "../helpers/built-workers.js";
import { type Origin, sendRange, serve } from "../helpers/http-origin.js";
import { tempDir } from "../helpers/run-cli.js";

const CONTENT = Buffer.from(`${"x".repeat(50_000)}the end`);
const SHA256 = createHash("sha256").update(CONTENT).digest("hex");
const GIT_OID = createHash("sha1").update(`blob ${CONTENT.length}\0`).update(CONTENT).digest("hex");
const noSleep = async () => {};
/** Every test runs with the bytes hashed and written on this thread, then on a worker thread. */
const SINKS = [
  ["inline", Number.POSITIVE_INFINITY],
  ["worker thread", 0],
] as const;

for (const [sinkKind, offThreadMinBytes] of SINKS)
  describe(`downloadToCache (${sinkKind})`, () => {
    let hub: Origin;
    let cdn: Origin;
    let dir: { path: string; cleanup: () => void };
    let cache: RepoCache;
    const seen: { path: string; auth: string | undefined; range: string | undefined }[] = [];

    before(async () => {
      hub = await serve();
      cdn = await serve();
    });
    after(() => {
      hub.server.close();
      cdn.server.close();
    });
    afterEach(() => dir?.cleanup());

    function fresh() {
      dir = tempDir();
      cache = new RepoCache(dir.path, "acme/tiny");
      seen.length = 0;
    }
    const record = (req: IncomingMessage) =>
      seen.push({ path: req.url ?? "", auth: req.headers.authorization, range: req.headers.range });
    const blobFiles = () => (existsSync(cache.blobsDir) ? readdirSync(cache.blobsDir).sort() : []);
    const request = (lfs: boolean) => ({
      cache,
      path: "model.bin",
      url: `${hub.url}/acme/tiny/resolve/${"a".repeat(40)}/model.bin`,
      expected: {
        size: CONTENT.length,
        gitOid: lfs ? "f".repeat(40) : GIT_OID,
        lfsSha256: lfs ? SHA256 : undefined,
      },
      auth: { origin: hub.url, authorization: "Bearer hf_secret_token" },
      sleep: noSleep,
      sink: { offThreadMinBytes, workerUrl: BUILT_SINK_WORKER },
    });

    test("an LFS file is verified and renamed to blobs/<sha256>; the token never crosses origins", async () => {
      fresh();
      hub.handle.current = (req, res) => {
        record(req);
        res.writeHead(302, { Location: `${cdn.url}/blob/${SHA256}` }).end();
      };
      cdn.handle.current = (req, res) => {
        record(req);
        sendRange(req, res, CONTENT);
      };
      const result = await downloadToCache(request(true));
      assert.equal(result.status, "verified");
      assert.deepEqual(blobFiles(), [SHA256]);
      assert.ok(readFileSync(cache.blobPath(SHA256)).equals(CONTENT));
      assert.equal(seen[0]?.auth, "Bearer hf_secret_token", "the Hub gets the token");
      assert.equal(seen[1]?.auth, undefined, "the CDN on another origin does not");
    });

    test("a regular file is checked against its git blob id", async () => {
      fresh();
      hub.handle.current = (req, res) => sendRange(req, res, CONTENT);
      const result = await downloadToCache(request(false));
      assert.equal(result.status, "verified");
      assert.equal(result.status === "verified" && result.sha256, SHA256);
      assert.deepEqual(blobFiles(), [GIT_OID]);
    });

    test("wrong bytes of the right size are a DIGEST_MISMATCH and leave nothing in blobs/", async () => {
      fresh();
      const evil = Buffer.from(CONTENT);
      evil[10] = 0x41;
      hub.handle.current = (req, res) => sendRange(req, res, evil);
      const result = await downloadToCache(request(true));
      assert.equal(result.status, "mismatch");
      assert.equal(result.status === "mismatch" && result.finding.code, "DIGEST_MISMATCH");
      assert.equal(result.status === "mismatch" && result.finding.expected, `sha256:${SHA256}`);
      assert.deepEqual(blobFiles(), []);
    });

    test("a body longer than published is a SIZE_MISMATCH, cut off, and leaves nothing", async () => {
      fresh();
      hub.handle.current = (_req, res) => {
        res.writeHead(200);
        res.end(Buffer.concat([CONTENT, Buffer.alloc(100_000)]));
      };
      const result = await downloadToCache(request(false));
      assert.equal(result.status === "mismatch" && result.finding.code, "SIZE_MISMATCH");
      assert.deepEqual(blobFiles(), []);
    });

    test("a connection reset mid-file is resumed with a range request", async () => {
      fresh();
      let calls = 0;
      hub.handle.current = (req, res) => {
        record(req);
        calls++;
        if (calls === 1) {
          res.writeHead(200, { "Content-Length": CONTENT.length });
          res.write(CONTENT.subarray(0, 20_000), () => setTimeout(() => res.destroy(), 50));
          return;
        }
        sendRange(req, res, CONTENT);
      };
      const result = await downloadToCache(request(true));
      assert.equal(result.status, "verified");
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(seen[1]?.range ?? "")?.[1]);
      assert.ok(resumedAt > 0 && resumedAt <= 20_000, `resumed with ${seen[1]?.range}`);
      assert.deepEqual(blobFiles(), [SHA256]);
    });

    test("a server that ignores the range restarts cleanly, in a fresh file", async () => {
      fresh();
      let calls = 0;
      hub.handle.current = (req, res) => {
        record(req);
        calls++;
        res.writeHead(200, { "Content-Length": CONTENT.length });
        if (calls === 1)
          res.write(CONTENT.subarray(0, 20_000), () => setTimeout(() => res.destroy(), 50));
        else res.end(CONTENT);
      };
      const result = await downloadToCache(request(true));
      assert.equal(result.status, "verified");
      assert.ok(seen.length >= 2, "a second request");
      assert.deepEqual(blobFiles(), [SHA256]);
      assert.ok(readFileSync(cache.blobPath(SHA256)).equals(CONTENT));
    });

    test("a blob already in the cache is re-hashed, not downloaded; a corrupt one is replaced", async () => {
      fresh();
      mkdirSync(cache.blobsDir, { recursive: true });
      writeFileSync(cache.blobPath(SHA256), CONTENT);
      hub.handle.current = (req, res) => {
        record(req);
        sendRange(req, res, CONTENT);
      };
      const reused = await downloadToCache(request(true));
      assert.equal(reused.status === "verified" && reused.reused, true);
      assert.equal(seen.length, 0);
      writeFileSync(cache.blobPath(SHA256), Buffer.alloc(CONTENT.length));
      const replaced = await downloadToCache(request(true));
      assert.equal(replaced.status === "verified" && replaced.reused, false);
      assert.ok(readFileSync(cache.blobPath(SHA256)).equals(CONTENT));
    });

    test("a body that always ends early fails after bounded attempts and leaves nothing partial", async () => {
      fresh();
      hub.handle.current = (_req, res) => {
        res.writeHead(200, { "Content-Length": CONTENT.length });
        res.write(CONTENT.subarray(0, 100), () => res.destroy());
      };
      await assert.rejects(
        downloadToCache({ ...request(true), maxAttempts: 3 }),
        /failed after 3 attempts/,
      );
      assert.deepEqual(blobFiles(), [], "no partial file for a later run to adopt");
    });
  });
