/** hub-api.md §2.1: repo info, revision resolution (§7.2), through raw HTTP and modelInfo. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { modelInfo } from "@huggingface/hub";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { get, gitSha1, HEX40, json, sha256, tokenOf } from "./support.js";

type Info = Record<string, unknown> & {
  siblings?: Array<{
    rfilename: string;
    blobId?: string;
    size?: number;
    lfs?: { sha256: string; size: number; pointerSize: number };
  }>;
};

describe("repo info", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  it("plain GET returns the full object with the default branch's sha and JSON content type", async () => {
    const res = await get(`${hub.url}/api/models/acme/tiny-safetensors`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
    assert.match(
      res.headers.get("x-request-id") ?? "",
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};[0-9a-f-]{36}$/,
    );
    const body = await json<Info>(res);
    assert.equal(body.id, "acme/tiny-safetensors");
    assert.equal(body.modelId, "acme/tiny-safetensors");
    assert.equal(body.author, "acme");
    assert.match(String(body._id), /^[0-9a-f]{24}$/);
    assert.equal(body.sha, hub.resolve("acme/tiny-safetensors", "main"));
    assert.match(String(body.sha), HEX40);
    assert.equal(body.private, false);
    assert.equal(body.gated, false);
    assert.equal(body.disabled, false);
    assert.equal(body.lastModified, "2025-01-15T10:30:45.000Z");
    assert.deepEqual(body.config, { architectures: ["BertModel"], model_type: "bert" });
    assert.deepEqual(
      body.siblings?.map((s) => s.rfilename),
      [".gitattributes", "README.md", "config.json", "model.safetensors", "onnx/README.md"],
    );
    assert.equal(body.siblings?.[0]?.blobId, undefined, "no blob data without blobs=true");
  });

  it("blobs=true adds blobId/size/lfs{sha256,size,pointerSize} that match the served bytes", async () => {
    const body = await json<Info>(
      await get(`${hub.url}/api/models/acme/tiny-safetensors/revision/main?blobs=true`),
    );
    const config = body.siblings?.find((s) => s.rfilename === "config.json");
    const cfgBytes = Buffer.from(
      await (
        await fetch(`${hub.url}/acme/tiny-safetensors/resolve/main/config.json`)
      ).arrayBuffer(),
    );
    assert.equal(config?.blobId, gitSha1(cfgBytes));
    assert.equal(config?.size, cfgBytes.length);
    assert.equal(config?.lfs, undefined);
    const weights = body.siblings?.find((s) => s.rfilename === "model.safetensors");
    const wBytes = Buffer.from(
      await (
        await fetch(`${hub.url}/acme/tiny-safetensors/resolve/main/model.safetensors`)
      ).arrayBuffer(),
    );
    assert.equal(weights?.lfs?.sha256, sha256(wBytes));
    assert.equal(weights?.lfs?.size, wBytes.length);
    assert.equal(weights?.size, wBytes.length);
    assert.ok(
      weights?.blobId && weights.blobId !== gitSha1(wBytes),
      "LFS blobId is the pointer's sha1",
    );
  });

  it("expand= and expand[]= both restrict the body to _id, id and the listed keys", async () => {
    for (const param of ["expand", "expand[]"]) {
      const res = await get(
        `${hub.url}/api/models/acme/semver-model/revision/v1.2.0?${param}=sha&${param}=gated`,
      );
      assert.equal(res.status, 200);
      const body = await json<Info>(res);
      assert.deepEqual(Object.keys(body).sort(), ["_id", "gated", "id", "sha"]);
      assert.equal(body.sha, hub.resolve("acme/semver-model", "v1.2.0"));
    }
  });

  it("an unknown expand value is a 400 with a JSON error", async () => {
    const res = await get(`${hub.url}/api/models/acme/tiny-safetensors?expand=nonsense`);
    assert.equal(res.status, 400);
    assert.match((await json<{ error: string }>(res)).error, /expand/);
  });

  it("securityStatus=true adds securityRepoStatus listing the files the Hub flagged", async () => {
    const clean = await json<Info>(
      await get(`${hub.url}/api/models/acme/tiny-safetensors?securityStatus=true`),
    );
    assert.deepEqual(clean.securityRepoStatus, { scansDone: true, filesWithIssues: [] });
    const bad = await json<Info>(
      await get(`${hub.url}/api/models/acme/malicious-pickle?securityStatus=true`),
    );
    const issues = (bad.securityRepoStatus as { filesWithIssues: Array<{ path: string }> })
      .filesWithIssues;
    assert.deepEqual(
      issues.map((i) => i.path),
      ["pytorch_model.bin", "training_args.bin"],
    );
    const none = await json<Info>(await get(`${hub.url}/api/models/acme/tiny-safetensors`));
    assert.equal(none.securityRepoStatus, undefined);
  });

  it("config exposes auto_map for custom-code repos", async () => {
    const body = await json<Info>(
      await get(`${hub.url}/api/models/acme/custom-code-model?expand=config`),
    );
    assert.deepEqual((body.config as { auto_map: unknown }).auto_map, {
      AutoConfig: "configuration_tiny.TinyCustomConfig",
      AutoModel: "modeling_tiny.TinyCustomModel",
    });
  });

  it("resolves HEAD, branch, tag, refs/heads|tags|pr, %2F-encoded refs and full SHAs", async () => {
    const repo = "acme/multi-branch";
    const cases: Array<[string, string]> = [
      ["HEAD", hub.resolve(repo, "main")],
      ["main", hub.resolve(repo, "main")],
      ["dev", hub.resolve(repo, "dev")],
      ["release%2Fv1", hub.resolve(repo, "release/v1")],
      ["release/v1", hub.resolve(repo, "release/v1")],
      ["v1.0.0", hub.resolve(repo, "release/v1")],
      ["refs%2Fheads%2Fdev", hub.resolve(repo, "dev")],
      ["refs%2Ftags%2Fv1.0.0", hub.resolve(repo, "v1.0.0")],
      ["refs%2Fpr%2F1", hub.resolve(repo, "refs/pr/1")],
      ["refs/pr/1", hub.resolve(repo, "refs/pr/1")],
      [hub.resolve(repo, "dev"), hub.resolve(repo, "dev")],
    ];
    const seen = new Set<string>();
    for (const [rev, sha] of cases) {
      const res = await get(`${hub.url}/api/models/${repo}/revision/${rev}?expand=sha`);
      assert.equal(res.status, 200, rev);
      assert.equal((await json<Info>(res)).sha, sha, rev);
      seen.add(sha);
    }
    assert.equal(seen.size, 4, "main, dev, release/v1 and the PR are four different commits");
  });

  it("unknown revisions, SHA prefixes under 7 hex and unknown SHAs are 404 RevisionNotFound 'Invalid rev id'", async () => {
    // (a unique prefix of 7+ hex resolves, as on the real Hub: test/fixture-hub/realism.test.ts)
    for (const rev of [
      "nope",
      hub.resolve("acme/tiny-safetensors", "main").slice(0, 6),
      "0".repeat(40),
      "0".repeat(7),
    ]) {
      const res = await get(`${hub.url}/api/models/acme/tiny-safetensors/revision/${rev}`);
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("x-error-code"), "RevisionNotFound");
      assert.equal(res.headers.get("x-error-message"), `Invalid rev id: ${rev}`);
      assert.deepEqual(await res.json(), { error: `Invalid rev id: ${rev}` });
    }
  });

  it("@huggingface/hub modelInfo reads it (HEAD default, sha, filePaths, revision with a slash)", async () => {
    const info = await modelInfo({
      name: "acme/tiny-safetensors",
      hubUrl: hub.url,
      additionalFields: ["sha", "filePaths", "config", "library_name", "tags"],
    });
    assert.equal(info.name, "acme/tiny-safetensors");
    assert.equal(info.sha, hub.resolve("acme/tiny-safetensors", "main"));
    assert.equal(info.private, false);
    assert.equal(info.gated, false);
    assert.equal(info.task, "feature-extraction");
    assert.equal(info.library_name, "transformers");
    assert.deepEqual(info.updatedAt, new Date("2025-01-15T10:30:45.000Z"));
    assert.ok(info.filePaths.includes("model.safetensors"));
    const release = await modelInfo({
      name: "acme/multi-branch",
      hubUrl: hub.url,
      revision: "release/v1",
      additionalFields: ["sha"],
    });
    assert.equal(release.sha, hub.resolve("acme/multi-branch", "release/v1"));
    const gated = await modelInfo({
      name: "acme/gated-model",
      hubUrl: hub.url,
      additionalFields: ["sha"],
      accessToken: tokenOf(hub, "alice"),
    });
    assert.equal(gated.gated, "manual");
  });
});
