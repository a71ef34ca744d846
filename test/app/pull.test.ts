/**
 * `pull` against the fixture Hub, one test per fault: what is on disk afterwards is asserted
 * (blobs/, snapshots/, refs/), not only the result.
 */
import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { type PullOptions, pullModels } from "../../src/app/pull.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { HubClient } from "../../src/io/hub.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { readOrgAllowlist } from "../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { tempDir } from "../helpers/run-cli.js";

const TINY = "google-bert/fixture-tiny-bert";
const noSleep = async () => {};

describe("pull against the fixture Hub", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  const scanPolicy = loadScanPolicy();
  const organizations = readOrgAllowlist();

  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
  });
  afterEach(() => {
    hub.resetKnobs();
    dir?.cleanup();
  });

  function options(overrides: Partial<PullOptions> & { token?: string } = {}): PullOptions {
    dir = tempDir();
    const client = new HubClient({ hubUrl: hub.url, token: overrides.token }, { sleep: noSleep });
    return {
      client,
      cacheDir: dir.path,
      models: [{ repo: TINY, ref: undefined, include: [], exclude: [] }],
      policy: {
        scan: scanPolicy,
        organizations,
        project: {
          organizations: { add: [{ name: "acme", reason: "fixture org" }], remove: [] },
          repos: { allow: [], deny: [] },
        },
        acceptedFindings: [],
      },
      today: "2026-11-22",
      ...overrides,
    };
  }

  const snapshot = (repo: string, commit: string) => {
    const d = new RepoCache(dir.path, repo).snapshotDir(commit);
    return existsSync(d) ? readdirSync(d).sort() : [];
  };
  const blobs = (repo: string) => {
    const d = new RepoCache(dir.path, repo).blobsDir;
    return existsSync(d) ? readdirSync(d).sort() : [];
  };

  test("a clean model lands in the huggingface_hub layout: blobs by digest, relative links, refs/main", async () => {
    const [model] = await pullModels(options());
    const commit = hub.resolve(TINY, "main");
    assert.equal(model?.commit, commit);
    assert.equal(model?.verdict, "clean");
    const cache = new RepoCache(dir.path, TINY);
    assert.equal(readFileSync(cache.refPath("main"), "utf8"), commit);
    const files = ["config.json", "model.safetensors", "tokenizer_config.json"];
    for (const path of files) {
      const f = hub.file(TINY, "main", path);
      const blobId = f.lfs ? f.sha256 : f.oid;
      const link = cache.snapshotPath(commit, path);
      assert.ok(lstatSync(link).isSymbolicLink(), `${path} is a symlink`);
      assert.equal(readlinkSync(link), `../../blobs/${blobId}`);
      assert.ok(readFileSync(link).equals(f.bytes), `${path} has the published bytes`);
    }
    assert.ok(!blobs(TINY).some((b) => b.endsWith(".incomplete")));
  });

  test("wrong bytes under the right digest: DIGEST_MISMATCH, not linked, no blob left", async () => {
    hub.tamper(TINY, "model.safetensors");
    const [model] = await pullModels(options());
    const file = model?.files.find((f) => f.path === "model.safetensors");
    assert.equal(file?.status, "mismatch");
    assert.equal(file?.scan.findings[0]?.code, "DIGEST_MISMATCH");
    assert.equal(model?.verdict, "malicious");
    const commit = hub.resolve(TINY, "main");
    assert.ok(!snapshot(TINY, commit).includes("model.safetensors"));
    assert.ok(snapshot(TINY, commit).includes("config.json"), "the other files are still linked");
    assert.ok(!blobs(TINY).includes(hub.file(TINY, "main", "model.safetensors").sha256));
    assert.ok(!blobs(TINY).some((b) => b.endsWith(".incomplete")));
    hub.untamper(TINY, "model.safetensors");
  });

  test("a body cut short once is retried and the file verifies", async () => {
    hub.knobs.truncate.push({ route: "model.safetensors", times: 1, afterBytes: 100 });
    const [model] = await pullModels(options());
    assert.equal(model?.verdict, "clean");
    assert.ok(
      hub.requests.some((r) => r.fault === "truncate"),
      "the body was cut",
    );
    assert.ok(!blobs(TINY).some((b) => b.endsWith(".incomplete")));
  });

  test("a partial .incomplete from an earlier pull is not adopted: the file is fetched whole", async () => {
    // Resuming is only from a partial file this download created (io/download.ts): one left in
    // the cache may be the official client's, still being written, or an attacker's.
    const opts = options();
    const f = hub.file(TINY, "main", "model.safetensors");
    const cache = new RepoCache(dir.path, TINY);
    mkdirSync(cache.blobsDir, { recursive: true });
    const left = join(cache.blobsDir, `${f.sha256}.0badcafe.incomplete`);
    writeFileSync(left, f.bytes.subarray(0, 100));
    const [model] = await pullModels(opts);
    assert.equal(model?.verdict, "clean");
    assert.ok(
      !hub.requests.some((r) => r.headers.range !== undefined),
      "no range request: nothing foreign was resumed",
    );
    assert.deepEqual(
      blobs(TINY).filter((b) => b.endsWith(".incomplete")),
      [`${f.sha256}.0badcafe.incomplete`],
      "the partial file someone else left is not touched",
    );
    assert.ok(readFileSync(cache.blobPath(f.sha256)).equals(f.bytes));
  });

  test("a connection reset mid-file is retried and the file verifies", async () => {
    hub.knobs.reset.push({ route: "model.safetensors", origin: "cdn", times: 1, afterBytes: 200 });
    const [model] = await pullModels(options());
    assert.equal(model?.verdict, "clean");
    assert.ok(
      hub.requests.some((r) => r.fault === "reset"),
      "the reset happened",
    );
    assert.ok(!blobs(TINY).some((b) => b.endsWith(".incomplete")));
  });

  test("a transfer interrupted on every attempt fails and leaves no partial file; the next pull starts over", async () => {
    hub.knobs.truncate.push({
      route: "model.safetensors",
      origin: "cdn",
      times: 100,
      afterBytes: 64,
    });
    const opts = options();
    await assert.rejects(pullModels(opts), /failed after \d+ attempts/);
    const commit = hub.resolve(TINY, "main");
    assert.ok(!snapshot(TINY, commit).includes("model.safetensors"));
    assert.deepEqual(
      blobs(TINY).filter((b) => b.endsWith(".incomplete")),
      [],
      "nothing partial outlives the run",
    );
    hub.resetKnobs();
    const before = hub.requests.length;
    const [model] = await pullModels({
      ...opts,
      client: new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: noSleep }),
    });
    assert.equal(model?.verdict, "clean");
    const ranges = hub.requests.slice(before).map((r) => r.headers.range);
    assert.ok(!ranges.some((r) => r !== undefined), "started over");
    assert.ok(!blobs(TINY).some((b) => b.endsWith(".incomplete")));
    assert.ok(snapshot(TINY, commit).includes("model.safetensors"));
  });

  test("429 and 5xx on the API are retried", async () => {
    hub.knobs.rateLimit.push({ route: "/api/models/", times: 1, retryAfter: 1 });
    hub.knobs.serverError.push({ route: "/tree/", times: 2, status: 503 });
    const [model] = await pullModels(options());
    assert.equal(model?.verdict, "clean");
    assert.ok(hub.requests.some((r) => r.status === 429));
    assert.ok(hub.requests.filter((r) => r.status === 503).length >= 2);
  });

  test("a blocked file is never linked and its blob is removed", async () => {
    const opts = options({
      models: [{ repo: "acme/malicious-pickle", ref: undefined, include: [], exclude: [] }],
    });
    const [model] = await pullModels(opts);
    assert.equal(model?.verdict, "malicious");
    const commit = hub.resolve("acme/malicious-pickle", "main");
    const linked = snapshot("acme/malicious-pickle", commit);
    assert.ok(!linked.includes("pytorch_model.bin"));
    const evil = hub.file("acme/malicious-pickle", "main", "pytorch_model.bin");
    assert.ok(!blobs("acme/malicious-pickle").includes(evil.lfs ? evil.sha256 : evil.oid));
    assert.ok(linked.includes("config.json"));
  });

  test("a model outside the allowlist is not downloaded at all", async () => {
    const opts = options({
      models: [{ repo: "sketchy-org/free-gpt-turbo", ref: undefined, include: [], exclude: [] }],
    });
    const start = hub.requests.length;
    const [model] = await pullModels(opts);
    assert.equal(model?.findings[0]?.code, "POLICY_DENIED");
    assert.equal(hub.requests.length, start, "no request reached the Hub");
    assert.ok(!existsSync(join(dir.path, "models--sketchy-org--free-gpt-turbo")));
  });

  test("a cross-origin redirect does not receive the token", async () => {
    hub.knobs.foreignRedirect.push({ route: "config.json", times: 1 });
    const token = Object.keys(hub.tokens)[0]!;
    await pullModels(options({ token }));
    const foreign = hub.requests.filter((r) => r.origin === "foreign");
    assert.ok(foreign.length > 0, "the redirect was followed");
    assert.ok(foreign.every((r) => r.headers.authorization === undefined));
    assert.ok(
      hub.requests.some((r) => r.origin === "hub" && r.headers.authorization === `Bearer ${token}`),
    );
  });

  test("include/exclude globs choose the files", async () => {
    const opts = options({
      models: [
        { repo: TINY, ref: undefined, include: ["*.json"], exclude: ["tokenizer_config.json"] },
      ],
    });
    const [model] = await pullModels(opts);
    assert.deepEqual(
      model?.files.map((f) => f.path),
      ["config.json"],
    );
  });
});
