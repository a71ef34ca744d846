/**
 * downloadToCache's transfer faults against real HTTP servers on 127.0.0.1 (three origins: the
 * Hub, a CDN and a foreign host): retried statuses with the Hub's waits, answers that never
 * improve, redirects that leave http(s) or loop, a body that stalls, a lying Content-Range, and
 * files large enough to cross many write batches. Each test asserts what is left in blobs/, once
 * with the inline sink and once with the worker-thread sink (io/download-sink-threaded.ts).
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, afterEach, before, describe, test } from "node:test";
import { HubError } from "../../src/core/errors.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { type DownloadRequest, downloadToCache } from "../../src/io/download.js";
import type { RetryEvent } from "../../src/io/fetch.js";
import { BUILT_SINK_WORKER } from "../helpers/built-workers.js";
import { type Origin, sendRange, serve } from "../helpers/http-origin.js";
import { tempDir } from "../helpers/run-cli.js";

const TOKEN = "hf_faultsTestToken123";
const CONTENT = randomBytes(3 * 1024 * 1024 + 321); // crosses many 64 KiB write batches
const SHA256 = createHash("sha256").update(CONTENT).digest("hex");
/** Every test runs with the bytes hashed and written on this thread, then on a worker thread. */
const SINKS = [
  ["inline", Number.POSITIVE_INFINITY],
  ["worker thread", 0],
] as const;

