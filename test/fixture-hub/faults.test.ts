/** hub-api.md §7.5: every fault knob, and the run-time repo mutations (moved branch, vanished commit, tamper). */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, afterEach, before, describe, it } from "node:test";
import { downloadFile, listFiles, modelInfo } from "@huggingface/hub";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { auth, get, gitSha1, json, sha256, type TreeItem, tokenOf } from "./support.js";

const REPO = "acme/tiny-safetensors";

/** Reads a body until it ends or fails; returns the bytes that arrived and the error, if any. */
async function drain(res: Response): Promise<{ bytes: number; error: unknown }> {
  const reader = res.body!.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { bytes, error: null };
      bytes += value.length;
    }
  } catch (error) {
    return { bytes, error };
  }
}

describe("fault knobs", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  afterEach(() => hub.resetKnobs());
  after(() => hub.close());

  it("rateLimit: 429 with RateLimit, RateLimit-Policy and Retry-After for the next N matching requests", async () => {
    hub.knobs.rateLimit.push({ route: "/tree/", times: 2, retryAfter: 7 });
    const other = await get(`${hub.url}/api/models/${REPO}/refs`);
    assert.equal(other.status, 200, "non-matching route unaffected");
    assert.match(other.headers.get("ratelimit") ?? "", /^"api";r=\d+;t=300$/);
    for (let i = 0; i < 2; i++) {
      const res = await get(`${hub.url}/api/models/${REPO}/tree/main`);
      assert.equal(res.status, 429);
      assert.equal(res.headers.get("retry-after"), "7");
      assert.equal(res.headers.get("ratelimit"), '"api";r=0;t=7');
      assert.equal(res.headers.get("ratelimit-policy"), '"fixed window";"api";q=500;w=300');
      assert.match(((await res.json()) as { error: string }).error, /rate-limited/);
    }
    assert.equal((await get(`${hub.url}/api/models/${REPO}/tree/main`)).status, 200);
    assert.equal(hub.knobs.rateLimit[0]!.times, 0);
    assert.equal(hub.requests.filter((r) => r.fault === "rateLimit").length, 2);
  });

  it("RateLimit headers on normal responses count down per caller, with the free-user quota for tokens", async () => {
    const remaining = async (token?: string): Promise<[number, string]> => {
      const res = await get(`${hub.url}/api/models/${REPO}/refs`, auth(token));
      await res.arrayBuffer();
      const m = /^"api";r=(\d+);t=300$/.exec(res.headers.get("ratelimit") ?? "");
      assert.ok(m, res.headers.get("ratelimit") ?? "no RateLimit header");
      return [Number(m[1]), res.headers.get("ratelimit-policy") ?? ""];
    };
    const [a1, anonPolicy] = await remaining();
    const [a2] = await remaining();
    assert.equal(a2, a1 - 1);
    assert.equal(anonPolicy, '"fixed window";"api";q=500;w=300');
    const [u1, userPolicy] = await remaining(tokenOf(hub, "carol"));
    assert.equal(userPolicy, '"fixed window";"api";q=1000;w=300');
    assert.equal(u1, 999, "carol's own window");
  });

  it("rateLimit: RegExp routes see the method; resolvers bucket; Retry-After can be omitted", async () => {
    hub.knobs.rateLimit.push({
      route: /^HEAD \/acme\/tiny-safetensors\/resolve\//,
      times: 1,
      omitRetryAfter: true,
    });
    assert.equal(
      (await get(`${hub.url}/${REPO}/resolve/main/config.json`)).status,
      307,
      "GET not matched",
    );
    const res = await get(`${hub.url}/${REPO}/resolve/main/config.json`, {}, "HEAD");
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), null);
    assert.equal(res.headers.get("ratelimit"), '"resolvers";r=0;t=1');
  });

  it("serverError: the next N matching requests fail with the chosen 5xx, then recover", async () => {
    hub.knobs.serverError.push(
      { route: "/revision/", times: 1, status: 503 },
      { route: "/commits/", times: 1 },
    );
    assert.equal((await get(`${hub.url}/api/models/${REPO}/revision/main`)).status, 503);
    assert.equal((await get(`${hub.url}/api/models/${REPO}/revision/main`)).status, 200);
    const five = await get(`${hub.url}/api/models/${REPO}/commits/main`);
    assert.equal(five.status, 500);
    assert.ok(((await five.json()) as { error: string }).error);
  });

  it("serverError on the CDN origin only: the Hub still answers, the LFS download fails once", async () => {
    hub.knobs.serverError.push({ origin: "cdn", times: 1, status: 502 });
    const res = await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`);
    assert.equal(res.status, 502);
    assert.equal(hub.requests.at(-2)?.status, 302);
    assert.equal((await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`)).status, 200);
  });

  it("truncate: full Content-Length, afterBytes of body, then the socket closes", async () => {
    const size = hub.file(REPO, "main", "model.safetensors").size;
    hub.knobs.truncate.push({
      route: "model.safetensors",
      origin: "cdn",
      times: 1,
      afterBytes: 100,
    });
    const res = await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), String(size));
    const got = await drain(res);
    assert.equal(got.bytes, 100);
    assert.ok(got.error, "reading a truncated body must fail");
    assert.equal(hub.requests.at(-1)?.fault, "truncate");
    const again = await drain(await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`));
    assert.deepEqual(again, { bytes: size, error: null });
  });

  it("truncate also cuts JSON API bodies (default: half the body)", async () => {
    hub.knobs.truncate.push({ route: "/tree/", times: 1 });
    const res = await get(`${hub.url}/api/models/${REPO}/tree/main?recursive=true`);
    await assert.rejects(res.json());
  });

  it("reset vs truncate on the wire: a TCP reset (ECONNRESET) versus a clean close (FIN)", async () => {
    hub.knobs.resolveCacheRedirect = false;
    const outcome = (kind: "reset" | "truncate"): Promise<{ how: string; bytes: number }> => {
      hub.knobs[kind].push({ route: "config.json", times: 1, afterBytes: 10 });
      return new Promise((resolve) => {
        const socket = connect(Number(new URL(hub.url).port), "127.0.0.1", () =>
          socket.write(`GET /${REPO}/resolve/main/config.json HTTP/1.1\r\nHost: fixture\r\n\r\n`),
        );
        let raw = Buffer.alloc(0);
        let how = "close";
        socket.on("data", (d: Buffer) => {
          raw = Buffer.concat([raw, d]);
        });
        socket.on("error", (e: NodeJS.ErrnoException) => {
          how = e.code ?? "error";
        });
        socket.on("end", () => {
          how = "FIN";
        });
        socket.on("close", () => resolve({ how, bytes: raw.length - raw.indexOf("\r\n\r\n") - 4 }));
      });
    };
    assert.deepEqual(await outcome("reset"), { how: "ECONNRESET", bytes: 10 });
    assert.deepEqual(await outcome("truncate"), { how: "FIN", bytes: 10 });
  });

  it("reset mid-file fails fetch and @huggingface/hub downloads", async () => {
    hub.knobs.reset.push({ route: "model.safetensors", times: 1, afterBytes: 10 });
    const got = await drain(await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`));
    assert.equal(got.bytes, 10);
    assert.ok(got.error);
    assert.equal(hub.requests.at(-1)?.fault, "reset");
    hub.knobs.reset.push({
      route: "model.safetensors",
      origin: "cdn",
      times: 1,
      onlyFullBodies: true,
    });
    const blob = await downloadFile({
      repo: REPO,
      path: "model.safetensors",
      hubUrl: hub.url,
      xet: false,
      revision: "main",
    });
    await assert.rejects(blob!.arrayBuffer());
    assert.equal(
      hub.knobs.reset[1]!.times,
      0,
      "the rule skipped the 1-byte range probe and hit the download",
    );
  });

  it("foreignRedirect: a cross-origin redirect target never receives Authorization", async () => {
    const token = tokenOf(hub, "alice");
    hub.knobs.foreignRedirect.push({ route: "/resolve/", times: 2 });
    hub.requests.length = 0;
    for (const path of ["model.safetensors", "config.json"]) {
      const res = await fetch(`${hub.url}/acme/private-model/resolve/main/${path}`, {
        headers: auth(token),
      });
      assert.equal(res.status, 200);
      const bytes = Buffer.from(await res.arrayBuffer());
      assert.equal(sha256(bytes), hub.file("acme/private-model", "main", path).sha256);
    }
    const hubSide = hub.requests.filter((r) => r.origin === "hub");
    const foreign = hub.requests.filter((r) => r.origin === "foreign");
    assert.equal(hubSide.length, 2);
    assert.equal(foreign.length, 2);
    for (const r of hubSide) {
      assert.equal(r.headers.authorization, `Bearer ${token}`);
      assert.equal(r.fault, "foreignRedirect");
      assert.equal(r.status, 302);
    }
    for (const r of foreign) assert.equal(r.headers.authorization, undefined);
  });

  it("pageSize set at start-up applies to tree pages", async () => {
    const small = await startFixtureHub({ pageSize: 1 });
    try {
      const res = await get(`${small.url}/api/models/${REPO}/tree/main`);
      assert.equal((await json<TreeItem[]>(res)).length, 1);
      assert.ok(res.headers.get("link")?.includes(small.url));
    } finally {
      await small.close();
    }
  });
});

