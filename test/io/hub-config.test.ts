import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UsageError } from "../../src/core/errors.js";
import { HubClient } from "../../src/io/hub.js";
import { isOffline, resolveHubConfig, tokenFilePath } from "../../src/io/hub-config.js";

const TOKEN = "hf_configtest0123456789abcdef";
const noFile = () => undefined;

describe("resolveHubConfig: endpoint", () => {
  it("prefers --hub-url, then HF_ENDPOINT, then huggingface.co, stripping trailing slashes", () => {
    const env = { HF_ENDPOINT: "https://mirror.example/hf//" };
    assert.equal(
      resolveHubConfig({ env, readTokenFile: noFile }).hubUrl,
      "https://mirror.example/hf",
    );
    assert.equal(
      resolveHubConfig({ hubUrl: "http://127.0.0.1:9/", env, readTokenFile: noFile }).hubUrl,
      "http://127.0.0.1:9",
    );
    assert.equal(
      resolveHubConfig({ env: {}, readTokenFile: noFile }).hubUrl,
      "https://huggingface.co",
    );
  });

  it("rejects non-http URLs and URLs carrying credentials", () => {
    assert.throws(
      () => resolveHubConfig({ hubUrl: "ftp://x", env: {}, readTokenFile: noFile }),
      UsageError,
    );
    assert.throws(
      () => resolveHubConfig({ hubUrl: "not a url", env: {}, readTokenFile: noFile }),
      UsageError,
    );
    assert.throws(
      () => resolveHubConfig({ hubUrl: "https://u:p@x", env: {}, readTokenFile: noFile }),
      /credentials/,
    );
  });
});

describe("resolveHubConfig: token", () => {
  it("prefers --token, then HF_TOKEN, then the token file", () => {
    const file = () => `${TOKEN}file\n`;
    const env = { HF_TOKEN: `${TOKEN}env` };
    assert.deepEqual(
      [resolveHubConfig({ token: TOKEN, env, readTokenFile: file })].map((c) => [
        c.token,
        c.tokenSource,
      ]),
      [[TOKEN, "flag"]],
    );
    const fromEnv = resolveHubConfig({ env, readTokenFile: file });
    assert.deepEqual([fromEnv.token, fromEnv.tokenSource], [`${TOKEN}env`, "env"]);
    const fromFile = resolveHubConfig({ env: { HF_TOKEN: "  " }, readTokenFile: file });
    assert.deepEqual([fromFile.token, fromFile.tokenSource], [`${TOKEN}file`, "file"]);
    const none = resolveHubConfig({ env: {}, readTokenFile: noFile });
    assert.deepEqual([none.token, none.tokenSource], [undefined, "none"]);
  });

  it("finds the token file like huggingface_hub: HF_TOKEN_PATH, HF_HOME, XDG_CACHE_HOME, ~/.cache", () => {
    assert.equal(tokenFilePath({ HF_TOKEN_PATH: "/t/tok" }, "/home/u"), "/t/tok");
    assert.equal(tokenFilePath({ HF_HOME: "/hf" }, "/home/u"), "/hf/token");
    assert.equal(tokenFilePath({ XDG_CACHE_HOME: "/xdg" }, "/home/u"), "/xdg/huggingface/token");
    assert.equal(tokenFilePath({}, "/home/u"), "/home/u/.cache/huggingface/token");
    let asked = "";
    resolveHubConfig({
      env: { HF_HOME: "/hf" },
      readTokenFile: (p) => {
        asked = p;
        return undefined;
      },
    });
    assert.equal(asked, "/hf/token");
  });

  it("rejects a malformed token without echoing it", () => {
    assert.throws(
      () => resolveHubConfig({ token: "secret-not-hf", env: {}, readTokenFile: noFile }),
      (e: unknown) =>
        e instanceof UsageError &&
        !e.message.includes("secret-not-hf") &&
        /--token/.test(e.message),
    );
  });

  it("refuses to send a token over plain http to a non-loopback host", () => {
    assert.throws(
      () =>
        resolveHubConfig({
          hubUrl: "http://mirror.example",
          token: TOKEN,
          env: {},
          readTokenFile: noFile,
        }),
      /plain http/,
    );
    assert.equal(
      resolveHubConfig({
        hubUrl: "http://127.0.0.1:1",
        token: TOKEN,
        env: {},
        readTokenFile: noFile,
      }).token,
      TOKEN,
    );
  });
});

describe("isOffline", () => {
  it("reads HF_HUB_OFFLINE truthy values", () => {
    assert.equal(isOffline({ HF_HUB_OFFLINE: "1" }), true);
    assert.equal(isOffline({ HF_HUB_OFFLINE: "True" }), true);
    assert.equal(isOffline({ HF_HUB_OFFLINE: "0" }), false);
    assert.equal(isOffline({}), false);
  });
});

describe("HF_HUB_DOWNLOAD_TIMEOUT", () => {
  const config = (value: string | undefined) =>
    resolveHubConfig({
      env: value === undefined ? {} : { HF_HUB_DOWNLOAD_TIMEOUT: value },
      readTokenFile: noFile,
    });

  it("is read in seconds (decimals allowed), as huggingface_hub reads it; unset leaves the default", () => {
    assert.equal(config(undefined).downloadTimeoutMs, undefined);
    assert.equal(config("10").downloadTimeoutMs, 10_000);
    assert.equal(config(" 0.5 ").downloadTimeoutMs, 500);
  });

  it("rejects values that are not a positive number of seconds, up to a day", () => {
    for (const bad of ["0", "-1", "abc", "1e3", "Infinity", "86401", "10s"]) {
      assert.throws(() => config(bad), /HF_HUB_DOWNLOAD_TIMEOUT/, bad);
    }
  });

  it("reaches downloads as the idle timeout through HubClient.transferOptions()", () => {
    const withTimeout = new HubClient({
      hubUrl: "https://huggingface.co",
      token: undefined,
      downloadTimeoutMs: 2500,
    });
    assert.equal(withTimeout.transferOptions().idleTimeoutMs, 2500);
    const without = new HubClient({ hubUrl: "https://huggingface.co", token: undefined });
    assert.equal("idleTimeoutMs" in without.transferOptions(), false);
  });
});
