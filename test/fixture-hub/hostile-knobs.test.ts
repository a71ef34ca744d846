/**
 * The fixture Hub's hostile-Hub knobs, checked on the wire with plain fetch (no modelvet code):
 * nextLink rewrites a page's `Link: rel="next"`, redirect answers with any Location (malformed
 * too), tokenEcho plants a tree entry carrying the caller's token (and serves its bytes), and
 * trickle sends a body a byte at a time, never the last one.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { auth, get, json, type TreeItem, tokenOf } from "./support.js";

const R = "acme/multi-branch";

describe("hostile-Hub knobs", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());
  beforeEach(() => {
    hub.resetKnobs();
    hub.requests.length = 0;
  });

  it("nextLink: the page's next link is what the rule returns, given the honest and current URLs", async () => {
    hub.knobs.pageSize = 2;
    let seen: [string, string] | undefined;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1,
      rewrite: (honest, current) => {
        seen = [honest.href, current.href];
        return "http://elsewhere.invalid/page2";
      },
    });
    const res = await get(`${hub.url}/api/models/${R}/tree/main?recursive=true`);
    assert.equal(res.headers.get("Link"), '<http://elsewhere.invalid/page2>; rel="next"');
    assert.ok(seen?.[0].includes("cursor="));
    assert.ok(seen?.[1].endsWith(`/api/models/${R}/tree/main?recursive=true`));
    assert.equal(hub.requests[0]?.fault, "nextLink");
    // used up: the next page is honest again
    const again = await get(`${hub.url}/api/models/${R}/tree/main?recursive=true`);
    assert.match(again.headers.get("Link") ?? "", new RegExp(`^<${hub.url}/api/`));
  });

  it("redirect: answers with the given status and Location, even a malformed one", async () => {
    hub.knobs.redirect.push({ route: "/refs", times: 1, location: "http://[::1", status: 307 });
    const res = await get(`${hub.url}/api/models/${R}/refs`);
    assert.equal(res.status, 307);
    assert.equal(res.headers.get("Location"), "http://[::1");
    assert.equal((await get(`${hub.url}/api/models/${R}/refs`)).status, 200);
  });

  it("tokenEcho: a user's tree gains echo-<token>-<name>, served with the mirrored file's bytes", async () => {
    const token = tokenOf(hub, "alice");
    hub.knobs.tokenEcho.push({ route: "/tree/", times: 1, copyOf: "data/not-lfs.bin" });
    const tree = await json<TreeItem[]>(
      await get(`${hub.url}/api/models/${R}/tree/main?recursive=true`, auth(token)),
    );
    const original = tree.find((e) => e.path === "data/not-lfs.bin");
    const echoed = tree.find((e) => e.path === `data/echo-${token}-not-lfs.bin`);
    assert.ok(original && echoed);
    assert.equal(echoed.oid, original.oid);
    const a = await fetch(`${hub.url}/${R}/resolve/main/data/not-lfs.bin`);
    const b = await fetch(`${hub.url}/${R}/resolve/main/data/echo-${token}-not-lfs.bin`);
    assert.deepEqual(Buffer.from(await b.arrayBuffer()), Buffer.from(await a.arrayBuffer()));
  });

  it("tokenEcho: anonymous callers get the honest tree (there is no token to echo)", async () => {
    hub.knobs.tokenEcho.push({ route: "/tree/", times: 1, copyOf: "config.json" });
    const tree = await json<TreeItem[]>(await get(`${hub.url}/api/models/${R}/tree/main`));
    assert.ok(!tree.some((e) => e.path.includes("echo-")));
  });

  it("trickle: headers at once, then a byte per tick, never the whole body", async () => {
    hub.knobs.trickle.push({ route: "config.json", times: 1, everyMs: 10 });
    const controller = new AbortController();
    const res = await fetch(`${hub.url}/${R}/resolve/main/config.json`, {
      signal: controller.signal,
    });
    assert.equal(res.status, 200);
    const length = Number(res.headers.get("Content-Length"));
    const reader = res.body!.getReader();
    let got = 0;
    const started = Date.now();
    while (Date.now() - started < 300) {
      const { value, done } = await reader.read();
      assert.equal(done, false);
      got += value?.byteLength ?? 0;
    }
    controller.abort();
    assert.ok(got > 0 && got < length, `${got} of ${length} bytes`);
    assert.ok(hub.requests.some((q) => q.fault === "trickle"));
  });
});