for (const [sinkKind, offThreadMinBytes] of SINKS)
  describe(`downloadToCache transfer faults (${sinkKind})`, () => {
    let hub: Origin;
    let cdn: Origin;
    let foreign: Origin;
    let dir: { path: string; cleanup: () => void } | undefined;
    let cache: RepoCache;
    const seen: { origin: string; path: string; auth?: string; range?: string }[] = [];
    const waits: number[] = [];
    const retries: RetryEvent[] = [];

    before(async () => {
      [hub, cdn, foreign] = await Promise.all([serve(), serve(), serve()]);
    });
    after(() => {
      for (const o of [hub, cdn, foreign]) {
        o.server.closeAllConnections();
        o.server.close();
      }
    });
    afterEach(() => dir?.cleanup());

    function fresh() {
      dir = tempDir();
      cache = new RepoCache(dir.path, "acme/big");
      seen.length = 0;
      waits.length = 0;
      retries.length = 0;
    }
    const record = (origin: string) => (req: IncomingMessage) =>
      seen.push({
        origin,
        path: req.url ?? "",
        ...(req.headers.authorization ? { auth: req.headers.authorization } : {}),
        ...(req.headers.range ? { range: req.headers.range } : {}),
      });
    const blobFiles = () => (existsSync(cache.blobsDir) ? readdirSync(cache.blobsDir).sort() : []);
    const request = (extra: Partial<DownloadRequest> = {}): DownloadRequest => ({
      cache,
      path: "model.safetensors",
      url: `${hub.url}/acme/big/resolve/${"b".repeat(40)}/model.safetensors`,
      expected: { size: CONTENT.length, gitOid: "f".repeat(40), lfsSha256: SHA256 },
      auth: { origin: hub.url, authorization: `Bearer ${TOKEN}` },
      sleep: async (ms) => {
        waits.push(ms);
      },
      onRetry: (e) => retries.push(e),
      sink: {
        batchBytes: 64 * 1024,
        maxInFlightBytes: 128 * 1024,
        syncEveryBytes: 512 * 1024,
        offThreadMinBytes,
        workerUrl: BUILT_SINK_WORKER,
      },
      ...extra,
    });

    test("a multi-megabyte file crossing many write batches lands byte for byte", async () => {
      fresh();
      let reported = 0;
      hub.handle.current = (req, res) => sendRange(req, res, CONTENT);
      const result = await downloadToCache(
        request({
          onBytes: (n) => {
            reported += n;
          },
        }),
      );
      assert.equal(result.status, "verified");
      assert.deepEqual(blobFiles(), [SHA256]);
      assert.ok(readFileSync(cache.blobPath(SHA256)).equals(CONTENT));
      assert.equal(reported, CONTENT.length, "progress counts every byte written");
      assert.deepEqual(waits, [], "in one attempt: no retry re-read the file to rescue it");
    });

    test("one flipped byte near the end of a large file is a DIGEST_MISMATCH and nothing stays", async () => {
      fresh();
      const evil = Buffer.from(CONTENT);
      evil[evil.length - 5]! ^= 0x01;
      hub.handle.current = (req, res) => sendRange(req, res, evil);
      const result = await downloadToCache(request());
      assert.equal(result.status === "mismatch" && result.finding.code, "DIGEST_MISMATCH");
      assert.deepEqual(blobFiles(), []);
    });

    test("503 and 429 are retried with the waits the server asks for, then the file verifies", async () => {
      fresh();
      let calls = 0;
      hub.handle.current = (req, res) => {
        record("hub")(req);
        calls++;
        if (calls === 1) res.writeHead(503, { "Retry-After": "3" }).end("busy");
        else if (calls === 2)
          res.writeHead(429, { RateLimit: '"api";r=0;t=7', "Retry-After": "99" }).end();
        else sendRange(req, res, CONTENT);
      };
      const result = await downloadToCache(request());
      assert.equal(result.status, "verified");
      assert.deepEqual(waits, [3000, 8000], "Retry-After 3 s, then RateLimit t=7 → 8 s");
      assert.deepEqual(
        retries.map((r) => r.reason),
        ["HTTP 503", "HTTP 429"],
      );
      assert.ok(retries.every((r) => !r.url.includes(TOKEN)));
      assert.deepEqual(blobFiles(), [SHA256]);
    });

    test("a 5xx that never ends is HUB_UNAVAILABLE after the retries, and no file is left", async () => {
      fresh();
      hub.handle.current = (req, res) => {
        record("hub")(req);
        res.writeHead(502).end();
      };
      await assert.rejects(downloadToCache(request({ retry: { maxRetries: 2 } })), (e: unknown) => {
        assert.ok(e instanceof HubError);
        assert.equal(e.code, "HUB_UNAVAILABLE");
        assert.equal(e.status, 502);
        assert.doesNotMatch(e.message, new RegExp(TOKEN));
        return true;
      });
      assert.equal(seen.length, 3, "one try and two retries");
      assert.deepEqual(blobFiles(), []);
    });

    test("a 429 that never ends is HUB_RATE_LIMITED and a 403 is HUB_AUTH, with no file left", async () => {
      for (const [status, code, tries] of [
        [429, "HUB_RATE_LIMITED", 3],
        [403, "HUB_AUTH", 1],
      ] as const) {
        dir?.cleanup();
        fresh();
        hub.handle.current = (req, res) => {
          record("hub")(req);
          res.writeHead(status).end();
        };
        await assert.rejects(
          downloadToCache(request({ retry: { maxRetries: 2 } })),
          (e: unknown) => {
            assert.ok(e instanceof HubError);
            assert.equal(e.code, code);
            assert.equal(e.status, status);
            return true;
          },
        );
        assert.equal(seen.length, tries, `HTTP ${status}: requests sent`);
        assert.deepEqual(blobFiles(), []);
      }
    });

    test("a server that refuses connections is a NETWORK error after the retries", async () => {
      fresh();
      const gone = await serve();
      const url = `${gone.url}/acme/big/resolve/x/model.safetensors`;
      await new Promise<void>((ok) => gone.server.close(() => ok()));
      await assert.rejects(
        downloadToCache(request({ url, retry: { maxRetries: 1 } })),
        (e: unknown) =>
          e instanceof HubError && e.code === "NETWORK" && /ECONNREFUSED/.test(e.message),
      );
      assert.equal(waits.length, 1);
      assert.deepEqual(blobFiles(), []);
    });

    test("the token goes to the Hub's origin only, across a chain Hub → foreign → Hub → CDN", async () => {
      fresh();
      hub.handle.current = (req, res) => {
        record("hub")(req);
        if (req.url?.startsWith("/back"))
          res.writeHead(307, { Location: `${cdn.url}/blob/${SHA256}?Signature=abc` }).end();
        else res.writeHead(302, { Location: `${foreign.url}/hop` }).end();
      };
      foreign.handle.current = (req, res) => {
        record("foreign")(req);
        res.writeHead(302, { Location: `${hub.url}/back` }).end();
      };
      cdn.handle.current = (req, res) => {
        record("cdn")(req);
        sendRange(req, res, CONTENT);
      };
      const result = await downloadToCache(request());
      assert.equal(result.status, "verified");
      assert.deepEqual(
        seen.map((s) => [s.origin, s.auth]),
        [
          ["hub", `Bearer ${TOKEN}`],
          ["foreign", undefined],
          ["hub", `Bearer ${TOKEN}`],
          ["cdn", undefined],
        ],
      );
    });

    test("a redirect out of http(s) is refused and nothing is written", async () => {
      fresh();
      hub.handle.current = (_req, res) =>
        res.writeHead(302, { Location: "file:///etc/passwd" }).end();
      await assert.rejects(
        downloadToCache(request()),
        (e: unknown) => e instanceof HubError && e.code === "HUB_PROTOCOL",
      );
      assert.deepEqual(blobFiles(), []);
    });

    test("a redirect loop is HUB_PROTOCOL after ten hops", async () => {
      fresh();
      hub.handle.current = (req, res) => {
        record("hub")(req);
        res.writeHead(302, { Location: "/again" }).end();
      };
      await assert.rejects(downloadToCache(request()), /Too many redirects/);
      assert.equal(seen.length, 10);
      assert.deepEqual(blobFiles(), []);
    });

    test("a body that stalls mid-file is broken off and resumed with a range", async () => {
      fresh();
      let calls = 0;
      hub.handle.current = (req, res) => {
        record("hub")(req);
        calls++;
        if (calls === 1) {
          res.writeHead(200, { "Content-Length": CONTENT.length });
          res.write(CONTENT.subarray(0, 1_000_000)); // then silence
          return;
        }
        sendRange(req, res, CONTENT);
      };
      // 200 ms for both sinks: the body waits (paused after 128 KiB) while a write thread starts,
      // up to several hundred ms under tsx, but the idle timer stops during our own pauses.
      const result = await downloadToCache(request({ idleTimeoutMs: 200 }));
      assert.equal(result.status, "verified");
      const from = Number(/^bytes=(\d+)-$/.exec(seen[1]?.range ?? "")?.[1]);
      assert.ok(from > 0 && from <= 1_000_000, `resumed with ${seen[1]?.range}`);
      assert.ok(readFileSync(cache.blobPath(SHA256)).equals(CONTENT));
    });

    /** The first answer sends `first` bytes of `content` then goes silent; later ones `next`. */
    function stallThen(
      first: number,
      content: Buffer,
      next: (req: IncomingMessage, res: ServerResponse) => void,
    ) {
      let calls = 0;
      hub.handle.current = (req, res) => {
        record("hub")(req);
        calls++;
        if (calls === 1) {
          res.writeHead(200, { "Content-Length": content.length });
          res.write(content.subarray(0, first)); // then silence: the idle timer breaks it off
          return;
        }
        next(req, res);
      };
    }
    const ours = () => blobFiles().filter((b) => /\.modelvet-[0-9a-f]{16}\.incomplete$/.test(b));

    test("a resume answered with another range is HUB_PROTOCOL; no partial file is left", async () => {
      fresh();
      stallThen(500_000, CONTENT, (_req, res) => {
        res.writeHead(206, {
          "Content-Range": `bytes 0-${CONTENT.length - 1}/${CONTENT.length}`,
          "Content-Length": CONTENT.length,
        });
        res.end(CONTENT);
      });
      await assert.rejects(
        downloadToCache(request({ idleTimeoutMs: 200 })),
        (e: unknown) => e instanceof HubError && e.code === "HUB_PROTOCOL",
      );
      assert.ok(seen[1]?.range !== undefined, "the second request resumed");
      assert.deepEqual(blobFiles(), [], "nothing partial outlives the download");
    });

    test("a complete .incomplete someone else left is neither adopted nor touched", async () => {
      fresh();
      mkdirSync(cache.blobsDir, { recursive: true });
      const theirs = `${cache.blobsDir}/${SHA256}.12345678.incomplete`;
      writeFileSync(theirs, CONTENT);
      hub.handle.current = (req, res) => {
        record("hub")(req);
        sendRange(req, res, CONTENT);
      };
      const result = await downloadToCache(request());
      assert.equal(result.status, "verified");
      assert.deepEqual(
        seen.map((s) => s.range),
        [undefined],
      );
      assert.deepEqual(blobFiles(), [SHA256, `${SHA256}.12345678.incomplete`]);
      assert.ok(readFileSync(theirs).equals(CONTENT));
    });

    test("kept bytes changed between two attempts (a crash, or someone writing to the cache) are not trusted: the file is fetched again whole", async () => {
      fresh();
      let damaged = false;
      stallThen(1_000_000, CONTENT, (req, res) => {
        if (!damaged) {
          damaged = true;
          const [partial] = ours();
          assert.ok(partial !== undefined, "this download's own partial file is there");
          const path = `${cache.blobsDir}/${partial}`;
          const bytes = readFileSync(path);
          bytes.fill(0, 100_000, 165_536);
          writeFileSync(path, bytes);
        }
        sendRange(req, res, CONTENT);
      });
      const result = await downloadToCache(request({ idleTimeoutMs: 200 }));
      assert.equal(result.status, "verified");
      assert.deepEqual(
        seen.map((s) => s.range === undefined),
        [true, false, true],
        `resumed, then whole: ${seen.map((s) => s.range)}`,
      );
      assert.deepEqual(blobFiles(), [SHA256]);
      assert.ok(readFileSync(cache.blobPath(SHA256)).equals(CONTENT));
    });

    test("bytes that never verify, resumed and then whole, are a DIGEST_MISMATCH with nothing left", async () => {
      fresh();
      const tampered = Buffer.from(CONTENT);
      tampered.writeUInt8(tampered.readUInt8(tampered.length - 10) ^ 0xff, tampered.length - 10);
      stallThen(500_000, tampered, (req, res) => sendRange(req, res, tampered));
      const result = await downloadToCache(request({ idleTimeoutMs: 200 }));
      assert.equal(result.status === "mismatch" && result.finding.code, "DIGEST_MISMATCH");
      assert.deepEqual(
        seen.map((s) => s.range === undefined),
        [true, false, true],
      );
      assert.deepEqual(blobFiles(), []);
    });
  });
