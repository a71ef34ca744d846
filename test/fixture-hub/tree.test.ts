/** hub-api.md §2.2 tree and §2.3 paths-info, through raw HTTP and listFiles / pathsInfo. */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { listFiles, pathsInfo } from "@huggingface/hub";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { get, gitSha1, HEX40, HEX64, json, pointer, sha256, type TreeItem } from "./support.js";

const REPO = "acme/multi-branch";

function parseNext(link: string | null): string | null {
  if (!link) return null;
  const m = /<(https?:\/\/[^>]+)>;\s+rel="([^"]+)"/.exec(link);
  return m && m[2] === "next" ? m[1]! : null;
}

describe("tree", () => {
  let hub: FixtureHub;
  let main: string;
  before(async () => {
    hub = await startFixtureHub();
    main = hub.resolve(REPO, "main");
  });
  afterEach(() => hub.resetKnobs());
  after(() => hub.close());

  it("non-recursive lists direct children (files and directories) only", async () => {
    const items = await json<TreeItem[]>(await get(`${hub.url}/api/models/${REPO}/tree/main`));
    assert.deepEqual(
      items.map((i) => `${i.type}:${i.path}`).sort(),
      [
        "directory:data",
        "directory:shards",
        "file:.gitattributes",
        "file:RELEASE.md",
        "file:config.json",
        "file:model.safetensors",
      ].sort(),
    );
    const dir = items.find((i) => i.path === "data")!;
    assert.equal(dir.size, 0);
    assert.match(dir.oid, HEX40);
  });

  it("recursive lists every file and directory; oid/size/lfs agree with the bytes", async () => {
    const items = await json<TreeItem[]>(
      await get(`${hub.url}/api/models/${REPO}/tree/${main}?recursive=true&expand=false`),
    );
    assert.equal(items.filter((i) => i.type === "file").length, 28);
    assert.deepEqual(
      items
        .filter((i) => i.type === "directory")
        .map((i) => i.path)
        .sort(),
      ["data", "data/nested", "data/nested/deeper", "shards"],
    );
    for (const item of items.filter((i) => i.type === "file")) {
      const bytes = Buffer.from(
        await (await fetch(`${hub.url}/${REPO}/resolve/${main}/${item.path}`)).arrayBuffer(),
      );
      assert.equal(item.size, bytes.length, item.path);
      if (item.lfs) {
        assert.match(item.lfs.oid, HEX64);
        assert.equal(item.lfs.oid, sha256(bytes), item.path);
        assert.equal(item.lfs.size, bytes.length);
        assert.equal(item.oid, gitSha1(pointer(sha256(bytes), bytes.length)), item.path);
        assert.equal(item.lfs.pointerSize, Buffer.byteLength(pointer(item.lfs.oid, item.lfs.size)));
      } else {
        assert.equal(item.oid, gitSha1(bytes), item.path);
      }
      assert.equal(item.lastCommit, undefined);
    }
  });

  it("applies the LFS rules: weight extension, >= 10 KB, explicit lfs true/false", async () => {
    const items = await json<TreeItem[]>(
      await get(`${hub.url}/api/models/${REPO}/tree/main/data?recursive=1`),
    );
    const lfs = (p: string): boolean => Boolean(items.find((i) => i.path === p)?.lfs);
    assert.equal(lfs("data/large-notes.txt"), true);
    assert.equal(lfs("data/explicit-lfs.txt"), true);
    assert.equal(lfs("data/not-lfs.bin"), false);
    assert.equal(lfs("data/nested/deeper/leaf.json"), false);
    const top = await json<TreeItem[]>(await get(`${hub.url}/api/models/${REPO}/tree/main`));
    assert.equal(Boolean(top.find((i) => i.path === "model.safetensors")?.lfs), true);
    assert.equal(Boolean(top.find((i) => i.path === "config.json")?.lfs), false);
  });

  it("a sub-path lists that directory; a missing one is 404 EntryNotFound with X-Repo-Commit", async () => {
    const items = await json<TreeItem[]>(
      await get(`${hub.url}/api/models/${REPO}/tree/main/data%2Fnested`),
    );
    assert.deepEqual(
      items.map((i) => i.path),
      ["data/nested/deeper"],
    );
    const res = await get(`${hub.url}/api/models/${REPO}/tree/main/no-such-dir`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("x-error-code"), "EntryNotFound");
    assert.equal(res.headers.get("x-repo-commit"), main);
  });

  it("expand=true adds lastCommit (the commit that last touched the path) and securityFileStatus", async () => {
    const items = await json<TreeItem[]>(
      await get(`${hub.url}/api/models/${REPO}/tree/main?expand=true`),
    );
    const byPath = new Map(items.map((i) => [i.path, i]));
    const [m2, release, base] = hub.history(REPO, "main");
    assert.equal(byPath.get("config.json")?.lastCommit?.id, m2);
    assert.equal(byPath.get("config.json")?.lastCommit?.title, "Update config on main");
    assert.equal(byPath.get("RELEASE.md")?.lastCommit?.id, release);
    assert.equal(byPath.get("model.safetensors")?.lastCommit?.id, base);
    assert.equal(byPath.get("data")?.lastCommit?.id, base);
    assert.equal(byPath.get("config.json")?.securityFileStatus?.status, "safe");
  });

  it("treesize sums content sizes (LFS sizes, not pointer sizes) under a path", async () => {
    const data = await json<{ path: string; size: number }>(
      await get(`${hub.url}/api/models/${REPO}/treesize/main/data`),
    );
    const expected = [
      "data/large-notes.txt",
      "data/explicit-lfs.txt",
      "data/not-lfs.bin",
      "data/nested/deeper/leaf.json",
    ]
      .map((p) => hub.file(REPO, "main", p).size)
      .reduce((a, b) => a + b, 0);
    assert.deepEqual(data, { path: "data", size: expected });
    assert.equal((await get(`${hub.url}/api/models/${REPO}/treesize/main/nowhere`)).status, 404);
  });

  it("paginates with an absolute Link rel=next carrying the query and an opaque cursor", async () => {
    hub.knobs.pageSize = 5;
    const seen: string[] = [];
    let url: string | null =
      `${hub.url}/api/models/${REPO}/tree/${main}?recursive=true&expand=false`;
    let pages = 0;
    while (url) {
      const res = await get(url);
      assert.equal(res.status, 200);
      const page = await json<TreeItem[]>(res);
      assert.ok(page.length <= 5);
      seen.push(...page.map((i) => i.path));
      const next = parseNext(res.headers.get("link"));
      if (next) {
        assert.ok(next.startsWith(`${hub.url}/api/models/${REPO}/tree/${main}?`), next);
        const q = new URL(next).searchParams;
        assert.equal(q.get("recursive"), "true");
        assert.ok(q.get("cursor"));
      }
      url = next;
      pages += 1;
    }
    assert.equal(pages, Math.ceil(32 / 5));
    assert.equal(new Set(seen).size, 32, "no entry repeated or lost across pages");
  });

  it("honours limit; rejects a malformed cursor with 400", async () => {
    const res = await get(`${hub.url}/api/models/${REPO}/tree/main?recursive=true&limit=3`);
    assert.equal((await json<TreeItem[]>(res)).length, 3);
    assert.ok(parseNext(res.headers.get("link")));
    const bad = await get(`${hub.url}/api/models/${REPO}/tree/main?cursor=%%%`);
    assert.equal(bad.status, 400);
  });

  it("@huggingface/hub listFiles follows the pages (tiny page size) and sees every entry", async () => {
    hub.knobs.pageSize = 2;
    const paths: string[] = [];
    for await (const f of listFiles({
      repo: REPO,
      hubUrl: hub.url,
      recursive: true,
      revision: main,
    })) {
      paths.push(f.path);
    }
    assert.equal(paths.length, 32);
    const pageRequests = hub.requests.filter(
      (r) => r.path.includes(`/tree/${main}`) && r.url.includes("cursor="),
    );
    assert.ok(pageRequests.length >= 15);
  });

  it("@huggingface/hub listFiles with expand and a raw refs/pr/1 revision", async () => {
    const entries = [];
    for await (const f of listFiles({
      repo: REPO,
      hubUrl: hub.url,
      revision: "refs/pr/1",
      expand: true,
    }))
      entries.push(f);
    const template = entries.find((e) => e.path === "chat_template.jinja");
    assert.equal(template?.lastCommit?.id, hub.resolve(REPO, "refs/pr/1"));
  });
});

