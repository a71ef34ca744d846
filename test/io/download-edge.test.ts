/**
 * downloadToCache at the network edge (issue #14 items 8 and 9): a malformed `Location` is a
 * HUB_PROTOCOL error with its own message (not an internal error), and a body that trickles a
 * byte at a time fails with a typed NETWORK error naming the reason, its partial file kept for
 * the next run to resume, as for any other broken transfer.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { after, afterEach, before, describe, test } from "node:test";
import { HubError } from "../../src/core/errors.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { type DownloadRequest, downloadToCache } from "../../src/io/download.js";
import { type Origin, serve } from "../helpers/http-origin.js";
import { tempDir } from "../helpers/run-cli.js";

const TOKEN = "hf_edgeTestToken0123456789";
const CONTENT = Buffer.alloc(50_000, 3);
const SHA256 = createHash("sha256").update(CONTENT).digest("hex");

describe("downloadToCache at the network edge", () => {
  let hub: Origin;
  let dir: { path: string; cleanup: () => void } | undefined;
  let cache: RepoCache;
  const timers: NodeJS.Timeout[] = [];

  before(async () => {
    hub = await serve();
  });
  after(() => {
    for (const t of timers) clearInterval(t);
    hub.server.closeAllConnections();
    hub.server.close();
  });
  afterEach(() => dir?.cleanup());

  const request = (extra: Partial<DownloadRequest> = {}): DownloadRequest => {
    dir = tempDir();
    cache = new RepoCache(dir.path, "acme/edge");
    return {
      cache,
      path: "model.safetensors",
      url: `${hub.url}/acme/edge/resolve/${"b".repeat(40)}/model.safetensors`,
      expected: { size: CONTENT.length, gitOid: "f".repeat(40), lfsSha256: SHA256 },
      auth: { origin: hub.url, authorization: `Bearer ${TOKEN}` },
      sleep: async () => {},
      ...extra,
    };
  };
  const blobFiles = () => (existsSync(cache.blobsDir) ? readdirSync(cache.blobsDir).sort() : []);

  for (const location of ["http://[::1", "http://exa mple.com/x", "https://a:b:c@/x"]) {
    test(`a malformed Location (${location}) is HUB_PROTOCOL naming the header`, async () => {
      hub.handle.current = (_req, res) => {
        res.writeHead(302, { Location: location }).end();
      };
      await assert.rejects(downloadToCache(request()), (e: unknown) => {
        assert.ok(e instanceof HubError, `expected a HubError, got ${String(e)}`);
        assert.equal(e.code, "HUB_PROTOCOL");
        assert.match(e.message, /malformed Location/);
        assert.match(e.message, /model\.safetensors/);
        return true;
      });
      assert.deepEqual(blobFiles(), []);
    });
  }

  test("a body that trickles a byte at a time fails as NETWORK, saying it is too slow; its partial file is removed", {
    timeout: 30_000,
  }, async () => {
    let requests = 0;
    hub.handle.current = (_req, res) => {
      requests++;
      res.writeHead(200, { "Content-Length": CONTENT.length });
      let sent = 0;
      const t = setInterval(() => {
        res.write(CONTENT.subarray(sent, sent + 1));
        sent++;
      }, 20);
      timers.push(t);
      res.on("close", () => clearInterval(t));
    };
    await assert.rejects(
      downloadToCache(request({ idleTimeoutMs: 300, maxAttempts: 2 })),
      (e: unknown) => {
        assert.ok(e instanceof HubError, `expected a HubError, got ${String(e)}`);
        assert.equal(e.code, "NETWORK");
        assert.match(e.message, /too slow/);
        assert.ok(!e.message.includes(TOKEN));
        return true;
      },
    );
    assert.equal(requests, 2, "each attempt was broken off, then given up");
    // Only this run could resume it (partial files of other runs are never adopted): removed.
    assert.deepEqual(blobFiles(), []);
  });
});
