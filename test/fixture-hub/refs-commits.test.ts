/** hub-api.md §2.5 refs and §2.4 commits, through raw HTTP and listCommits / countCommits. */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { countCommits, listCommits } from "@huggingface/hub";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { get, json } from "./support.js";

type Ref = { name: string; ref: string; targetCommit: string };
type Refs = { branches: Ref[]; converts: unknown[]; tags: Ref[]; pullRequests?: Ref[] };
type CommitItem = {
  id: string;
  title: string;
  message: string;
  authors: Array<{ user: string; avatar: string }>;
  date: string;
};

describe("refs", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  it("lists branches and tags with full ref names and target commits; PRs only on include_prs=1", async () => {
    const refs = await json<Refs>(await get(`${hub.url}/api/models/acme/multi-branch/refs`));
    assert.deepEqual(
      refs.branches.map((b) => [b.name, b.ref]),
      [
        ["dev", "refs/heads/dev"],
        ["main", "refs/heads/main"],
        ["release/v1", "refs/heads/release/v1"],
      ],
    );
    for (const b of refs.branches)
      assert.equal(b.targetCommit, hub.resolve("acme/multi-branch", b.name));
    assert.deepEqual(refs.converts, []);
    assert.equal(refs.pullRequests, undefined);
    const withPrs = await json<Refs>(
      await get(`${hub.url}/api/models/acme/multi-branch/refs?include_prs=1`),
    );
    assert.deepEqual(withPrs.pullRequests, [
      { name: "1", ref: "refs/pr/1", targetCommit: hub.resolve("acme/multi-branch", "refs/pr/1") },
    ]);
  });

  it("lists every semver tag of acme/semver-model, each on its own commit", async () => {
    const refs = await json<Refs>(await get(`${hub.url}/api/models/acme/semver-model/refs`));
    assert.deepEqual(
      refs.tags.map((t) => t.name),
      ["stable", "v1.0.0", "v1.2.0", "v1.2.3", "v2.0.0", "v2.0.0-rc.1"],
    );
    const ids = new Set(refs.tags.filter((t) => t.name !== "stable").map((t) => t.targetCommit));
    assert.equal(ids.size, 5);
    const stable = refs.tags.find((t) => t.name === "stable")!;
    assert.equal(stable.targetCommit, refs.tags.find((t) => t.name === "v1.2.3")!.targetCommit);
    assert.ok(!ids.has(refs.branches[0]!.targetCommit), "main is ahead of every tag");
  });
});

describe("commits", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  afterEach(() => hub.resetKnobs());
  after(() => hub.close());

  it("newest first, with title/message split, authors, ISO dates and X-Total-Count", async () => {
    const res = await get(`${hub.url}/api/models/acme/semver-model/commits/main`);
    assert.equal(res.headers.get("x-total-count"), "7");
    assert.equal(res.headers.get("link"), null);
    const items = await json<CommitItem[]>(res);
    assert.deepEqual(
      items.map((c) => c.id),
      hub.history("acme/semver-model", "main"),
    );
    const r123 = items.find((c) => c.title === "Release 1.2.3")!;
    assert.equal(r123.message, "Fix tokenizer config.");
    assert.equal(r123.id, hub.resolve("acme/semver-model", "v1.2.3"));
    assert.equal(r123.authors[0]!.user, "alice");
    assert.equal(r123.date, "2025-03-01T00:00:00.000Z");
    const last = items.at(-1)!;
    assert.equal(last.title, "initial commit");
    assert.equal(last.authors[0]!.user, "system");
  });

  it("pages with limit and p, and an absolute Link rel=next until the last page", async () => {
    const all: string[] = [];
    let url: string | null = `${hub.url}/api/models/acme/semver-model/commits/v2.0.0?limit=2`;
    let page = 0;
    while (url) {
      const res = await get(url);
      assert.equal(res.headers.get("x-total-count"), "6");
      all.push(...(await json<CommitItem[]>(res)).map((c) => c.id));
      const link = res.headers.get("link");
      url = link ? (/<(https?:\/\/[^>]+)>;\s+rel="next"/.exec(link)?.[1] ?? null) : null;
      page += 1;
      if (url) assert.equal(new URL(url).searchParams.get("p"), String(page));
    }
    assert.equal(page, 3);
    assert.deepEqual(all, hub.history("acme/semver-model", "v2.0.0"));
  });

  it("a path narrows the history to commits that touched it", async () => {
    const items = await json<CommitItem[]>(
      await get(`${hub.url}/api/models/acme/semver-model/commits/main/model.safetensors`),
    );
    assert.deepEqual(
      items.map((c) => c.title),
      ["Release 2.0.0", "Release 2.0.0-rc.1", "Release 1.2.0", "Release 1.0.0"],
    );
  });

  it("@huggingface/hub listCommits follows Link pages; countCommits reads X-Total-Count", async () => {
    hub.knobs.pageSize = 2;
    const seen = [];
    for await (const c of listCommits({
      repo: "acme/multi-branch",
      hubUrl: hub.url,
      revision: "dev",
    }))
      seen.push(c);
    assert.deepEqual(
      seen.map((c) => c.oid),
      hub.history("acme/multi-branch", "dev"),
    );
    assert.ok(seen[0]!.date instanceof Date);
    assert.equal(seen[0]!.authors[0]!.username, "bob");
    assert.equal(
      await countCommits({ repo: "acme/multi-branch", hubUrl: hub.url, revision: "main" }),
      4,
    );
  });

  it("expand[]=formatted adds HTML-escaped title and message", async () => {
    const items = await json<
      Array<CommitItem & { formatted?: { title: string; message: string } }>
    >(
      await get(
        `${hub.url}/api/models/acme/semver-model/commits/v1.2.3?expand[]=formatted&limit=1`,
      ),
    );
    assert.deepEqual(items[0]!.formatted, {
      title: "Release 1.2.3",
      message: "<p>Fix tokenizer config.</p>",
    });
    const plain = await json<Array<{ formatted?: unknown }>>(
      await get(`${hub.url}/api/models/acme/semver-model/commits/main?limit=1`),
    );
    assert.equal(plain[0]!.formatted, undefined);
  });

  it("unknown revision: 404 RevisionNotFound", async () => {
    const res = await get(`${hub.url}/api/models/acme/semver-model/commits/v9.9.9`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("x-error-code"), "RevisionNotFound");
  });
});