describe("paths-info", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  it("accepts a JSON body; omits missing paths; returns directories as directories", async () => {
    const res = await fetch(`${hub.url}/api/models/${REPO}/paths-info/main`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({
        paths: ["config.json", "missing.txt", "data", "model.safetensors"],
        expand: false,
      }),
    });
    assert.equal(res.status, 200);
    const items = await json<TreeItem[]>(res);
    assert.deepEqual(
      items.map((i) => `${i.type}:${i.path}`),
      ["file:config.json", "directory:data", "file:model.safetensors"],
    );
    assert.equal(items[0]!.lastCommit, undefined);
  });

  it("accepts a form body (python client style) with repeated paths and expand=true", async () => {
    const res = await fetch(`${hub.url}/api/models/${REPO}/paths-info/refs%2Fpr%2F1`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "paths=chat_template.jinja&paths=config.json&expand=true",
    });
    const items = await json<TreeItem[]>(res);
    assert.equal(items.length, 2);
    assert.equal(items[0]!.lastCommit?.id, hub.resolve(REPO, "refs/pr/1"));
    assert.equal(items[1]!.securityFileStatus?.status, "safe");
  });

  it("rejects bodies that are not a paths array (400) and unknown revisions (404)", async () => {
    const bad = await fetch(`${hub.url}/api/models/${REPO}/paths-info/main`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ paths: [1, 2] }),
    });
    assert.equal(bad.status, 400);
    const text = await fetch(`${hub.url}/api/models/${REPO}/paths-info/main`, {
      method: "POST",
      body: "x",
    });
    assert.equal(text.status, 400);
    const rev = await fetch(`${hub.url}/api/models/${REPO}/paths-info/nope`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ paths: ["config.json"] }),
    });
    assert.equal(rev.headers.get("x-error-code"), "RevisionNotFound");
  });

  it("@huggingface/hub pathsInfo (JSON body, encoded revision) returns remapped entries", async () => {
    const items = await pathsInfo({
      repo: REPO,
      hubUrl: hub.url,
      revision: "release/v1",
      paths: ["RELEASE.md", "data/large-notes.txt", "config.json"],
      expand: true,
    });
    assert.equal(items.length, 3);
    const big = items.find((i) => i.path === "data/large-notes.txt")!;
    assert.equal(big.lfs?.oid, hub.file(REPO, "release/v1", "data/large-notes.txt").sha256);
    assert.ok(big.lastCommit?.date instanceof Date);
    const body = hub.requests.at(-1)!.body!;
    assert.deepEqual(JSON.parse(body).paths, ["RELEASE.md", "data/large-notes.txt", "config.json"]);
  });
});
