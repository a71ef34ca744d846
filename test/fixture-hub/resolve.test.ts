/** hub-api.md §2.6 resolve/raw and the CDN, through raw HTTP and fileDownloadInfo / downloadFile. */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { downloadFile, fileDownloadInfo, pathsInfo } from "@huggingface/hub";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { auth, get, gitSha1, pointer, sha256, tokenOf } from "./support.js";

const REPO = "acme/tiny-safetensors";
const CONFIG = '{"architectures":["BertModel"],"model_type":"bert"}\n';

describe("resolve: regular files", () => {
  let hub: FixtureHub;
  let main: string;
  before(async () => {
    hub = await startFixtureHub();
    main = hub.resolve(REPO, "main");
  });
  afterEach(() => hub.resetKnobs());
  after(() => hub.close());

  it("307 to a relative /api/resolve-cache URL, whose 200 carries ETag, X-Repo-Commit, Content-Length", async () => {
    const first = await get(`${hub.url}/${REPO}/resolve/main/config.json`);
    assert.equal(first.status, 307);
    const location = first.headers.get("location")!;
    assert.ok(
      location.startsWith(`/api/resolve-cache/models/${REPO}/${main}/config.json?`),
      location,
    );
    assert.equal(first.headers.get("vary"), "Origin, Accept");
    assert.match(first.headers.get("ratelimit") ?? "", /^"resolvers";r=\d+;t=\d+$/);
    const final = await get(new URL(location, hub.url).href);
    assert.equal(final.status, 200);
    assert.match(final.headers.get("ratelimit") ?? "", /^"resolvers";/);
    assert.equal(final.headers.get("etag"), `"${gitSha1(CONFIG)}"`);
    assert.equal(final.headers.get("etag"), '"7a8cb012a4547a01c226da710dd6846eb2584dc7"');
    assert.equal(final.headers.get("x-repo-commit"), main);
    assert.equal(final.headers.get("content-length"), String(Buffer.byteLength(CONFIG)));
    assert.equal(final.headers.get("accept-ranges"), "bytes");
    assert.equal(final.headers.get("content-type"), "application/json");
    assert.equal(await final.text(), CONFIG);
  });

  it("answers 200 directly when the resolve-cache redirect is switched off (older Hub)", async () => {
    hub.knobs.resolveCacheRedirect = false;
    const res = await get(`${hub.url}/${REPO}/resolve/main/config.json`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("x-repo-commit"), main);
    assert.equal(res.headers.get("etag"), `"${gitSha1(CONFIG)}"`);
    assert.equal(await res.text(), CONFIG);
  });

  it("HEAD gives the same headers and no body", async () => {
    const res = await fetch(`${hub.url}/${REPO}/resolve/main/config.json`, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), "52");
    assert.equal(res.headers.get("x-repo-commit"), main);
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  it("ranges: 0-0, open-ended, suffix → 206 + Content-Range; past the end → 416 bytes */size", async () => {
    const cases: Array<[string, string, string]> = [
      ["bytes=0-0", "bytes 0-0/52", CONFIG.slice(0, 1)],
      ["bytes=2-", "bytes 2-51/52", CONFIG.slice(2)],
      ["bytes=-5", "bytes 47-51/52", CONFIG.slice(47)],
      ["bytes=10-2000", "bytes 10-51/52", CONFIG.slice(10)],
    ];
    for (const [range, contentRange, body] of cases) {
      const res = await fetch(`${hub.url}/${REPO}/resolve/main/config.json`, {
        headers: { Range: range },
      });
      assert.equal(res.status, 206, range);
      assert.equal(res.headers.get("content-range"), contentRange);
      assert.equal(await res.text(), body);
    }
    const bad = await fetch(`${hub.url}/${REPO}/resolve/main/config.json`, {
      headers: { Range: "bytes=52-" },
    });
    assert.equal(bad.status, 416);
    assert.equal(bad.headers.get("content-range"), "bytes */52");
  });

  it("If-None-Match with the ETag (also W/-prefixed) → 304; another ETag → 200", async () => {
    hub.knobs.resolveCacheRedirect = false;
    const etag = `"${gitSha1(CONFIG)}"`;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const res = await get(`${hub.url}/${REPO}/resolve/main/config.json`, {
        "If-None-Match": inm,
      });
      assert.equal(res.status, 304, inm);
      assert.equal(res.headers.get("etag"), etag);
      assert.equal(res.headers.get("x-repo-commit"), main);
    }
    const miss = await get(`${hub.url}/${REPO}/resolve/main/config.json`, {
      "If-None-Match": '"abc"',
    });
    assert.equal(miss.status, 200);
  });

  it("missing file → 404 EntryNotFound with X-Repo-Commit; a directory is not a file either", async () => {
    for (const path of ["nope.json", "onnx"]) {
      const res = await get(`${hub.url}/${REPO}/resolve/main/${path}`);
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("x-error-code"), "EntryNotFound");
      assert.equal(res.headers.get("x-error-message"), "Entry not found");
      assert.equal(res.headers.get("x-repo-commit"), main);
      assert.deepEqual(await res.json(), { error: "Entry not found" });
    }
    const rev = await get(`${hub.url}/${REPO}/resolve/v404/config.json`);
    assert.equal(rev.headers.get("x-error-code"), "RevisionNotFound");
  });

  it("serves nested paths and revisions given as refs%2Fpr%2F1 or raw refs/pr/1", async () => {
    const empty = await fetch(`${hub.url}/${REPO}/resolve/${main}/onnx/README.md`);
    assert.equal(empty.status, 200);
    assert.equal(empty.headers.get("etag"), '"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"');
    const pr = hub.resolve("acme/multi-branch", "refs/pr/1");
    for (const rev of ["refs%2Fpr%2F1", "refs/pr/1"]) {
      const res = await fetch(`${hub.url}/acme/multi-branch/resolve/${rev}/chat_template.jinja`);
      assert.equal(res.status, 200, rev);
      assert.equal(res.headers.get("x-repo-commit"), pr);
    }
  });
});