describe("repo mutations", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  it("tamper (LFS): served bytes change, every advertised digest stays the original", async () => {
    const original = hub.file(REPO, "main", "model.safetensors");
    hub.tamper(REPO, "model.safetensors");
    try {
      const tree = await json<TreeItem[]>(await get(`${hub.url}/api/models/${REPO}/tree/main`));
      assert.equal(tree.find((t) => t.path === "model.safetensors")?.lfs?.oid, original.sha256);
      const redirect = await get(`${hub.url}/${REPO}/resolve/main/model.safetensors`);
      assert.equal(redirect.headers.get("x-linked-etag"), `"${original.sha256}"`);
      const bytes = Buffer.from(
        await (await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`)).arrayBuffer(),
      );
      assert.equal(bytes.length, original.size, "same length: only a digest check catches it");
      assert.notEqual(sha256(bytes), original.sha256);
    } finally {
      hub.untamper(REPO, "model.safetensors");
    }
    const restored = Buffer.from(
      await (await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`)).arrayBuffer(),
    );
    assert.equal(sha256(restored), original.sha256);
  });

  it("tamper (regular file, given bytes): ETag is still the original git sha1", async () => {
    const original = hub.file(REPO, "main", "config.json");
    hub.tamper(REPO, "config.json", Buffer.from('{"model_type":"evil"}\n'));
    try {
      const res = await fetch(`${hub.url}/${REPO}/resolve/main/config.json`);
      assert.equal(res.headers.get("etag"), `"${original.oid}"`);
      const text = await res.text();
      assert.equal(text, '{"model_type":"evil"}\n');
      assert.notEqual(gitSha1(text), original.oid);
    } finally {
      hub.untamper(REPO, "config.json");
    }
  });

  it("moveBranch / moveTag: refs, repo info and X-Repo-Commit follow; the old commit stays resolvable", async () => {
    const repo = "acme/semver-model";
    const main = hub.resolve(repo, "main");
    const v1 = hub.resolve(repo, "v1.0.0");
    hub.moveBranch(repo, "main", v1);
    try {
      const info = await modelInfo({ name: repo, hubUrl: hub.url, additionalFields: ["sha"] });
      assert.equal(info.sha, v1);
      const res = await fetch(`${hub.url}/${repo}/resolve/main/config.json`);
      assert.equal(res.headers.get("x-repo-commit"), v1);
      assert.equal((await get(`${hub.url}/api/models/${repo}/revision/${main}`)).status, 200);
    } finally {
      hub.moveBranch(repo, "main", main);
    }
    const v123 = hub.resolve(repo, "v1.2.3");
    hub.moveTag(repo, "v1.2.3", v1);
    try {
      const refs = await json<{ tags: Array<{ name: string; targetCommit: string }> }>(
        await get(`${hub.url}/api/models/${repo}/refs`),
      );
      assert.equal(refs.tags.find((t) => t.name === "v1.2.3")?.targetCommit, v1);
    } finally {
      hub.moveTag(repo, "v1.2.3", v123);
    }
    assert.throws(() => hub.moveBranch(repo, "main", "f".repeat(40)), /no commit/);
  });

  it("pushCommit: a new commit on a branch with computed ids; listings see the new content", async () => {
    const repo = "acme/pickle-bert";
    const before = hub.resolve(repo, "main");
    const id = hub.pushCommit(repo, {
      branch: "main",
      message: "Replace vocab",
      files: { "vocab.txt": "[PAD]\n[UNK]\n", "extra/notes.md": "new\n" },
    });
    assert.match(id, /^[0-9a-f]{40}$/);
    assert.equal(hub.resolve(repo, "main"), id);
    assert.deepEqual(hub.history(repo, "main").slice(0, 2), [id, before]);
    const paths: string[] = [];
    for await (const f of listFiles({ repo, hubUrl: hub.url, recursive: true, revision: id }))
      paths.push(f.path);
    assert.ok(paths.includes("extra/notes.md"));
    const vocab = await fetch(`${hub.url}/${repo}/resolve/${id}/vocab.txt`);
    assert.equal(vocab.headers.get("etag"), `"${gitSha1("[PAD]\n[UNK]\n")}"`);
  });

  it("removeCommit: a pinned commit vanishes (RevisionNotFound everywhere); refuses while a ref points at it", async () => {
    const repo = "acme/multi-branch";
    const [, , base] = hub.history(repo, "main");
    assert.throws(() => hub.removeCommit(repo, hub.resolve(repo, "dev")), /still point/);
    hub.removeCommit(repo, base!);
    for (const url of [
      `${hub.url}/api/models/${repo}/revision/${base}`,
      `${hub.url}/api/models/${repo}/tree/${base}`,
      `${hub.url}/${repo}/resolve/${base}/config.json`,
      `${hub.url}/api/models/${repo}/commits/${base}`,
    ]) {
      const res = await get(url);
      assert.equal(res.status, 404, url);
      assert.equal(res.headers.get("x-error-code"), "RevisionNotFound", url);
    }
    assert.equal((await get(`${hub.url}/api/models/${repo}/revision/main`)).status, 200);
  });

  it("superSquash: one new root commit with the same files; old pins vanish unless a tag still reaches them", async () => {
    const repo = "acme/semver-model";
    const oldMain = hub.resolve(repo, "main");
    const oldTree = await json<TreeItem[]>(
      await get(`${hub.url}/api/models/${repo}/tree/${oldMain}?recursive=true`),
    );
    const squashed = hub.superSquash(repo, "main");
    assert.deepEqual(hub.history(repo, "main"), [squashed]);
    const newTree = await json<TreeItem[]>(
      await get(`${hub.url}/api/models/${repo}/tree/main?recursive=true`),
    );
    assert.deepEqual(newTree, oldTree);
    assert.equal(
      (await get(`${hub.url}/api/models/${repo}/revision/${oldMain}`)).headers.get("x-error-code"),
      "RevisionNotFound",
    );
    assert.equal(
      (await get(`${hub.url}/api/models/${repo}/revision/v2.0.0`)).status,
      200,
      "tags keep their commits",
    );
  });
});

