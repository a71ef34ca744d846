/**
 * `verify-cache` against a snapshot that `pull` wrote from the fixture Hub, then damaged on disk
 * one way per test: each check names the file and the kind of damage, online (against the Hub's
 * tree) and offline (each blob against its own name), and the CLI's exit code follows.
 */
import assert from "node:assert/strict";
import {
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { pullModels } from "../../src/app/pull.js";
import { type SnapshotCheck, verifyCache } from "../../src/app/verify-cache.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { HubClient } from "../../src/io/hub.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { readOrgAllowlist } from "../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const TINY = "google-bert/fixture-tiny-bert";
const noSleep = async () => {};

describe("verify-cache on a pulled snapshot", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void } | undefined;
  let cache: RepoCache;
  let commit: string;
  let client: HubClient;

  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
  });
  afterEach(() => dir?.cleanup());

  /** A fresh cache holding TINY as pull leaves it. */
  async function pulled(): Promise<void> {
    dir = tempDir();
    client = new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: noSleep });
    const [model] = await pullModels({
      client,
      cacheDir: dir.path,
      models: [{ repo: TINY, ref: undefined, include: [], exclude: [] }],
      policy: {
        scan: loadScanPolicy(),
        organizations: readOrgAllowlist(),
        project: { organizations: { add: [], remove: [] }, repos: { allow: [], deny: [] } },
        acceptedFindings: [],
      },
      today: "2026-11-22",
    });
    assert.equal(model?.verdict, "clean");
    cache = new RepoCache(dir.path, TINY);
    commit = hub.resolve(TINY, "main");
  }

  const link = (path: string) => join(cache.snapshotDir(commit), path);
  const blobOf = (path: string) => join(cache.snapshotDir(commit), readlinkSync(link(path)));
  const online = () => verifyCache({ cacheDir: dir!.path, targets: [{ repo: TINY }], client });
  const offline = () => verifyCache({ cacheDir: dir!.path, targets: [{ repo: TINY }] });
  const codes = (checks: SnapshotCheck[]) =>
    checks.flatMap((c) => c.findings.map((f) => `${f.code} ${f.message.split(":")[0]}`));

  test("an untouched snapshot matches online and offline, every file re-hashed", async () => {
    await pulled();
    for (const checks of [await online(), await offline()]) {
      assert.equal(checks.length, 1);
      assert.equal(checks[0]?.commit, commit);
      assert.deepEqual(checks[0]?.findings, []);
      assert.equal(checks[0]?.checked, 4);
    }
  });

  test("a blob with one byte changed is CACHE_CORRUPT, online and offline", async () => {
    await pulled();
    const blob = blobOf("config.json");
    const bytes = readFileSync(blob);
    bytes.writeUInt8(bytes.readUInt8(0) ^ 0x20, 0);
    writeFileSync(blob, bytes);
    for (const checks of [await online(), await offline()]) {
      assert.deepEqual(codes(checks), [`CACHE_CORRUPT ${TINY}/config.json`]);
      assert.equal(checks[0]?.findings[0]?.verdict, "malicious");
    }
  });

  test("a link re-pointed at /elsewhere/blobs/<right id> holding a pickle is CACHE_CORRUPT, online and offline", async () => {
    await pulled();
    const f = hub.file(TINY, "main", "model.safetensors");
    const elsewhere = tempDir("modelvet-elsewhere-");
    try {
      const pickle = Buffer.alloc(f.size, 0x20);
      Buffer.from("cposix\nsystem\n(S'echo pwned'\ntR.", "latin1").copy(pickle);
      writeFileSync(join(elsewhere.path, f.sha256), pickle);
      unlinkSync(link("model.safetensors"));
      // The text still ends in blobs/<the right sha256>; what a loader opens is the pickle.
      const planted = join(elsewhere.path, "blobs");
      symlinkSync(elsewhere.path, planted);
      symlinkSync(join(planted, f.sha256), link("model.safetensors"));
      assert.ok(readFileSync(link("model.safetensors")).equals(pickle));
      for (const checks of [await online(), await offline()]) {
        assert.deepEqual(codes(checks), [`CACHE_CORRUPT ${TINY}/model.safetensors`]);
        assert.match(checks[0]!.findings[0]!.message, /outside this repo's blobs/);
      }
    } finally {
      elsewhere.cleanup();
    }
  });

  test("a link re-pointed at another blob of the repo is judged by that blob, not by its text", async () => {
    await pulled();
    const config = readlinkSync(link("config.json"));
    unlinkSync(link("tokenizer_config.json"));
    symlinkSync(config, link("tokenizer_config.json"));
    const on = await online();
    assert.deepEqual(codes(on), [`CACHE_CORRUPT ${TINY}/tokenizer_config.json`]);
    assert.deepEqual(await offline().then(codes), [], "offline: a real blob matching its name");
  });

  test("a snapshot folder planted as a link is CACHE_CORRUPT, online and offline", async () => {
    await pulled();
    const elsewhere = tempDir("modelvet-elsewhere-");
    try {
      const real = cache.snapshotDir(commit);
      // Links to the right blobs, in a folder outside the cache that its owner can change.
      for (const name of [
        "config.json",
        "model.safetensors",
        "tokenizer_config.json",
        ".gitattributes",
      ])
        symlinkSync(realpathSync(join(real, name)), join(elsewhere.path, name));
      rmSync(real, { recursive: true });
      symlinkSync(elsewhere.path, real);
      for (const checks of [await online(), await offline()]) {
        assert.ok(
          codes(checks).some((c) => c.startsWith("CACHE_CORRUPT")),
          JSON.stringify(codes(checks)),
        );
      }
    } finally {
      elsewhere.cleanup();
    }
  });

  test("a link removed from the snapshot is a CACHE_MISSING note online, a failure with requireComplete (offline sees only what is linked)", async () => {
    await pulled();
    unlinkSync(link("tokenizer_config.json"));
    const [check] = await online();
    assert.deepEqual(check?.missing, ["tokenizer_config.json"]);
    assert.match(
      check?.findings[0]?.message ?? "",
      /tokenizer_config\.json is at .* not in the cache \(never fetched\)/,
    );
    assert.equal(check?.findings[0]?.verdict, "clean", "absent is not corrupt");
    const [strict] = await verifyCache({
      cacheDir: dir!.path,
      targets: [{ repo: TINY }],
      client,
      requireComplete: true,
    });
    assert.equal(strict?.findings[0]?.verdict, "unscannable");
    const [seen] = await offline();
    assert.deepEqual(seen?.findings, []);
    assert.equal(seen?.checked, 3);
  });

  test("a file the Hub never published is CACHE_EXTRA online", async () => {
    await pulled();
    symlinkSync(readlinkSync(link("config.json")), link("extra.json"));
    const [check] = await online();
    assert.deepEqual(check?.extra, ["extra.json"]);
    assert.deepEqual(codes([check!]), [
      `CACHE_EXTRA ${TINY}/extra.json is in the snapshot but not in the Hub's tree at ${commit.slice(0, 12)}.`,
    ]);
  });

  test("a regular file in place of a link is judged by its bytes: it matches online, is unverifiable offline without a lock, and other bytes are CACHE_CORRUPT", async () => {
    await pulled();
    const body = readFileSync(link("config.json"));
    unlinkSync(link("config.json"));
    writeFileSync(link("config.json"), body);
    assert.deepEqual(
      (await online()).flatMap((c) => c.findings),
      [],
    );
    assert.deepEqual(
      (await offline()).flatMap((c) => c.findings.map((f) => `${f.code} ${f.verdict}`)),
      ["CACHE_UNVERIFIED unscannable"],
    );
    writeFileSync(link("config.json"), "{}");
    assert.deepEqual(
      (await online()).flatMap((c) => c.findings.map((f) => f.code)),
      ["CACHE_CORRUPT"],
    );
  });

  test("a link whose blob is gone is CACHE_MISSING, online and offline", async () => {
    await pulled();
    rmSync(blobOf("model.safetensors"));
    for (const checks of [await online(), await offline()]) {
      assert.deepEqual(codes(checks), [`CACHE_MISSING ${TINY}/model.safetensors`]);
      assert.match(
        checks[0]?.findings[0]?.message ?? "",
        /its blob [0-9a-f]{64} is not in the cache/,
      );
    }
  });

  test("a model with no snapshot is CACHE_MISSING; no target means every cached model", async () => {
    await pulled();
    const [none] = await verifyCache({ cacheDir: dir!.path, targets: [{ repo: "acme/absent" }] });
    assert.match(none?.findings[0]?.message ?? "", /acme\/absent has no snapshot/);
    const all = await verifyCache({ cacheDir: dir!.path, targets: [] });
    assert.deepEqual(
      all.map((c) => c.repo),
      [TINY],
    );
  });

  test("the command exits 0 on a matching cache and 1 once a blob is damaged", async () => {
    await pulled();
    const args = ["verify-cache", TINY, "--cache-dir", dir!.path, "--hub-url", hub.url];
    const good = await runCliInProcess(args);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /The cache matches\./);
    writeFileSync(blobOf("config.json"), "{}");
    for (const extra of [[], ["--offline"]]) {
      const bad = await runCliInProcess([...args, ...extra]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.match(bad.stdout, /CACHE_CORRUPT: google-bert\/fixture-tiny-bert\/config\.json/);
    }
  });
});