describe("resolve: LFS files and the CDN", () => {
  let hub: FixtureHub;
  let main: string;
  let weights: Buffer;
  before(async () => {
    hub = await startFixtureHub();
    main = hub.resolve(REPO, "main");
    weights = hub.file(REPO, "main", "model.safetensors").bytes;
  });
  afterEach(() => hub.resetKnobs());
  after(() => hub.close());

  it("302 to the CDN origin with X-Linked-Etag (quoted sha256), X-Linked-Size, X-Repo-Commit", async () => {
    const res = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`);
    assert.equal(res.status, 302);
    const location = res.headers.get("location")!;
    assert.ok(location.startsWith(`${hub.cdnUrl}/`), location);
    assert.notEqual(new URL(location).origin, new URL(hub.url).origin);
    assert.equal(res.headers.get("x-linked-etag"), `"${sha256(weights)}"`);
    assert.equal(res.headers.get("x-linked-size"), String(weights.length));
    assert.equal(res.headers.get("x-repo-commit"), main);
    assert.equal(res.headers.get("etag"), `"${sha256(weights)}"`);
    const notModified = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`, {
      "If-None-Match": `"${sha256(weights)}"`,
    });
    assert.equal(notModified.status, 304);
  });

  it("the CDN serves the bytes (and ranges) with no token, and refuses a forged signature", async () => {
    const location = (await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`)).headers.get(
      "location",
    )!;
    const body = Buffer.from(await (await fetch(location)).arrayBuffer());
    assert.equal(sha256(body), sha256(weights));
    const part = await fetch(location, { headers: { Range: "bytes=0-7" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 0-7/${weights.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), weights.subarray(0, 8));
    const forged = new URL(location);
    forged.searchParams.set("Signature", "0".repeat(64));
    assert.equal((await fetch(forged)).status, 403);
    const head = await fetch(location, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), String(weights.length));
  });

  it("following the redirect with a token: the Hub gets Authorization, the CDN does not", async () => {
    const token = tokenOf(hub, "bob");
    hub.requests.length = 0;
    const res = await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`, {
      headers: auth(token),
    });
    assert.equal(sha256(Buffer.from(await res.arrayBuffer())), sha256(weights));
    const [toHub, toCdn] = hub.requests;
    assert.equal(toHub?.origin, "hub");
    assert.equal(toHub?.headers.authorization, `Bearer ${token}`);
    assert.equal(toCdn?.origin, "cdn");
    assert.equal(toCdn?.headers.authorization, undefined);
  });

  it("/raw/ returns the pointer file, whose ETag is the tree oid", async () => {
    const res = await fetch(`${hub.url}/${REPO}/raw/main/model.safetensors`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.equal(text, pointer(sha256(weights), weights.length));
    assert.equal(res.headers.get("etag"), `"${gitSha1(text)}"`);
    assert.equal(res.headers.get("etag"), `"${hub.file(REPO, "main", "model.safetensors").oid}"`);
  });

  it("@huggingface/hub fileDownloadInfo: sizes and etags for regular, LFS, raw and missing files", async () => {
    const regular = await fileDownloadInfo({ repo: REPO, path: "config.json", hubUrl: hub.url });
    assert.equal(regular?.size, 52);
    assert.equal(regular?.etag, `"${gitSha1(CONFIG)}"`);
    const lfs = await fileDownloadInfo({ repo: REPO, path: "model.safetensors", hubUrl: hub.url });
    assert.equal(lfs?.size, weights.length);
    assert.equal(lfs?.etag, `"${sha256(weights)}"`);
    assert.equal(lfs?.xet, undefined);
    assert.equal(
      lfs?.url,
      `${hub.url}/${REPO}/resolve/main/model.safetensors`,
      "cross-origin final URL is not kept",
    );
    const raw = await fileDownloadInfo({
      repo: REPO,
      path: "model.safetensors",
      hubUrl: hub.url,
      raw: true,
    });
    assert.equal(raw?.size, Buffer.byteLength(pointer(sha256(weights), weights.length)));
    assert.equal(raw?.etag, `"${hub.file(REPO, "main", "model.safetensors").oid}"`);
    assert.equal(
      await fileDownloadInfo({ repo: REPO, path: "missing.bin", hubUrl: hub.url }),
      null,
    );
  });

  it("@huggingface/hub downloadFile (xet: false) returns exactly the bytes the metadata describes", async () => {
    for (const [repo, path, token] of [
      [REPO, "model.safetensors", undefined],
      [REPO, "config.json", undefined],
      ["acme/pickle-bert", "pytorch_model.bin", tokenOf(hub, "bob")],
      ["acme/gated-model", "model.safetensors", tokenOf(hub, "carol")],
      ["acme/private-model", "config.json", tokenOf(hub, "alice")],
    ] as const) {
      const expected = hub.file(repo, "main", path);
      const blob = await downloadFile({
        repo,
        path,
        hubUrl: hub.url,
        xet: false,
        accessToken: token,
        revision: hub.resolve(repo, "main"),
      });
      assert.ok(blob, `${repo}/${path}`);
      const bytes = Buffer.from(await blob.arrayBuffer());
      assert.equal(bytes.length, expected.size);
      assert.equal(sha256(bytes), expected.sha256, `${repo}/${path}`);
      if (!expected.lfs) assert.equal(gitSha1(bytes), expected.oid);
    }
  });
});

