import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { FailureRecord } from "../../src/io/fetch.js";
import { type CallContext, classifyFailure } from "../../src/io/hub-errors.js";

const TOKEN = "hf_classifytest000000000000";
const ctx = (token?: string, extra: Partial<CallContext> = {}): CallContext => ({
  what: "list the files of acme/x at 0f1e2d3",
  repo: "acme/x",
  hubUrl: "https://hub.example",
  token,
  ...extra,
});
const fail = (
  status: number,
  errorCode?: string,
  errorMessage?: string,
  extra: Partial<FailureRecord> = {},
): FailureRecord => ({
  method: "GET",
  url: "https://hub.example/api/models/acme/x",
  status,
  errorCode,
  errorMessage,
  requestId: "req-9",
  retries: 0,
  waitedMs: 0,
  ...extra,
});

describe("classifyFailure", () => {
  const table: Array<[string, CallContext, FailureRecord, string, RegExp]> = [
    [
      "gated, anonymous",
      ctx(),
      fail(401, "GatedRepo"),
      "HUB_GATED",
      /accept the conditions at https:\/\/hub\.example\/acme\/x and pass a token/,
    ],
    [
      "gated, token not approved",
      ctx(TOKEN),
      fail(403, "GatedRepo"),
      "HUB_GATED",
      /not been granted access.*Ask for access at https:\/\/hub\.example\/acme\/x/,
    ],
    [
      "gated, token refused with 401",
      ctx(TOKEN),
      fail(401, "GatedRepo"),
      "HUB_GATED",
      /did not accept your token/,
    ],
    [
      "repo not found, anonymous",
      ctx(),
      fail(401, "RepoNotFound"),
      "HUB_PRIVATE",
      /or it is private/,
    ],
    [
      "repo not found, with token",
      ctx(TOKEN),
      fail(404, "RepoNotFound"),
      "HUB_NOT_FOUND",
      /cannot read it/,
    ],
    [
      "revision not found (branch)",
      ctx(undefined, { revision: "dev" }),
      fail(404, "RevisionNotFound"),
      "HUB_REVISION_NOT_FOUND",
      /no revision "dev"\.$/,
    ],
    [
      "revision not found (commit)",
      ctx(undefined, { revision: "a".repeat(40) }),
      fail(404, "RevisionNotFound"),
      "HUB_REVISION_NOT_FOUND",
      /history rewrite/,
    ],
    [
      "entry not found",
      ctx(undefined, { revision: "main", path: "x.json" }),
      fail(404, "EntryNotFound"),
      "HUB_ENTRY_NOT_FOUND",
      /x\.json does not exist in acme\/x at main/,
    ],
    [
      "invalid token",
      ctx(TOKEN),
      fail(401, undefined, "Invalid credentials in Authorization header"),
      "HUB_AUTH",
      /rejected your token/,
    ],
    ["auth needed", ctx(), fail(401), "HUB_AUTH", /requires authentication/],
    [
      "disabled",
      ctx(TOKEN),
      fail(403, undefined, "Access to this resource is disabled."),
      "HUB_DISABLED",
      /disabled/,
    ],
    [
      "forbidden scope",
      ctx(TOKEN),
      fail(403, undefined, "insufficient scope"),
      "HUB_AUTH",
      /fine-grained/,
    ],
    ["plain 404", ctx(), fail(404), "HUB_NOT_FOUND", /Not found/],
    [
      "rate limited after retries",
      ctx(),
      fail(429, undefined, undefined, { retries: 5, waitedMs: 23000 }),
      "HUB_RATE_LIMITED",
      /after 5 retries and 23 s of waiting.*pass a token/,
    ],
    ["rate limited with a token", ctx(TOKEN), fail(429), "HUB_RATE_LIMITED", /Try again later\.$/],
    [
      "server error",
      ctx(),
      fail(503, undefined, undefined, { retries: 5, waitedMs: 23000 }),
      "HUB_UNAVAILABLE",
      /HTTP 503.*Request id: req-9/,
    ],
    ["request timeout", ctx(), fail(408), "HUB_UNAVAILABLE", /HTTP 408/],
    [
      "bad request",
      ctx(),
      fail(400, undefined, '"expand" must be one of'),
      "HUB_PROTOCOL",
      /HTTP 400.*expand/,
    ],
  ];
  for (const [name, c, f, code, message] of table) {
    it(`${name} → ${code}`, () => {
      const e = classifyFailure(c, f);
      assert.equal(e.code, code);
      assert.equal(e.status, f.status);
      assert.match(e.message, message);
      assert.ok(!e.message.includes(TOKEN));
    });
  }
});
