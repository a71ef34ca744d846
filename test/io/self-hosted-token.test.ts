/**
 * Tokens that do not start with hf_ (issue #15 item 8): accepted for a self-hosted HF_ENDPOINT
 * (SSO and JWT tokens), still refused for the public Hub, which issues only hf_ tokens; sent to
 * the endpoint's own origin only, never across a redirect to another origin (a CDN), and never
 * shown in a message.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, beforeEach, describe, test } from "node:test";
import { HubError, UsageError } from "../../src/core/errors.js";
import { HubClient } from "../../src/io/hub.js";
import { resolveHubConfig } from "../../src/io/hub-config.js";
import { type Origin, serve } from "../helpers/http-origin.js";

const SSO = "eyJhbGciOiJSUzI1NiJ9.c2VsZi1ob3N0ZWQ.sig-4f2a";
const COMMIT = "b".repeat(40);
const BYTES = Buffer.from("{}\n");
const GIT_OID = "0967ef424bce6791893e9a57bb952f80fd536e93";

const noFile = () => undefined;
const config = (hubUrl: string | undefined, token: string) =>
  resolveHubConfig({ hubUrl, token, env: {}, readTokenFile: noFile });

describe("a token without hf_", () => {
  test("is refused for the public Hub, as before, without showing it", () => {
    for (const hub of [
      undefined,
      "https://huggingface.co",
      "https://HF.co",
      "https://x.huggingface.co",
    ]) {
      assert.throws(
        () => config(hub, SSO),
        (e: unknown) =>
          e instanceof UsageError && /hf_/.test(e.message) && !e.message.includes(SSO),
        String(hub),
      );
    }
  });

  test("is accepted for a self-hosted endpoint", () => {
    for (const hub of [
      "https://hub.corp.example",
      "https://huggingface.co.evil.example",
      "http://127.0.0.1:9",
    ]) {
      assert.equal(config(hub, SSO).token, SSO, hub);
    }
  });

  test("must still fit in a header: spaces, control or non-ASCII characters are refused", () => {
    for (const bad of ["two words", "line\nbreak", "tab\there", "naïve"]) {
      assert.throws(
        () => config("https://hub.corp.example", bad),
        (e: unknown) => e instanceof UsageError && !e.message.includes(bad),
      );
    }
  });

  test("still refuses plain http to a host that is not loopback", () => {
    assert.throws(() => config("http://hub.corp.example", SSO), UsageError);
  });
});

describe("HF_HUB_DISABLE_IMPLICIT_TOKEN", () => {
  test("HF_TOKEN and the token file are not used; --token still is", () => {
    const env = { HF_TOKEN: "hf_fromenv0000", HF_HUB_DISABLE_IMPLICIT_TOKEN: "1" };
    const file = () => "hf_fromfile0000";
    assert.equal(resolveHubConfig({ env, readTokenFile: file }).token, undefined);
    assert.equal(
      resolveHubConfig({ env, token: "hf_flag0000", readTokenFile: file }).token,
      "hf_flag0000",
    );
    const on = { ...env, HF_HUB_DISABLE_IMPLICIT_TOKEN: "0" };
    assert.equal(resolveHubConfig({ env: on, readTokenFile: file }).token, "hf_fromenv0000");
  });
});

describe("a self-hosted Hub with its own tokens", () => {
  let hub: Origin;
  let cdn: Origin;
  const seen: Array<{ origin: string; path: string; auth: string | undefined }> = [];
  const record = (origin: string) => (req: IncomingMessage) =>
    seen.push({ origin, path: req.url ?? "", auth: req.headers.authorization });

  before(async () => {
    hub = await serve();
    cdn = await serve();
  });
  after(() => {
    for (const o of [hub, cdn]) {
      o.server.closeAllConnections();
      o.server.close();
    }
  });
  beforeEach(() => {
    seen.length = 0;
    cdn.handle.current = (req, res) => {
      record("cdn")(req);
      res.writeHead(200, { "Content-Length": BYTES.length }).end(BYTES);
    };
    hub.handle.current = (req, res) => {
      record("hub")(req);
      if (req.headers.authorization !== `Bearer ${SSO}`) {
        res.writeHead(401, { "X-Error-Code": "RepoNotFound" }).end();
        return;
      }
      const path = req.url ?? "";
      if (path.startsWith("/api/models/corp/m/revision/")) {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ id: "corp/m", sha: COMMIT, private: true, gated: false }));
      } else if (path.startsWith(`/api/models/corp/m/tree/${COMMIT}`)) {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(
          JSON.stringify([{ type: "file", path: "config.json", size: BYTES.length, oid: GIT_OID }]),
        );
      } else if (path.startsWith(`/corp/m/resolve/${COMMIT}/config.json`)) {
        res.writeHead(302, { Location: `${cdn.url}/signed/config.json?sig=1` }).end();
      } else res.writeHead(404).end();
    };
  });

  const client = () => new HubClient(config(hub.url, SSO), { retry: { maxRetries: 0 } });

  test("reads repo info and lists files with it (through @huggingface/hub too)", async () => {
    const c = client();
    const info = await c.fetchRepoInfo("corp/m");
    assert.equal(info.commit, COMMIT);
    const files = await c.listRepoFiles("corp/m", COMMIT);
    assert.deepEqual(
      files.map((f) => f.path),
      ["config.json"],
    );
    assert.ok(seen.every((s) => s.origin === "hub" && s.auth === `Bearer ${SSO}`));
  });

  test("the token goes to the Hub's origin only, never across the redirect to the CDN", async () => {
    const c = client();
    const files = await c.listRepoFiles("corp/m", COMMIT);
    const got = await c.fetchVerifiedFile("corp/m", COMMIT, files[0]!);
    assert.equal(got.ok, true);
    const cdnSeen = seen.filter((s) => s.origin === "cdn");
    assert.equal(cdnSeen.length, 1);
    assert.equal(cdnSeen[0]!.auth, undefined);
    assert.equal(c.authFor()?.origin, new URL(hub.url).origin);
  });

  test("a refusal never shows the token", async () => {
    const c = new HubClient(config(hub.url, `${SSO}-revoked`), { retry: { maxRetries: 0 } });
    await assert.rejects(c.fetchRepoInfo("corp/m"), (e: unknown) => {
      assert.ok(e instanceof HubError, String(e));
      assert.ok(!e.message.includes(SSO), e.message);
      return true;
    });
  });
});
