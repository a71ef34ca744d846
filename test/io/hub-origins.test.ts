/**
 * Where the Hub client's requests may go, and what the token may reach (issue #14 item 1 and the
 * fetch path around it). The fixture Hub misbehaves through its knobs; a second loopback server
 * (test/helpers/http-origin.ts) plays "another origin" and records everything that reaches it.
 *
 * - A `Link: rel="next"` to another origin, another path, or out of the API is a HUB_PROTOCOL
 *   error naming both ends, and nothing is requested from the link (so no token leaves).
 * - An API answer redirected to another origin is not followed (HUB_PROTOCOL).
 * - A file probe redirected to another origin is followed, without Authorization.
 * - A malformed Location is HUB_PROTOCOL with its own message, never an internal error.
 */
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, beforeEach, describe, it } from "node:test";
import { HubError } from "../../src/core/errors.js";
import { HubClient } from "../../src/io/hub.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { type Origin, serve } from "../helpers/http-origin.js";

const ALICE = "hf_fixture_alice_0000000000000000000000";
const REPO = "acme/multi-branch";

let hub: FixtureHub;
let other: Origin;
let received: Array<{ url: string; authorization: string | undefined }> = [];

before(async () => {
  hub = await startFixtureHub();
  other = await serve();
});
after(async () => {
  await hub.close();
  other.server.closeAllConnections();
  other.server.close();
});
beforeEach(() => {
  hub.resetKnobs();
  hub.requests.length = 0;
  received = [];
  // The other origin answers like a Hub page would, with a planted entry, and records the request.
  other.handle.current = (req: IncomingMessage, res) => {
    received.push({ url: req.url ?? "", authorization: req.headers.authorization });
    res.writeHead(200, { "Content-Type": "application/json" });
    const planted = (req.url ?? "").includes("/commits/")
      ? { id: "e".repeat(40), title: "t", message: "", authors: [], date: "2025-01-01T00:00:00Z" }
      : { type: "file", path: "planted.bin", size: 1, oid: "f".repeat(40) };
    res.end(JSON.stringify([planted]));
  };
});

const client = (token: string | undefined = ALICE) =>
  new HubClient({ hubUrl: hub.url, token }, { sleep: async () => {} });

async function protocolError(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HubError, `expected a HubError, got ${String(error)}`);
    assert.equal(error.code, "HUB_PROTOCOL", error.message);
    assert.ok(!error.message.includes(ALICE), "the token is never in a message");
    return error;
  }
  assert.fail("expected the call to fail");
}

const originOf = (url: string) => new URL(url).origin;

describe("pagination links", () => {
  it("a tree page whose next link points at another origin: protocol error, no request there", async () => {
    hub.knobs.pageSize = 5;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1,
      rewrite: (honest) => `${other.url}${honest.pathname}${honest.search}`,
    });
    const commit = hub.resolve(REPO, "main");
    const e = await protocolError(client().listRepoFiles(REPO, commit));
    assert.ok(e.message.includes(originOf(hub.url)), e.message);
    assert.ok(e.message.includes(other.url), e.message);
    assert.match(e.message, /next/);
    assert.deepEqual(received, [], "the other origin got no request at all");
  });

  it("the same, anonymous: still refused (the listing would mix in foreign entries)", async () => {
    hub.knobs.pageSize = 5;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1,
      rewrite: (honest) => `${other.url}${honest.pathname}${honest.search}`,
    });
    await protocolError(client(undefined).listRepoFiles(REPO, hub.resolve(REPO, "main")));
    assert.deepEqual(received, []);
  });

  it("a commit page whose next link points at another origin: protocol error, no request there", async () => {
    hub.knobs.pageSize = 1;
    hub.knobs.nextLink.push({
      route: "/commits/",
      times: 1,
      rewrite: (honest) => `${other.url}${honest.pathname}${honest.search}`,
    });
    const e = await protocolError(client().fetchCommitIds(REPO, hub.resolve(REPO, "main"), 50));
    assert.ok(e.message.includes(other.url), e.message);
    assert.deepEqual(received, []);
  });

  it("a next link on the Hub's origin but to another repo's tree: refused, not requested", async () => {
    hub.knobs.pageSize = 5;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1,
      rewrite: (honest) => {
        const u = new URL(honest.href);
        u.pathname = u.pathname.replace("/acme/multi-branch/", "/acme/private-model/");
        return u.href;
      },
    });
    const e = await protocolError(client().listRepoFiles(REPO, hub.resolve(REPO, "main")));
    assert.match(e.message, /private-model/);
    assert.equal(hub.requests.filter((r) => r.path.includes("private-model")).length, 0);
  });

  it("a next link on the Hub's origin outside /api: refused, not requested", async () => {
    hub.knobs.pageSize = 5;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1,
      rewrite: (honest) => `${honest.origin}/oauth/authorize?next=1`,
    });
    await protocolError(client().listRepoFiles(REPO, hub.resolve(REPO, "main")));
    assert.equal(hub.requests.filter((r) => r.path.startsWith("/oauth")).length, 0);
  });

  it("a next link the client cannot follow (relative) is an error, not a silently short listing", async () => {
    hub.knobs.pageSize = 5;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1,
      rewrite: (honest) => `${honest.pathname}${honest.search}`,
    });
    const e = await protocolError(client().listRepoFiles(REPO, hub.resolve(REPO, "main")));
    assert.match(e.message, /next/);
  });

  it("honest pagination still works (same origin, same path)", async () => {
    hub.knobs.pageSize = 5;
    const files = await client().listRepoFiles(REPO, hub.resolve(REPO, "main"));
    assert.ok(files.length > 5);
    assert.ok(hub.requests.filter((r) => r.path.includes("/tree/")).length > 1);
  });
});

