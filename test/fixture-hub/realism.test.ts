/**
 * Issue #15 item 7: what made the fixture Hub distinguishable from the real one, as seen by the
 * official Python client (huggingface_hub 1.x): the CDN's host name, the Xet connection headers,
 * and short commit ids resolved server-side.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { get, HEX40, json, type TreeItem } from "./support.js";

const REPO = "acme/tiny-safetensors";

/** huggingface_hub's `_is_same_or_hub_host`: host names only, ports ignored. */
function sameHostForPython(a: string, b: string): boolean {
  return new URL(a).hostname.toLowerCase() === new URL(b).hostname.toLowerCase();
}

describe("fixture Hub realism: the CDN is another host", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  it("the CDN origin has a host name other than the Hub's, not only another port", () => {
    assert.equal(sameHostForPython(hub.url, hub.cdnUrl), false, `${hub.url} vs ${hub.cdnUrl}`);
    assert.equal(new URL(hub.url).hostname, "127.0.0.1");
  });

  it("an LFS resolve redirects across hosts, and the CDN answers there with the bytes", async () => {
    const res = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`);
    assert.equal(res.status, 302);
    const location = res.headers.get("location")!;
    assert.equal(sameHostForPython(hub.url, location), false, location);
    const body = await get(location);
    assert.equal(body.status, 200);
    assert.equal(body.headers.get("x-repo-commit"), null);
    const expected = hub.file(REPO, "main", "model.safetensors");
    assert.deepEqual(Buffer.from(await body.arrayBuffer()), expected.bytes);
  });

  it("the foreign origin of the cross-origin redirect knob is another host as well", () => {
    assert.equal(sameHostForPython(hub.url, hub.foreignUrl), false, hub.foreignUrl);
  });
});

describe("fixture Hub realism: Xet connection info travels in headers", () => {
  let hub: FixtureHub;
  let main: string;
  before(async () => {
    hub = await startFixtureHub();
    main = hub.resolve(REPO, "main");
  });
  afterEach(() => hub.resetKnobs());
  after(() => hub.close());

  it("xet-read-token sends X-Xet-Cas-Url, X-Xet-Access-Token, X-Xet-Token-Expiration and the same JSON", async () => {
    hub.knobs.xet = true;
    const res = await get(`${hub.url}/api/models/${REPO}/xet-read-token/${main}`);
    assert.equal(res.status, 200);
    const body = await json<{ accessToken: string; exp: number; casUrl: string }>(res);
    assert.equal(res.headers.get("x-xet-cas-url"), body.casUrl);
    assert.equal(res.headers.get("x-xet-access-token"), body.accessToken);
    assert.equal(res.headers.get("x-xet-token-expiration"), String(body.exp));
    assert.match(body.accessToken, /^xet_/);
    const expose = res.headers.get("access-control-expose-headers") ?? "";
    for (const h of ["X-Xet-Cas-Url", "X-Xet-Access-Token", "X-Xet-Token-Expiration"]) {
      assert.ok(expose.split(",").includes(h), `${h} in ${expose}`);
    }
  });

  it("resolve of a Xet file: X-Xet-Hash, X-Xet-Refresh-Route, Link xet-auth and the connection headers", async () => {
    hub.knobs.xet = true;
    const res = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`, {}, "HEAD");
    assert.equal(res.status, 302);
    const refresh = `${hub.url}/api/models/${REPO}/xet-read-token/${main}`;
    assert.equal(res.headers.get("x-xet-refresh-route"), refresh);
    assert.match(res.headers.get("link") ?? "", /rel="xet-auth"/);
    assert.match(res.headers.get("x-xet-hash") ?? "", /^[0-9a-f]{64}$/);
    assert.equal(res.headers.get("x-xet-cas-url"), hub.cdnUrl);
    assert.match(res.headers.get("x-xet-access-token") ?? "", /^xet_/);
    assert.match(res.headers.get("x-xet-token-expiration") ?? "", /^\d+$/);
    const info = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`, {
      Accept: "application/vnd.xet-fileinfo+json, */*",
    });
    assert.equal(info.status, 200);
    const body = await json<Record<string, unknown>>(info);
    assert.equal(body.casUrl, hub.cdnUrl);
    assert.equal(body.accessToken, info.headers.get("x-xet-access-token"));
    assert.equal(String(body.exp), info.headers.get("x-xet-token-expiration"));
  });

  it("without the Xet knob, resolve carries no Xet header", async () => {
    const res = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`, {}, "HEAD");
    for (const h of ["x-xet-hash", "x-xet-cas-url", "x-xet-access-token", "x-xet-refresh-route"]) {
      assert.equal(res.headers.get(h), null, h);
    }
  });
});

