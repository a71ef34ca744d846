/**
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY (issue #15 item 8), through the built CLI and a real proxy
 * on loopback (test/helpers/forward-proxy.ts): with a proxy set, every request the fixture Hub and
 * its CDN receive has passed through it (API calls, resolve, the CDN's bytes); with NO_PROXY
 * covering the host, none has. Loopback is not special: 127.0.0.1 is proxied unless NO_PROXY
 * names it, as undici's EnvHttpProxyAgent does (and curl does not, which is why the rules are
 * written down in the README).
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { type ForwardProxy, startForwardProxy } from "../helpers/forward-proxy.js";
import { hubEnv, runCli, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";
import { startTlsFront, TLS_CERT_FILE, type TlsFront } from "../helpers/tls-front.js";

const REPO = "google-bert/fixture-tiny-bert";

/** No proxy variable from the outer environment leaks into a run. */
const NONE = {
  HTTP_PROXY: "",
  http_proxy: "",
  HTTPS_PROXY: "",
  https_proxy: "",
  NO_PROXY: "",
  no_proxy: "",
};

describe("proxies from the environment", () => {
  let hub: FixtureHub;
  let proxy: ForwardProxy;
  let front: TlsFront;

  before(async () => {
    hub = await startFixtureHub();
    proxy = await startForwardProxy();
    front = await startTlsFront(hub.url);
  });
  after(async () => {
    await front.close();
    await proxy.close();
    await hub.close();
  });
  beforeEach(() => {
    hub.requests.length = 0;
    proxy.seen.length = 0;
  });

  /**
   * `modelvet pull` with `env`, in this process; in a process of its own where the environment
   * must be there when Node starts (NODE_EXTRA_CA_CERTS).
   */
  async function pull(env: NodeJS.ProcessEnv, endpoint = hub.url) {
    const dir = tempDir();
    try {
      const run = env.NODE_EXTRA_CA_CERTS === undefined ? runCliInProcess : runCli;
      const r = await run(["pull", REPO, "--quiet"], {
        env: { ...hubEnv(endpoint, dir.path), ...NONE, ...env },
      });
      assert.equal(r.code, 0, r.stderr);
      return r;
    } finally {
      dir.cleanup();
    }
  }

  const forwarded = () => proxy.seen.filter((p) => p.kind === "forward").map((p) => p.target);

  test("HTTP_PROXY: every request to the Hub and its CDN is forwarded by the proxy", async () => {
    await pull({ HTTP_PROXY: proxy.url });
    assert.ok(hub.requests.some((r) => r.origin === "hub" && r.path.includes("/api/")));
    assert.ok(
      hub.requests.some((r) => r.origin === "cdn"),
      "an LFS file came from the CDN",
    );
    assert.deepEqual(
      forwarded().sort(),
      hub.requests.map((r) => r.url).sort(),
      "the proxy forwarded exactly what the Hub and CDN received",
    );
  });

  test("http_proxy (lower case) works the same", async () => {
    await pull({ http_proxy: proxy.url });
    assert.ok(hub.requests.length > 0);
    assert.equal(forwarded().length, hub.requests.length);
  });

  test("NO_PROXY naming the Hub's and the CDN's hosts: nothing goes through the proxy", async () => {
    const hosts = [hub.url, hub.cdnUrl].map((u) => new URL(u).hostname);
    await pull({ HTTP_PROXY: proxy.url, NO_PROXY: `example.org,${hosts.join(",")}` });
    assert.ok(hub.requests.length > 0);
    assert.deepEqual(proxy.seen, []);
  });

  test("NO_PROXY naming the Hub's host only: the CDN, another host as on the real Hub, is proxied", async () => {
    await pull({ HTTP_PROXY: proxy.url, NO_PROXY: new URL(hub.url).hostname });
    const cdn = hub.requests.filter((r) => r.origin === "cdn").map((r) => r.url);
    assert.ok(cdn.length > 0);
    assert.deepEqual(forwarded().sort(), cdn.sort());
  });

  test("no_proxy=* : nothing goes through the proxy", async () => {
    await pull({ http_proxy: proxy.url, no_proxy: "*" });
    assert.deepEqual(proxy.seen, []);
  });

  test("NO_PROXY host:port covers that port only: the Hub direct, the CDN proxied", async () => {
    const hubPort = new URL(hub.url).port;
    await pull({ HTTP_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${hubPort}` });
    const cdn = hub.requests.filter((r) => r.origin === "cdn").map((r) => r.url);
    assert.ok(cdn.length > 0);
    assert.deepEqual(forwarded().sort(), cdn.sort());
  });

  test("HTTPS_PROXY: an https Hub is reached through a CONNECT tunnel, the http CDN through HTTP_PROXY", async () => {
    await pull(
      { HTTPS_PROXY: proxy.url, HTTP_PROXY: proxy.url, NODE_EXTRA_CA_CERTS: TLS_CERT_FILE },
      front.url,
    );
    const frontHost = new URL(front.url).host;
    const tunnels = proxy.seen.filter((p) => p.kind === "connect");
    assert.ok(tunnels.length > 0, "at least one CONNECT");
    assert.ok(
      tunnels.every((t) => t.target === frontHost),
      JSON.stringify(tunnels),
    );
    const cdn = hub.requests.filter((r) => r.origin === "cdn").map((r) => r.url);
    assert.ok(cdn.length > 0);
    assert.deepEqual(forwarded().sort(), cdn.sort());
  });

  test("a proxy that cannot be used is a usage error naming the variable, never its password", async () => {
    const dir = tempDir();
    try {
      const r = await runCli(["pull", REPO, "--quiet"], {
        env: {
          ...hubEnv(hub.url, dir.path),
          ...NONE,
          HTTP_PROXY: "socks5://me:s3cret@proxy.test:1080",
        },
      });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /HTTP_PROXY/);
      assert.ok(!r.stderr.includes("s3cret"), r.stderr);
      assert.equal(hub.requests.length, 0);
    } finally {
      dir.cleanup();
    }
  });

  test("HTTPS_PROXY alone does not apply to http URLs", async () => {
    await pull({ HTTPS_PROXY: proxy.url });
    assert.ok(hub.requests.length > 0);
    assert.deepEqual(proxy.seen, []);
  });
});
