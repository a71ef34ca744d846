/**
 * core/proxy-rules.ts decides for the node:http download path; undici's EnvHttpProxyAgent decides
 * for every fetch. Both must agree on every case, so each case is put to both: ours directly,
 * undici's by dispatching through an agent whose inner agents record which one was picked.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EnvHttpProxyAgent } from "undici";
import { UsageError } from "../../src/core/errors.js";
import {
  bypassesProxy,
  type ProxyEnv,
  proxyForUrl,
  proxySettingsFrom,
} from "../../src/core/proxy-rules.js";

const P = "http://proxy.test:3128/";
const S = "http://secure-proxy.test:3129/";

/** "direct", "http" or "https": which inner agent undici's EnvHttpProxyAgent dispatches to. */
function undiciChoice(env: ProxyEnv, url: string): string {
  const s = proxySettingsFrom(env);
  const agent = new EnvHttpProxyAgent({
    httpProxy: s.httpProxy ?? "",
    httpsProxy: s.httpsProxy ?? "",
    noProxy: s.noProxy,
  });
  const picked: string[] = [];
  const inner = Object.getOwnPropertySymbols(agent);
  const names: Record<string, string> = {
    "no proxy agent": "direct",
    "http proxy agent": "http",
    "https proxy agent": "https",
  };
  // Identity first: when HTTPS_PROXY is unset undici reuses the http agent (and the no-proxy one).
  const seen = new Map<object, string>();
  for (const key of ["no proxy agent", "http proxy agent", "https proxy agent"]) {
    const sym = inner.find((x) => x.description === key);
    assert.ok(sym, `undici internals changed: no symbol "${key}"`);
    const target = (agent as unknown as Record<symbol, { dispatch: unknown }>)[sym]!;
    if (!seen.has(target)) {
      seen.set(target, names[key]!);
      target.dispatch = () => {
        picked.push(seen.get(target)!);
        return true;
      };
    }
  }
  const u = new URL(url);
  agent.dispatch({ origin: u.origin, path: "/", method: "GET" }, {} as never);
  return picked[0] ?? "none";
}

function ourChoice(env: ProxyEnv, url: string): string {
  const s = proxySettingsFrom(env);
  const proxy = proxyForUrl(new URL(url), s);
  if (proxy === undefined) return "direct";
  return proxy === s.httpProxy ? "http" : "https";
}

const cases: Array<[string, ProxyEnv, string, string]> = [
  ["no variables", {}, "https://huggingface.co/api", "direct"],
  ["HTTP_PROXY, http URL", { HTTP_PROXY: P }, "http://127.0.0.1:9/x", "http"],
  ["HTTP_PROXY, https URL", { HTTP_PROXY: P }, "https://huggingface.co/", "http"],
  ["HTTPS_PROXY, http URL", { HTTPS_PROXY: S }, "http://127.0.0.1:9/", "direct"],
  ["HTTPS_PROXY, https URL", { HTTPS_PROXY: S }, "https://cdn-lfs.hf.co/", "https"],
  ["both, https URL", { HTTP_PROXY: P, HTTPS_PROXY: S }, "https://hf.co/", "https"],
  ["lower case wins", { http_proxy: P, HTTP_PROXY: S }, "http://a.test/", "http"],
  ["empty lower case = unset", { http_proxy: "", HTTP_PROXY: P }, "http://a.test/", "http"],
  ["NO_PROXY host", { HTTP_PROXY: P, NO_PROXY: "a.test" }, "http://a.test/", "direct"],
  ["NO_PROXY subdomain", { HTTP_PROXY: P, NO_PROXY: "a.test" }, "http://b.a.test/", "direct"],
  ["NO_PROXY .domain", { HTTP_PROXY: P, NO_PROXY: ".a.test" }, "http://b.a.test/", "direct"],
  ["NO_PROXY *.domain", { HTTP_PROXY: P, NO_PROXY: "*.a.test" }, "http://a.test/", "direct"],
  ["NO_PROXY suffix only", { HTTP_PROXY: P, NO_PROXY: "a.test" }, "http://ba.test/", "http"],
  ["NO_PROXY *", { HTTP_PROXY: P, no_proxy: "*" }, "http://x.test/", "direct"],
  ["NO_PROXY list", { HTTP_PROXY: P, NO_PROXY: "x.test, y.test" }, "http://y.test/", "direct"],
  ["NO_PROXY port", { HTTP_PROXY: P, NO_PROXY: "a.test:8080" }, "http://a.test:8080/", "direct"],
  ["NO_PROXY other port", { HTTP_PROXY: P, NO_PROXY: "a.test:8080" }, "http://a.test/", "http"],
  [
    "NO_PROXY default port",
    { HTTPS_PROXY: S, NO_PROXY: "a.test:443" },
    "https://a.test/",
    "direct",
  ],
  ["loopback is proxied", { HTTP_PROXY: P }, "http://localhost:1/", "http"],
  [
    "127.0.0.1 in NO_PROXY",
    { HTTP_PROXY: P, NO_PROXY: "127.0.0.1" },
    "http://127.0.0.1:5/",
    "direct",
  ],
  ["IPv6 in NO_PROXY", { HTTP_PROXY: P, NO_PROXY: "[::1]" }, "http://[::1]:5/", "direct"],
  ["case-insensitive", { HTTP_PROXY: P, NO_PROXY: "A.Test" }, "http://a.TEST/", "direct"],
  [
    "lower no_proxy wins",
    { HTTP_PROXY: P, no_proxy: "b.test", NO_PROXY: "a.test" },
    "http://a.test/",
    "http",
  ],
];

describe("proxy rules agree with undici's EnvHttpProxyAgent", () => {
  for (const [name, env, url, expected] of cases) {
    test(name, () => {
      assert.equal(ourChoice(env, url), expected, "ours");
      assert.equal(undiciChoice(env, url), expected, "undici's");
    });
  }
});

describe("proxy settings", () => {
  test("a proxy without a scheme is http", () => {
    assert.equal(proxySettingsFrom({ HTTP_PROXY: "proxy.test:3128" }).httpProxy, P);
  });
  test("a malformed or non-http proxy is a usage error that does not show the value", () => {
    for (const bad of ["http://user:s3cret@[bad", "socks5://user:s3cret@h:1"]) {
      assert.throws(
        () => proxySettingsFrom({ HTTPS_PROXY: bad }),
        (e: unknown) => e instanceof UsageError && !e.message.includes("s3cret"),
      );
    }
  });
  test("NO_PROXY empty covers nothing", () => {
    assert.equal(bypassesProxy(new URL("http://a.test/"), ""), false);
  });
});
