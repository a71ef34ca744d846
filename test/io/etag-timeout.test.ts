/**
 * HF_HUB_ETAG_TIMEOUT (issue #15 item 8): how long an API or metadata request may stay silent,
 * in seconds, default 10 as in huggingface_hub. Silence, not total time: an answer that keeps
 * arriving is never cut off.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { HubError, UsageError } from "../../src/core/errors.js";
import { HUB_RETRY_POLICY } from "../../src/io/fetch.js";
import { HubClient } from "../../src/io/hub.js";
import { resolveHubConfig } from "../../src/io/hub-config.js";
import { type Origin, serve } from "../helpers/http-origin.js";

const COMMIT = "a".repeat(40);
const INFO = JSON.stringify({ id: "acme/m", sha: COMMIT, private: false, gated: false });

describe("HF_HUB_ETAG_TIMEOUT", () => {
  let origin: Origin;
  before(async () => {
    origin = await serve();
  });
  after(() => {
    origin.server.closeAllConnections();
    origin.server.close();
  });

  const client = (env: NodeJS.ProcessEnv) =>
    new HubClient(resolveHubConfig({ hubUrl: origin.url, env, readTokenFile: () => undefined }), {
      retry: { maxRetries: 0 },
    });

  test("defaults to 10 s, as huggingface_hub's DEFAULT_ETAG_TIMEOUT", () => {
    assert.equal(HUB_RETRY_POLICY.timeoutMs, 10_000);
    assert.equal(
      resolveHubConfig({ env: {}, readTokenFile: () => undefined }).etagTimeoutMs,
      undefined,
    );
  });

  test("is read in seconds; anything else is a usage error naming the variable", () => {
    const config = (v: string) =>
      resolveHubConfig({ env: { HF_HUB_ETAG_TIMEOUT: v }, readTokenFile: () => undefined });
    assert.equal(config("2").etagTimeoutMs, 2000);
    assert.equal(config("0.5").etagTimeoutMs, 500);
    for (const bad of ["0", "-1", "ten", "1e9"]) {
      assert.throws(
        () => config(bad),
        (e: unknown) => e instanceof UsageError && e.message.includes("HF_HUB_ETAG_TIMEOUT"),
      );
    }
  });

  test("a Hub that never answers fails after that silence, saying so", {
    timeout: 8000,
  }, async () => {
    origin.handle.current = () => undefined; // never answers
    await assert.rejects(
      client({ HF_HUB_ETAG_TIMEOUT: "1" }).fetchRepoInfo("acme/m"),
      (e: unknown) =>
        e instanceof HubError && e.code === "NETWORK" && /HF_HUB_ETAG_TIMEOUT/.test(e.message),
    );
  });

  test("a body that stalls mid-way is cut off too", { timeout: 30_000 }, async () => {
    origin.handle.current = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.write(INFO.slice(0, 10)); // and nothing more
    };
    await assert.rejects(
      client({ HF_HUB_ETAG_TIMEOUT: "1" }).fetchRepoInfo("acme/m"),
      (e: unknown) => e instanceof HubError && e.code === "NETWORK",
    );
  });

  test("an answer that keeps arriving is not cut off, however long it takes", async () => {
    origin.handle.current = (_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      const parts = INFO.match(/.{1,8}/g) ?? [];
      let i = 0;
      const next = () => {
        if (i === parts.length) {
          res.end();
          return;
        }
        res.write(parts[i++]);
        setTimeout(next, 400);
      };
      setTimeout(next, 400);
    };
    // ~10 parts 400 ms apart: over the 3 s timeout in total, never 3 s silent.
    const info = await client({ HF_HUB_ETAG_TIMEOUT: "3" }).fetchRepoInfo("acme/m");
    assert.equal(info.commit, COMMIT);
  });
});