describe("fixture Hub realism: short commit ids", () => {
  let hub: FixtureHub;
  let main: string;
  let short: string;
  before(async () => {
    hub = await startFixtureHub();
    main = hub.resolve(REPO, "main");
    short = main.slice(0, 7);
  });
  afterEach(() => hub.resetRepos());
  after(() => hub.close());

  it("model info /revision/<7 hex> answers the full commit in sha", async () => {
    const res = await get(`${hub.url}/api/models/${REPO}/revision/${short}?expand=sha`);
    assert.equal(res.status, 200);
    assert.equal((await json<{ sha: string }>(res)).sha, main);
    const longer = await get(`${hub.url}/api/models/${REPO}/revision/${main.slice(0, 12)}`);
    assert.equal((await json<{ sha: string }>(longer)).sha, main);
  });

  it("tree, paths-info and commits take a short id", async () => {
    const tree = await get(`${hub.url}/api/models/${REPO}/tree/${short}?recursive=true`);
    assert.equal(tree.status, 200);
    const items = await json<TreeItem[]>(tree);
    assert.ok(items.some((i) => i.path === "model.safetensors"));
    const sub = await get(`${hub.url}/api/models/${REPO}/tree/${short}/onnx`);
    assert.equal(sub.status, 200);
    assert.deepEqual(
      (await json<TreeItem[]>(sub)).map((i) => i.path),
      ["onnx/README.md"],
    );
    const paths = await fetch(`${hub.url}/api/models/${REPO}/paths-info/${short}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ paths: ["config.json"] }),
    });
    assert.equal(paths.status, 200);
    assert.equal((await json<TreeItem[]>(paths)).length, 1);
    const commits = await get(`${hub.url}/api/models/${REPO}/commits/${short}`);
    assert.equal(commits.status, 200);
    assert.equal((await json<Array<{ id: string }>>(commits))[0]!.id, main);
  });

  it("resolve and raw answer X-Repo-Commit with the full id, for regular and LFS files", async () => {
    const lfs = await get(`${hub.url}/${REPO}/resolve/${short}/model.safetensors`, {}, "HEAD");
    assert.equal(lfs.status, 302);
    assert.equal(lfs.headers.get("x-repo-commit"), main);
    const regular = await fetch(`${hub.url}/${REPO}/resolve/${short}/config.json`, {
      method: "HEAD",
    });
    assert.equal(regular.status, 200);
    assert.equal(regular.headers.get("x-repo-commit"), main);
    const raw = await get(`${hub.url}/${REPO}/raw/${short}/model.safetensors`, {}, "HEAD");
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get("x-repo-commit"), main);
    const missing = await get(`${hub.url}/${REPO}/resolve/${short}/nope.json`, {}, "HEAD");
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get("x-error-code"), "EntryNotFound");
    assert.equal(missing.headers.get("x-repo-commit"), main);
  });

  it("the refs endpoint lists full ids; a short id of an older commit resolves to that commit", async () => {
    const refs = await json<{ branches: Array<{ targetCommit: string }> }>(
      await get(`${hub.url}/api/models/${REPO}/refs`),
    );
    assert.ok(refs.branches.every((b) => HEX40.test(b.targetCommit)));
    const older = hub.history(REPO, "main")[1]!;
    const res = await get(`${hub.url}/api/models/${REPO}/revision/${older.slice(0, 8)}`);
    assert.equal((await json<{ sha: string }>(res)).sha, older);
  });

  it("unknown, too short or vanished prefixes: 404 RevisionNotFound", async () => {
    const unknown = [...main.slice(0, 7)].map((c) => (c === "0" ? "1" : "0")).join("");
    const cases = [unknown, main.slice(0, 6), main.slice(0, 4), `${short}g`];
    for (const rev of cases) {
      const res = await get(`${hub.url}/api/models/${REPO}/revision/${rev}`);
      assert.equal(res.status, 404, rev);
      assert.equal(res.headers.get("x-error-code"), "RevisionNotFound", rev);
    }
    const older = hub.history(REPO, "main")[1]!;
    hub.moveBranch(REPO, "main", older);
    hub.removeCommit(REPO, main);
    const gone = await get(`${hub.url}/api/models/${REPO}/revision/${short}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.headers.get("x-error-code"), "RevisionNotFound");
  });

  it("an ambiguous prefix (two commits share it): 404 RevisionNotFound; a longer unique one resolves", async () => {
    const base = hub.resolve(REPO, "main");
    const seen = new Map<string, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null && i < 400_000; i++) {
      // let the event loop see sockets the server closed meanwhile (keep-alive), or the next
      // fetch may reuse a dead one
      if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
      hub.moveBranch(REPO, "scratch", base);
      const id = hub.pushCommit(REPO, {
        branch: "scratch",
        message: `probe ${i}`,
        files: {},
        date: "2025-02-01T00:00:00.000Z",
      });
      const prefix = id.slice(0, 7);
      const other = seen.get(prefix);
      if (other !== undefined && other !== id) pair = [other, id];
      seen.set(prefix, id);
    }
    assert.ok(pair, "no two commits shared a 7-hex prefix");
    const [a, b] = pair;
    const res = await get(`${hub.url}/api/models/${REPO}/revision/${a.slice(0, 7)}`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get("x-error-code"), "RevisionNotFound");
    let n = 8;
    while (a.slice(0, n) === b.slice(0, n)) n++;
    for (const id of [a, b]) {
      const ok = await get(`${hub.url}/api/models/${REPO}/revision/${id.slice(0, n)}`);
      assert.equal((await json<{ sha: string }>(ok)).sha, id);
    }
  });

  it("a branch named like a hex prefix wins over the commit prefix", async () => {
    const older = hub.history(REPO, "main")[1]!;
    hub.moveBranch(REPO, short, older);
    const res = await get(`${hub.url}/api/models/${REPO}/revision/${short}`);
    assert.equal((await json<{ sha: string }>(res)).sha, older);
  });
});

