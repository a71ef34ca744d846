import assert from "node:assert/strict";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ModelvetError } from "../../src/core/errors.js";
import {
  checkRepoPath,
  RepoCache,
  repoFolderName,
  resolveCacheDir,
} from "../../src/io/cache-layout.js";

const COMMIT = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233a";
const SHA256 = "c8f5d0341d54d951a71b136e6e2afcb14d11ed8489a7ae126a8fee0df6ecf193";

describe("cache location", () => {
  test("--cache-dir wins over every variable", () => {
    assert.equal(resolveCacheDir("/x/cache", { HF_HUB_CACHE: "/y", HF_HOME: "/z" }), "/x/cache");
  });
  test("HF_HUB_CACHE, then HUGGINGFACE_HUB_CACHE, then $HF_HOME/hub", () => {
    assert.equal(
      resolveCacheDir(undefined, { HF_HUB_CACHE: "/y", HUGGINGFACE_HUB_CACHE: "/w" }),
      "/y",
    );
    assert.equal(resolveCacheDir(undefined, { HUGGINGFACE_HUB_CACHE: "/w", HF_HOME: "/z" }), "/w");
    assert.equal(resolveCacheDir(undefined, { HF_HOME: "/z" }), "/z/hub");
  });
  test("defaults to $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub", () => {
    assert.equal(resolveCacheDir(undefined, { XDG_CACHE_HOME: "/xdg" }), "/xdg/huggingface/hub");
    assert.equal(resolveCacheDir(undefined, {}), join(homedir(), ".cache", "huggingface", "hub"));
  });
  test("~ is expanded", () => {
    assert.equal(resolveCacheDir("~/hf", {}), join(homedir(), "hf"));
  });
});

describe("huggingface_hub layout", () => {
  const cache = new RepoCache("/c", "acme/tiny-bert");
  test("repo folder is models--org--name", () => {
    assert.equal(repoFolderName("acme/tiny-bert"), "models--acme--tiny-bert");
    assert.equal(cache.repoDir, "/c/models--acme--tiny-bert");
  });
  test("blobs are named by sha256 or git sha1, nothing else", () => {
    assert.equal(cache.blobPath(SHA256), `/c/models--acme--tiny-bert/blobs/${SHA256}`);
    assert.throws(() => cache.blobPath("../../etc/passwd"), ModelvetError);
    assert.throws(() => cache.blobPath("ABC"), ModelvetError);
  });
  test("snapshot links are relative and depth-adjusted", () => {
    assert.equal(cache.linkTarget("config.json", SHA256), `../../blobs/${SHA256}`);
    assert.equal(cache.linkTarget("onnx/sub/model.onnx", SHA256), `../../../../blobs/${SHA256}`);
    assert.equal(
      cache.snapshotPath(COMMIT, "onnx/model.onnx"),
      `/c/models--acme--tiny-bert/snapshots/${COMMIT}/onnx/model.onnx`,
    );
  });
  test("refs with slashes are nested files", () => {
    assert.equal(cache.refPath("refs/pr/1"), "/c/models--acme--tiny-bert/refs/refs/pr/1");
    assert.equal(cache.refPath("main"), "/c/models--acme--tiny-bert/refs/main");
  });
  test("paths from the Hub that would escape are refused", () => {
    for (const bad of [
      "../x",
      "a/../../x",
      "/etc/passwd",
      "a//b",
      "./a",
      "a\\b",
      "C:/x",
      "",
      "a\0b",
    ]) {
      assert.throws(() => checkRepoPath(bad), /escape the cache/, bad);
      assert.throws(() => cache.snapshotPath(COMMIT, bad), ModelvetError, bad);
    }
    assert.throws(() => cache.refPath("../../x"), /escape the cache/);
    assert.throws(() => cache.snapshotDir("main"), /Not a commit id/);
  });
});