describe("resolve: Xet advertisement (knobs.xet)", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
    hub.knobs.xet = true;
  });
  after(() => hub.close());

  it("tree and paths-info carry a 64-hex xetHash on LFS entries that is not the content sha256", async () => {
    const tree = (await (await fetch(`${hub.url}/api/models/${REPO}/tree/main`)).json()) as Array<{
      path: string;
      xetHash?: string;
      lfs?: { oid: string };
    }>;
    const weights = tree.find((t) => t.path === "model.safetensors")!;
    assert.match(weights.xetHash ?? "", /^[0-9a-f]{64}$/);
    assert.notEqual(weights.xetHash, weights.lfs?.oid);
    assert.equal(tree.find((t) => t.path === "config.json")?.xetHash, undefined);
    const [info] = await pathsInfo({ repo: REPO, hubUrl: hub.url, paths: ["model.safetensors"] });
    assert.equal(info?.xetHash, weights.xetHash);
  });

  it("resolve: 200 xet-fileinfo when asked, else the 302 with X-Xet-Hash and absolute Link rels", async () => {
    const sha = hub.file(REPO, "main", "model.safetensors").sha256;
    const info = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`, {
      Accept: "application/vnd.xet-fileinfo+json, */*",
    });
    assert.equal(info.status, 200);
    assert.equal(info.headers.get("content-type"), "application/vnd.xet-fileinfo+json");
    assert.equal(info.headers.get("x-linked-etag"), `"${sha}"`);
    const redirect = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`);
    assert.equal(redirect.status, 302);
    assert.match(redirect.headers.get("x-xet-hash") ?? "", /^[0-9a-f]{64}$/);
    const link = redirect.headers.get("link") ?? "";
    assert.match(
      link,
      /<http:\/\/127\.0\.0\.1:\d+\/api\/models\/acme\/tiny-safetensors\/xet-read-token\/[0-9a-f]{40}>; rel="xet-auth"/,
    );
    assert.match(
      link,
      /<http:\/\/127\.0\.0\.2:\d+\/v1\/reconstructions\/[0-9a-f]{64}>; rel="xet-reconstruction-info"/,
    );
    const token = (await (
      await fetch(`${hub.url}/api/models/${REPO}/xet-read-token/main`)
    ).json()) as { casUrl: string; exp: number };
    assert.equal(token.casUrl, hub.cdnUrl);
    assert.equal(
      (await fetch(`${hub.url}/api/models/acme/gated-model/xet-read-token/main`)).status,
      401,
    );
  });

  it("@huggingface/hub: fileDownloadInfo reports xet; downloadFile works with xet: false and through the Xet CAS", async () => {
    const expected = hub.file(REPO, "main", "model.safetensors");
    const info = await fileDownloadInfo({ repo: REPO, path: "model.safetensors", hubUrl: hub.url });
    assert.equal(info?.size, expected.size);
    assert.equal(info?.etag, `"${expected.sha256}"`);
    assert.match(info?.xet?.hash ?? "", /^[0-9a-f]{64}$/);
    const plain = await downloadFile({
      repo: REPO,
      path: "model.safetensors",
      hubUrl: hub.url,
      xet: false,
    });
    assert.equal(sha256(Buffer.from(await plain!.arrayBuffer())), expected.sha256);
    const viaXet = await downloadFile({ repo: REPO, path: "model.safetensors", hubUrl: hub.url });
    assert.equal(sha256(Buffer.from(await viaXet!.arrayBuffer())), expected.sha256);
    const cas = hub.requests.filter(
      (r) => r.origin === "cdn" && /^\/v\d+\/reconstructions\//.test(r.path),
    );
    assert.ok(
      cas.length > 0 && cas.every((r) => r.status === 200),
      "the bytes came through the CAS (test/fixture-hub/xet-cas.test.ts covers it in depth)",
    );
  });
});