describe("fixture Hub: repos added at run time (the conformance script's built model)", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  it("addRepo serves the files at main, extra branches and tags, through every endpoint", async () => {
    const weights = Buffer.alloc(20_000, 7);
    const commit = hub.addRepo({
      id: "conformance/tiny",
      files: { "config.json": '{"model_type":"gpt2"}\n', "model.safetensors": weights },
      branches: ["stable"],
      tags: ["v1.0"],
      info: { library_name: "transformers" },
    });
    assert.match(commit, HEX40);
    assert.equal(hub.resolve("conformance/tiny", "stable"), commit);
    assert.equal(hub.resolve("conformance/tiny", "v1.0"), commit);
    const info = await json<{ sha: string; siblings: Array<{ rfilename: string }> }>(
      await get(`${hub.url}/api/models/conformance/tiny`),
    );
    assert.equal(info.sha, commit);
    assert.deepEqual(
      info.siblings.map((s) => s.rfilename),
      ["config.json", "model.safetensors"],
    );
    const lfs = await get(`${hub.url}/conformance/tiny/resolve/stable/model.safetensors`);
    assert.equal(lfs.status, 302);
    const body = await get(lfs.headers.get("location")!);
    assert.deepEqual(Buffer.from(await body.arrayBuffer()), weights);
    assert.throws(() => hub.addRepo({ id: "conformance/tiny", files: {} }), /already exists/);
    assert.throws(() => hub.addRepo({ id: "../x", files: {} }), /invalid repo id/);
    hub.resetRepos();
    assert.equal(hub.repoIds().includes("conformance/tiny"), false);
  });
});
