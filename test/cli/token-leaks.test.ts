/**
 * The built CLI against a hostile fixture Hub (issue #14 items 1 and 9): whatever the Hub does
 * with the token it receives, the token never shows up on stdout, stderr or in a JSON report, and
 * never reaches another origin.
 *
 * - A tree that echoes the token into a file name is a Hub protocol error (exit 3): the file is
 *   not downloaded, linked or printed.
 * - A tree page whose `next` link points at another origin is a Hub protocol error (exit 3)
 *   naming both origins; the other origin receives no request.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { type Origin, serve } from "../helpers/http-origin.js";
import { runCli, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const ALICE = "hf_fixture_alice_0000000000000000000000";
const REPO = "google-bert/fixture-tiny-bert";

describe("the token never leaves through output or pagination", () => {
  let hub: FixtureHub;
  let other: Origin;
  let dir: { path: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;
  const received: Array<{ url: string; authorization: string | undefined }> = [];

  before(async () => {
    hub = await startFixtureHub();
    other = await serve();
    other.handle.current = (req: IncomingMessage, res) => {
      received.push({ url: req.url ?? "", authorization: req.headers.authorization });
      res.writeHead(200, { "Content-Type": "application/json" }).end("[]");
    };
  });
  after(async () => {
    await hub.close();
    other.server.closeAllConnections();
    other.server.close();
  });
  beforeEach(() => {
    hub.resetKnobs();
    received.length = 0;
    dir?.cleanup();
    dir = tempDir();
    env = {
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: join(dir.path, "cache"),
      HF_TOKEN: ALICE,
      HF_HOME: join(dir.path, "home"),
      CI: "true",
    };
  });
  after(() => dir?.cleanup());

  for (const format of ["text", "json"]) {
    test(`pull (${format}): a tree entry whose path holds the token is refused, and never printed`, async () => {
      hub.knobs.tokenEcho.push({ route: "/tree/", times: 5, copyOf: "config.json" });
      const r = await runCliInProcess(["pull", REPO, "--format", format], { cwd: dir.path, env });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.ok(!r.stdout.includes(ALICE), `stdout leaks the token:\n${r.stdout}`);
      assert.ok(!r.stderr.includes(ALICE), `stderr leaks the token:\n${r.stderr}`);
      assert.match(r.stderr, /token/);
      assert.match(r.stderr, /path/);
      const echoed = hub.requests.filter((q) => q.path.includes("echo-"));
      assert.deepEqual(echoed, [], "the echoed file is not requested");
    });
  }

  test("pull: a tree page whose next link points at another origin is exit 3, nothing sent there", async () => {
    hub.knobs.pageSize = 1;
    hub.knobs.nextLink.push({
      route: "/tree/",
      times: 1,
      rewrite: (honest) => `${other.url}${honest.pathname}${honest.search}`,
    });
    const r = await runCliInProcess(["pull", REPO], { cwd: dir.path, env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(other.url), r.stderr);
    assert.ok(r.stderr.includes(new URL(hub.url).origin), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.ok(!(r.stdout + r.stderr).includes(ALICE));
    assert.deepEqual(received, []);
  });

  test("pull: a malformed Location on a download is exit 3 with its own message", async () => {
    hub.knobs.redirect.push({ route: "/resolve/", times: 50, location: "http://[::1" });
    const r = await runCliInProcess(["pull", REPO], { cwd: dir.path, env });
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stderr, /malformed Location/);
    assert.doesNotMatch(r.stderr, /internal error/);
  });
});

describe("a download that trickles", () => {
  test("pull with HF_HUB_DOWNLOAD_TIMEOUT=0.3: a byte every 20 ms fails as exit 3, too slow; no partial file is left", async () => {
    const hub = await startFixtureHub();
    const dir = tempDir();
    try {
      hub.knobs.trickle.push({ route: "model.safetensors", times: 10, everyMs: 20 });
      const cache = join(dir.path, "cache");
      const r = await runCliInProcess(["pull", REPO], {
        cwd: dir.path,
        env: {
          HF_ENDPOINT: hub.url,
          HF_HUB_CACHE: cache,
          HF_TOKEN: "",
          HF_HOME: join(dir.path, "home"),
          HF_HUB_DOWNLOAD_TIMEOUT: "0.3",
        },
      });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stderr, /model\.safetensors/);
      assert.match(r.stderr, /too slow/);
      assert.doesNotMatch(r.stderr, /internal error/);
      const blobs = join(cache, "models--google-bert--fixture-tiny-bert", "blobs");
      // A run resumes only its own partial files, so one it gives up on is removed, not left to grow.
      const partial = existsSync(blobs)
        ? readdirSync(blobs).filter((n) => n.endsWith(".incomplete"))
        : [];
      assert.deepEqual(partial, []);
      assert.ok(hub.requests.some((q) => q.fault === "trickle"));
    } finally {
      await hub.close();
      dir.cleanup();
    }
  });

  test("HF_HUB_DOWNLOAD_TIMEOUT that is not a number of seconds is a usage error (exit 2)", async () => {
    const dir = tempDir();
    try {
      const r = await runCliInProcess(["pull", REPO], {
        cwd: dir.path,
        env: { HF_ENDPOINT: "http://127.0.0.1:9", HF_HUB_DOWNLOAD_TIMEOUT: "soon", HF_TOKEN: "" },
      });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, /HF_HUB_DOWNLOAD_TIMEOUT/);
    } finally {
      dir.cleanup();
    }
  });
});

describe("every printed path is masked", () => {
  test("scan: a token-shaped name is printed as hf_***, on stdout (text and json) and in --output", async () => {
    const dir = tempDir();
    try {
      const token = `hf_${"Ab1".repeat(11)}x`; // 34 letters and digits, like a real one
      const file = join(dir.path, `${token}.json`);
      writeFileSync(file, "{}\n");
      for (const format of ["text", "json"]) {
        const r = await runCli(["scan", file, "--format", format], { cwd: dir.path });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.ok(!(r.stdout + r.stderr).includes(token), r.stdout + r.stderr);
        assert.match(r.stdout, /hf_\*\*\*\.json/);
      }
      const out = join(dir.path, "report.json");
      const r = await runCli(["scan", file, "--format", "json", "--output", out], {
        cwd: dir.path,
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(!readFileSync(out, "utf8").includes(token));
      JSON.parse(readFileSync(out, "utf8")); // still valid JSON
    } finally {
      dir.cleanup();
    }
  });
});