describe("resetKnobs", () => {
  it("empties every rule list in place and restores every scalar knob", async () => {
    const hub = await startFixtureHub({ pageSize: 4 });
    try {
      const lists = [
        hub.knobs.rateLimit,
        hub.knobs.serverError,
        hub.knobs.truncate,
        hub.knobs.reset,
        hub.knobs.foreignRedirect,
      ];
      for (const list of lists) list.push({ times: 3 });
      hub.knobs.pageSize = 1;
      hub.knobs.resolveCacheRedirect = false;
      hub.knobs.xet = true;
      hub.resetKnobs();
      for (const list of lists) assert.equal(list.length, 0);
      assert.equal(hub.knobs.rateLimit, lists[0], "same array object");
      assert.equal(hub.knobs.pageSize, 4);
      assert.equal(hub.knobs.resolveCacheRedirect, true);
      assert.equal(hub.knobs.xet, false);
    } finally {
      await hub.close();
    }
  });
});

describe("resetRepos", () => {
  it("undoes every mutation and tampering", async () => {
    const hub = await startFixtureHub();
    try {
      const repo = "acme/semver-model";
      const main = hub.resolve(repo, "main");
      const v1 = hub.resolve(repo, "v1.0.0");
      hub.moveBranch(repo, "main", v1);
      const pushed = hub.pushCommit(repo, {
        branch: "main",
        message: "x",
        files: { "x.txt": "x" },
      });
      hub.superSquash(repo, "main");
      hub.tamper(repo, "config.json");
      hub.resetRepos();
      assert.equal(hub.resolve(repo, "main"), main);
      assert.equal(hub.resolve(repo, "v1.0.0"), v1);
      assert.throws(() => hub.resolve(repo, pushed));
      const res = await fetch(`${hub.url}/${repo}/resolve/main/config.json`);
      assert.equal(
        gitSha1(Buffer.from(await res.arrayBuffer())),
        hub.file(repo, "main", "config.json").oid,
      );
    } finally {
      await hub.close();
    }
  });
});

describe("lifecycle", () => {
  it("close() is idempotent, frees the listening sockets and refuses later connections", async () => {
    const listeners = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;
    const baseline = listeners();
    const hub = await startFixtureHub();
    assert.equal(listeners(), baseline + 3, "hub, CDN and foreign origins");
    await (await fetch(`${hub.url}/api/models/${REPO}`)).arrayBuffer();
    await (await fetch(`${hub.url}/${REPO}/resolve/main/model.safetensors`)).arrayBuffer();
    await Promise.all([hub.close(), hub.close()]);
    await hub.close();
    assert.equal(listeners(), baseline);
    await assert.rejects(fetch(`${hub.url}/api/models/${REPO}`));
  });
});
