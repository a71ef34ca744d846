/** hub-api.md §2.7 / §6: the 401/403/404 matrix by repo kind and token, and X-Error-* headers. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { fileDownloadInfo, HubApiError, modelInfo, repoExists } from "@huggingface/hub";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { auth, tokenOf } from "./support.js";

type Caller = "anonymous" | "invalid" | "bob" | "carol" | "alice";
type Route =
  | "info"
  | "revision"
  | "tree"
  | "paths-info"
  | "refs"
  | "commits"
  | "resolve"
  | "raw"
  | "auth-check";
const ROUTES: Route[] = [
  "info",
  "revision",
  "tree",
  "paths-info",
  "refs",
  "commits",
  "resolve",
  "raw",
  "auth-check",
];
const CALLERS: Caller[] = ["anonymous", "invalid", "bob", "carol", "alice"];

interface Expect {
  status: number;
  code: string | null;
  message?: string | RegExp;
}

const INVALID: Expect = {
  status: 401,
  code: null,
  message: "Invalid credentials in Authorization header",
};
const OK: Expect = { status: 200, code: null };

function expected(repo: string, caller: Caller, route: Route): Expect {
  if (caller === "invalid") return INVALID;
  const user = caller !== "anonymous";
  const notFound: Expect = user
    ? { status: 404, code: "RepoNotFound", message: "Repository not found" }
    : { status: 401, code: "RepoNotFound", message: "Invalid username or password." };
  switch (repo) {
    case "acme/does-not-exist":
      return notFound;
    case "acme/private-model":
      return caller === "alice" ? OK : notFound;
    case "acme/disabled-model":
      return { status: 403, code: null, message: "Access to this resource is disabled." };
    case "acme/gated-model":
      if (route === "info" || route === "refs" || caller === "alice" || caller === "carol")
        return OK;
      return user
        ? {
            status: 403,
            code: "GatedRepo",
            message: /restricted and you are not in the authorized list/,
          }
        : {
            status: 401,
            code: "GatedRepo",
            message: /restricted\. You must have access to it and be authenticated/,
          };
    default:
      return OK;
  }
}

async function call(
  hub: FixtureHub,
  repo: string,
  route: Route,
  token: string | undefined,
): Promise<Response> {
  const a = `${hub.url}/api/models/${repo}`;
  const headers = auth(token);
  switch (route) {
    case "info":
      return fetch(a, { headers });
    case "revision":
      return fetch(`${a}/revision/main`, { headers });
    case "tree":
      return fetch(`${a}/tree/main`, { headers });
    case "paths-info":
      return fetch(`${a}/paths-info/main`, {
        method: "POST",
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ paths: ["config.json"] }),
      });
    case "refs":
      return fetch(`${a}/refs`, { headers });
    case "commits":
      return fetch(`${a}/commits/main`, { headers });
    case "resolve":
      return fetch(`${hub.url}/${repo}/resolve/main/config.json`, { headers });
    case "raw":
      return fetch(`${hub.url}/${repo}/raw/main/model.safetensors`, { headers });
    case "auth-check":
      return fetch(`${a}/auth-check`, { headers });
  }
}

describe("access matrix", () => {
  let hub: FixtureHub;
  let tokens: Record<Caller, string | undefined>;
  before(async () => {
    hub = await startFixtureHub();
    tokens = {
      anonymous: undefined,
      invalid: "hf_not_a_real_token_000000000000000",
      bob: tokenOf(hub, "bob"),
      carol: tokenOf(hub, "carol"),
      alice: tokenOf(hub, "alice"),
    };
  });
  after(() => hub.close());

  for (const repo of [
    "acme/tiny-safetensors",
    "acme/does-not-exist",
    "acme/private-model",
    "acme/gated-model",
    "acme/disabled-model",
  ]) {
    it(`${repo}: every route × caller answers per §2.7`, async () => {
      for (const caller of CALLERS) {
        for (const route of ROUTES) {
          const want = expected(repo, caller, route);
          const res = await call(hub, repo, route, tokens[caller]);
          const where = `${repo} ${route} as ${caller}`;
          assert.equal(res.status, want.status, where);
          assert.ok(res.headers.get("x-request-id"), where);
          if (want.status === 200) {
            await res.arrayBuffer();
            continue;
          }
          assert.equal(res.headers.get("x-error-code"), want.code, where);
          const message = res.headers.get("x-error-message") ?? "";
          const body = (await res.json()) as { error: string };
          assert.equal(body.error, message, where);
          assert.equal(res.headers.get("content-type"), "application/json; charset=utf-8");
          if (typeof want.message === "string") assert.equal(message, want.message, where);
          else if (want.message) assert.match(message, want.message, where);
        }
      }
    });
  }

  it("whoami-v2: 401 anonymous, the user's name with a valid token", async () => {
    assert.equal((await fetch(`${hub.url}/api/whoami-v2`)).status, 401);
    const me = (await (
      await fetch(`${hub.url}/api/whoami-v2`, { headers: auth(tokens.bob) })
    ).json()) as { name: string };
    assert.equal(me.name, "bob");
  });

  it("@huggingface/hub surfaces the statuses as HubApiError with the JSON message and request id", async () => {
    await assert.rejects(
      modelInfo({ name: "acme/gated-model", hubUrl: hub.url }),
      (err: unknown) =>
        err instanceof HubApiError &&
        err.statusCode === 401 &&
        /Please log in/.test(err.message) &&
        Boolean(err.requestId),
    );
    await assert.rejects(
      fileDownloadInfo({
        repo: "acme/gated-model",
        path: "config.json",
        hubUrl: hub.url,
        accessToken: tokens.bob,
      }),
      (err: unknown) => err instanceof HubApiError && err.statusCode === 403,
    );
    await assert.rejects(
      modelInfo({ name: "acme/private-model", hubUrl: hub.url, accessToken: tokens.bob }),
      (err: unknown) =>
        err instanceof HubApiError &&
        err.statusCode === 404 &&
        err.message.includes("Repository not found"),
    );
    const info = await modelInfo({
      name: "acme/private-model",
      hubUrl: hub.url,
      accessToken: tokens.alice,
      additionalFields: ["sha"],
    });
    assert.equal(info.private, true);
    assert.equal(await repoExists({ repo: "acme/private-model", hubUrl: hub.url }), false);
    assert.equal(await repoExists({ repo: "acme/gated-model", hubUrl: hub.url }), true);
  });
});
