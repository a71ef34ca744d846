/**
 * The Hub client against the fixture Hub (test/helpers/fixture-hub): revision resolution of every
 * kind, the 401/403/404 matrix, retries through injected 429/5xx/truncation, pagination, and the
 * verified small-file read. Sleeps are injected, so retries cost no wall time.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { HubError, UsageError } from "../../src/core/errors.js";
import { HubClient, type HubClientOptions } from "../../src/io/hub.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";

const ALICE = "hf_fixture_alice_0000000000000000000000";
const BOB = "hf_fixture_bob_00000000000000000000000000";
const CAROL = "hf_fixture_carol_approved_gated_only0000";

let hub: FixtureHub;
let sleeps: number[] = [];

before(async () => {
  hub = await startFixtureHub();
});
after(async () => {
  await hub.close();
});
beforeEach(() => {
  hub.resetKnobs();
  hub.requests.length = 0;
  sleeps = [];
});

function client(token?: string, options: HubClientOptions = {}): HubClient {
  return new HubClient(
    { hubUrl: hub.url, token },
    {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      ...options,
    },
  );
}

async function hubError(promise: Promise<unknown>): Promise<HubError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HubError, `expected a HubError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the call to fail");
}

describe("HubClient.resolveModel", () => {
  it("resolves no ref to the default branch's commit", async () => {
    const { revision, info } = await client().resolveModel("acme/tiny-safetensors", undefined);
    assert.equal(revision.commit, hub.resolve("acme/tiny-safetensors", "main"));
    assert.deepEqual(revision.source, { kind: "default-branch" });
    assert.deepEqual([info.gated, info.private], [false, false]);
  });

  it("resolves branches (with a slash), tags, refs/heads, refs/pr and full commits", async () => {
    const c = client();
    const repo = "acme/multi-branch";
    for (const [ref, kind] of [
      ["dev", "branch"],
      ["release/v1", "branch"],
      ["v1.0.0", "tag"],
      ["refs/heads/dev", "branch"],
      ["refs/tags/v1.0.0", "tag"],
      ["refs/pr/1", "pull-request"],
    ] as const) {
      const { revision } = await c.resolveModel(repo, ref);
      assert.equal(revision.commit, hub.resolve(repo, ref), ref);
      assert.equal(revision.source.kind, kind, ref);
      assert.equal(revision.requested, ref);
    }
    const commit = hub.resolve(repo, "dev");
    const full = await c.resolveModel(repo, commit.toUpperCase());
    assert.deepEqual([full.revision.commit, full.revision.source.kind], [commit, "commit"]);
  });

  it("resolves a short commit id from deep in the history, not only branch tips", async () => {
    const repo = "acme/multi-branch";
    const history = hub.history(repo, "main");
    const old = history[history.length - 2]!;
    const { revision } = await client().resolveModel(repo, old.slice(0, 9));
    assert.equal(revision.commit, old);
    assert.deepEqual(revision.source, { kind: "short-commit", prefix: old.slice(0, 9) });
  });

  it("bounds the history search for short commit ids", async () => {
    const repo = "acme/multi-branch";
    const history = hub.history(repo, "main");
    const old = history[history.length - 2]!;
    const e = await hubError(
      client(undefined, { maxCommitsScanned: 1 }).resolveModel(repo, old.slice(0, 9)),
    );
    assert.equal(e.code, "HUB_REVISION_NOT_FOUND");
  });

  it("fails clearly for a short commit id that matches nothing", async () => {
    const e = await hubError(client().resolveModel("acme/multi-branch", "deadbee"));
    assert.equal(e.code, "HUB_REVISION_NOT_FOUND");
    assert.match(e.message, /branches: .*main/);
  });

  it("resolves semver ranges over tags: highest match, prereleases only when asked", async () => {
    const repo = "acme/semver-model";
    const c = client();
    const cases: Array<[string, string]> = [
      ["^1.2", "v1.2.3"],
      ["~1.2.0", "v1.2.3"],
      [">=1 <2", "v1.2.3"],
      ["1.0.x", "v1.0.0"],
      ["^2", "v2.0.0"],
      [">=2.0.0-rc.0 <2.0.0", "v2.0.0-rc.1"],
    ];
    for (const [range, tag] of cases) {
      const { revision } = await c.resolveModel(repo, range);
      assert.equal(revision.commit, hub.resolve(repo, tag), range);
      assert.equal(revision.source.kind === "semver" && revision.source.tag, tag, range);
    }
    const e = await hubError(c.resolveModel(repo, "^3"));
    assert.equal(e.code, "HUB_REVISION_NOT_FOUND");
  });

  it("reports a vanished commit as a possible history rewrite", async () => {
    const repo = "acme/tiny-safetensors";
    const squashHub = await startFixtureHub();
    try {
      const old = squashHub.resolve(repo, "main");
      squashHub.superSquash(repo, "main");
      const c = new HubClient({ hubUrl: squashHub.url, token: undefined });
      const e = await hubError(c.resolveModel(repo, old));
      assert.equal(e.code, "HUB_REVISION_NOT_FOUND");
      assert.match(e.message, /history rewrite/);
      // A moved branch is followed: the same ref now names the new commit.
      const now = await c.resolveModel(repo, "main");
      assert.equal(now.revision.commit, squashHub.resolve(repo, "main"));
      assert.notEqual(now.revision.commit, old);
    } finally {
      await squashHub.close();
    }
  });
});

describe("HubClient errors: the 401/403/404 matrix", () => {
  const cases: Array<[string, string, string | undefined, string, RegExp]> = [
    [
      "private, anonymous",
      "acme/private-model",
      undefined,
      "HUB_PRIVATE",
      /or it is private.*pass a token/,
    ],
    ["private, token without access", "acme/private-model", BOB, "HUB_NOT_FOUND", /cannot read it/],
    ["missing, anonymous", "acme/no-such-model", undefined, "HUB_PRIVATE", /not found/],
    ["missing, with token", "acme/no-such-model", BOB, "HUB_NOT_FOUND", /not found/],
    [
      "gated, anonymous",
      "acme/gated-model",
      undefined,
      "HUB_GATED",
      /accept the conditions at http:\/\/127\.0\.0\.1:\d+\/acme\/gated-model and pass a token/,
    ],
    [
      "gated, not approved",
      "acme/gated-model",
      BOB,
      "HUB_GATED",
      /not been granted access.*Ask for access at/,
    ],
    ["disabled", "acme/disabled-model", ALICE, "HUB_DISABLED", /disabled/],
    [
      "unknown token",
      "acme/tiny-safetensors",
      "hf_unknown_token_000000000000",
      "HUB_AUTH",
      /rejected your token/,
    ],
  ];
  for (const [name, repo, token, code, message] of cases) {
    it(`${name} → ${code}`, async () => {
      const e = await hubError(client(token).resolveModel(repo, undefined));
      assert.equal(e.code, code);
      assert.match(e.message, message);
      if (token !== undefined) assert.ok(!e.message.includes(token));
    });
  }

  it("lets approved tokens through", async () => {
    assert.equal(
      (await client(ALICE).resolveModel("acme/private-model", undefined)).info.private,
      true,
    );
    assert.equal(
      (await client(CAROL).resolveModel("acme/gated-model", undefined)).info.gated,
      "manual",
    );
  });
});

describe("HubClient under faults", () => {
  it("rides out 429s and 5xx on info and tree calls", async () => {
    hub.knobs.rateLimit.push({ route: "/revision/", times: 2, retryAfter: 2 });
    hub.knobs.serverError.push({ route: "/tree/", times: 2, status: 503 });
    const c = client();
    const { revision } = await c.resolveModel("acme/tiny-safetensors", undefined);
    const files = await c.listRepoFiles("acme/tiny-safetensors", revision.commit);
    assert.equal(files.length, 5);
    assert.ok(sleeps.length >= 4, `slept ${sleeps.join(",")}`);
    assert.ok(sleeps.includes(3000), "429 with t=2 waits t+1 s");
  });

  it("retries a tree page cut short", async () => {
    hub.knobs.truncate.push({ route: "/tree/", times: 1, afterBytes: 20 });
    const c = client();
    const commit = hub.resolve("acme/tiny-safetensors", "main");
    assert.equal((await c.listRepoFiles("acme/tiny-safetensors", commit)).length, 5);
  });

  it("turns persistent 5xx into HUB_UNAVAILABLE and persistent 429 into HUB_RATE_LIMITED", async () => {
    hub.knobs.serverError.push({ route: "/revision/", times: 100, status: 502 });
    const e = await hubError(client().resolveModel("acme/tiny-safetensors", undefined));
    assert.equal(e.code, "HUB_UNAVAILABLE");
    assert.match(e.message, /after 5 retries/);
    hub.resetKnobs();
    hub.knobs.rateLimit.push({ route: "/revision/", times: 100, retryAfter: 1 });
    const r = await hubError(client().resolveModel("acme/tiny-safetensors", undefined));
    assert.equal(r.code, "HUB_RATE_LIMITED");
  });
});

describe("HubClient.listRepoFiles", () => {
  it("follows tiny pages and returns our own file type with published digests", async () => {
    hub.knobs.pageSize = 3;
    const repo = "acme/multi-branch";
    const commit = hub.resolve(repo, "main");
    const files = await client().listRepoFiles(repo, commit, { expand: true });
    const treeCalls = hub.requests.filter((r) => r.path.includes("/tree/"));
    assert.ok(treeCalls.length > 5, `pages: ${treeCalls.length}`);
    assert.ok(files.length > 20);
    assert.deepEqual(
      files.map((f) => f.path),
      [...files.map((f) => f.path)].sort(),
    );
    for (const f of files) {
      const truth = hub.file(repo, commit, f.path);
      assert.equal(f.size, truth.size, f.path);
      assert.equal(f.gitOid, truth.oid, f.path);
      assert.equal(f.lfs?.sha256, truth.lfs ? truth.sha256 : undefined, f.path);
      assert.ok(f.lastCommit !== undefined && f.hubSecurity !== undefined, f.path);
    }
  });
});

describe("HubClient.fetchVerifiedFile", () => {
  const repo = "acme/tiny-safetensors";

  it("reads a small file through the resolve-cache redirect and checks its git blob id", async () => {
    const c = client();
    const commit = hub.resolve(repo, "main");
    const file = (await c.listRepoFiles(repo, commit)).find((f) => f.path === "config.json")!;
    const ok = await c.fetchVerifiedFile(repo, commit, file);
    assert.equal(
      ok.ok && Buffer.from(ok.bytes).toString("utf8"),
      hub.file(repo, commit, "config.json").bytes.toString("utf8"),
    );
    hub.knobs.resolveCacheRedirect = false;
    assert.equal((await c.fetchVerifiedFile(repo, commit, file)).ok, true);
  });

  it("reports served bytes that differ from the tree", async () => {
    const c = client();
    const commit = hub.resolve(repo, "main");
    const file = (await c.listRepoFiles(repo, commit)).find((f) => f.path === "config.json")!;
    hub.tamper(repo, "config.json");
    try {
      const bad = await c.fetchVerifiedFile(repo, commit, file);
      assert.equal(bad.ok, false);
      assert.equal(!bad.ok && bad.algorithm, "git-sha1");
      hub.tamper(repo, "config.json", Buffer.from("{}"));
      const short = await c.fetchVerifiedFile(repo, commit, file);
      assert.equal(!short.ok && short.algorithm, "size");
    } finally {
      hub.untamper(repo, "config.json");
    }
  });

  it("turns a missing entry into HUB_ENTRY_NOT_FOUND naming the path", async () => {
    const commit = hub.resolve(repo, "main");
    const e = await hubError(
      client().fetchVerifiedFile(repo, commit, {
        path: "no/such.json",
        size: 2,
        gitOid: "0".repeat(40),
      }),
    );
    assert.equal(e.code, "HUB_ENTRY_NOT_FOUND");
    assert.match(e.message, /no\/such\.json does not exist in acme\/tiny-safetensors/);
  });

  it("never sends the token across a cross-origin redirect", async () => {
    const c = client(ALICE);
    const commit = hub.resolve("acme/private-model", "main");
    const file = (await c.listRepoFiles("acme/private-model", commit)).find(
      (f) => f.path === "config.json",
    )!;
    hub.requests.length = 0;
    hub.knobs.foreignRedirect.push({ times: 1 });
    await c.fetchVerifiedFile("acme/private-model", commit, file).catch(() => undefined);
    const foreign = hub.requests.filter((r) => r.origin === "foreign");
    assert.ok(foreign.length >= 1, "the redirect was followed");
    assert.ok(foreign.every((r) => r.headers.authorization === undefined));
    const own = hub.requests.filter((r) => r.origin === "hub");
    assert.ok(own.some((r) => r.headers.authorization === `Bearer ${ALICE}`));
  });
});

describe("HubClient.fetchDownloadInfo", () => {
  it("gives size and sha256 ETag of an LFS file without its body", async () => {
    const repo = "acme/tiny-safetensors";
    const commit = hub.resolve(repo, "main");
    const info = await client().fetchDownloadInfo(repo, commit, "model.safetensors");
    const truth = hub.file(repo, commit, "model.safetensors");
    assert.deepEqual([info?.size, info?.etag], [truth.size, truth.sha256]);
    assert.equal(await client().fetchDownloadInfo(repo, commit, "nope.bin"), null);
  });
});

describe("HubClient input checks", () => {
  it("a malformed token is a usage error before any request", () => {
    // Tokens without hf_ are for self-hosted endpoints (test/io/self-hosted-token.test.ts); one
    // that cannot travel in a header, or a non-hf_ one for the public Hub, is refused anywhere.
    const before = hub.requests.length;
    for (const [hubUrl, token] of [
      [hub.url, "not a token"],
      ["https://huggingface.co", "not-a-token"],
    ] as const) {
      assert.throws(
        () => new HubClient({ hubUrl, token }),
        (e: unknown) => e instanceof UsageError && !String(e).includes(token),
      );
    }
    assert.equal(hub.requests.length, before);
  });
});