describe("redirects", () => {
  it("an API answer redirected to another origin is not followed", async () => {
    hub.knobs.redirect.push({
      route: /^GET \/api\/models\/[^/]+\/[^/]+\/revision\//,
      times: 1,
      location: `${other.url}/api/models/acme/x/revision/main`,
    });
    const e = await protocolError(client().fetchRepoInfo(REPO, "main"));
    assert.ok(e.message.includes(other.url), e.message);
    assert.deepEqual(received, []);
  });

  it("an API answer redirected within the Hub but out of /api is not followed", async () => {
    hub.knobs.redirect.push({
      route: "/refs",
      times: 1,
      location: `${hub.url}/login`,
    });
    await protocolError(client().fetchRefs(REPO));
    assert.equal(hub.requests.filter((r) => r.path === "/login").length, 0);
  });

  it("a file probe redirected to another origin is followed without Authorization", async () => {
    const commit = hub.resolve(REPO, "main");
    hub.knobs.foreignRedirect.push({ route: "/resolve/", times: 1 });
    const info = await client().fetchDownloadInfo(REPO, commit, "config.json");
    assert.ok(info !== null);
    const foreign = hub.requests.filter((r) => r.origin === "foreign");
    assert.equal(foreign.length, 1);
    assert.equal(foreign[0]?.headers.authorization, undefined);
  });

  it("a verified small-file read redirected to another origin sends no Authorization there", async () => {
    const commit = hub.resolve(REPO, "main");
    const [file] = (await client().listRepoFiles(REPO, commit)).filter(
      (f) => f.path === "config.json",
    );
    assert.ok(file);
    hub.requests.length = 0;
    hub.knobs.foreignRedirect.push({ route: "/resolve/", times: 1 });
    const got = await client().fetchVerifiedFile(REPO, commit, file);
    assert.equal(got.ok, true);
    const foreign = hub.requests.filter((r) => r.origin === "foreign");
    assert.equal(foreign.length, 1);
    assert.equal(foreign[0]?.headers.authorization, undefined);
  });

  for (const [what, call] of [
    ["repo info", (c: HubClient) => c.fetchRepoInfo(REPO, "main")],
    [
      "a file probe",
      (c: HubClient) => c.fetchDownloadInfo(REPO, hub.resolve(REPO, "main"), "config.json"),
    ],
    [
      "a verified small-file read",
      (c: HubClient) =>
        c.fetchVerifiedFile(REPO, hub.resolve(REPO, "main"), {
          path: "config.json",
          size: 2,
          gitOid: "a".repeat(40),
        }),
    ],
  ] as const) {
    it(`a malformed Location on ${what}: HUB_PROTOCOL naming the header`, async () => {
      hub.knobs.redirect.push({ times: 1, location: "http://[::1" });
      const e = await protocolError(call(client()));
      assert.match(e.message, /Location/);
    });
  }

  it("a redirect without Location on an API call: HUB_PROTOCOL", async () => {
    hub.knobs.redirect.push({ route: "/refs", times: 1, location: "" });
    const e = await protocolError(client().fetchRefs(REPO));
    assert.match(e.message, /Location/);
  });

  it("a redirect loop ends in HUB_PROTOCOL", async () => {
    hub.knobs.redirect.push({
      route: "/refs",
      times: 50,
      location: `${hub.url}/api/models/${REPO}/refs`,
    });
    const e = await protocolError(client().fetchRefs(REPO));
    assert.match(e.message, /redirect/i);
  });
});

describe("pagination that never ends", () => {
  it("a next link back to the page just read is refused (no endless listing)", async () => {
    hub.knobs.pageSize = 5;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1000,
      rewrite: (_honest, current) => current.href,
    });
    const e = await protocolError(client().listRepoFiles(REPO, hub.resolve(REPO, "main")));
    assert.match(e.message, /never end/);
    assert.equal(hub.requests.filter((r) => r.path.includes("/tree/")).length, 1);
  });

  it("a next link back to an earlier page is refused too", async () => {
    hub.knobs.pageSize = 5;
    let first: string | undefined;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1000,
      rewrite: (honest, current) => {
        first ??= current.href;
        return current.searchParams.has("cursor") ? first : honest.href;
      },
    });
    const e = await protocolError(client().listRepoFiles(REPO, hub.resolve(REPO, "main")));
    assert.match(e.message, /never end/);
    assert.equal(hub.requests.filter((r) => r.path.includes("/tree/")).length, 2);
  });
});
