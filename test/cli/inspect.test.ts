/**
 * `modelvet inspect` as a user runs it: the built bin against the fixture Hub, checking exit
 * codes, the JSON shape, --output, --config, and that the token appears in no output at all.
 * (`npm test` builds before running tests; run `npm run build` first when running this alone.)
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const ALICE = "hf_fixture_alice_0000000000000000000000";
const BOB = "hf_fixture_bob_00000000000000000000000000";
const CAROL = "hf_fixture_carol_approved_gated_only0000";

let hub: FixtureHub;
const env = () => ({
  HF_TOKEN: "",
  HF_ENDPOINT: "",
  HF_HOME: "/nonexistent-modelvet-test",
  HF_HUB_OFFLINE: "",
});

before(async () => {
  hub = await startFixtureHub();
});
after(async () => {
  await hub.close();
});
beforeEach(() => {
  hub.resetKnobs();
});

function inspect(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  return runCliInProcess(["inspect", ...args, "--hub-url", hub.url], {
    env: { ...env(), ...options.env },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
}

function assertNoToken(token: string, ...outputs: string[]) {
  for (const out of outputs) {
    assert.ok(!out.includes(token), `token leaked in: ${out.slice(0, 300)}`);
    assert.ok(!out.includes(token.slice(3)), "token body leaked");
  }
}

describe("modelvet inspect (built CLI)", () => {
  it("exits 0 for an allowed clean model and prints the commit and policy rule", async () => {
    const r = await inspect(["google-bert/fixture-tiny-bert"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(hub.resolve("google-bert/fixture-tiny-bert", "main")));
    assert.match(r.stdout, /allowed by default:org google-bert/);
    assert.match(r.stdout, /Nothing blocks/);
  });

  it("exits 1 for a non-allowlisted org; JSON carries the decision and finding", async () => {
    const denied = await inspect(["sketchy-org/free-gpt-turbo", "--format", "json"]);
    assert.equal(denied.code, 1);
    const report = JSON.parse(denied.stdout);
    assert.equal(report.models[0].policy.rule, "default:not listed");
    assert.ok(report.models[0].findings.some((f: { code: string }) => f.code === "POLICY_DENIED"));
    assert.equal(report.summary.blocked, 1);
  });

  it("reads policy overrides from --config and from modelvet.json in the current folder", async () => {
    const dir = tempDir();
    try {
      const config = join(dir.path, "modelvet.json");
      writeFileSync(
        config,
        JSON.stringify({
          policy: { organizations: { add: [{ name: "acme", reason: "fixture org" }] } },
        }),
      );
      const viaFlag = await inspect(["acme/tiny-safetensors", "--config", config]);
      assert.equal(viaFlag.code, 0, viaFlag.stdout + viaFlag.stderr);
      assert.match(viaFlag.stdout, /allowed by project:add org acme: fixture org/);
      const viaCwd = await inspect(["acme/pickle-bert"], { cwd: dir.path });
      assert.equal(viaCwd.code, 1);
      assert.match(viaCwd.stdout, /FORMAT_RISKY/);
      const excluded = await inspect(["acme/pickle-bert", "--exclude", "*.bin"], { cwd: dir.path });
      assert.equal(excluded.code, 0, excluded.stdout);
      writeFileSync(config, JSON.stringify({ policy: { repos: { deny: [{ repo: "a/b" }] } } }));
      const bad = await inspect(["acme/tiny-safetensors", "--config", config]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /modelvet\.json: policy\.repos\.deny\[0\]\.reason/);
      const missing = await inspect([
        "acme/tiny-safetensors",
        "--config",
        join(dir.path, "nope.json"),
      ]);
      assert.equal(missing.code, 2);
    } finally {
      dir.cleanup();
    }
  });

  it("exits 3 for gated, private and missing models, saying what to do", async () => {
    const gated = await inspect(["acme/gated-model"]);
    assert.equal(gated.code, 3);
    assert.match(gated.stderr, /accept the conditions at .*acme\/gated-model and pass a token/);
    const priv = await inspect(["acme/private-model"]);
    assert.equal(priv.code, 3);
    assert.match(priv.stderr, /private/);
    const disabled = await inspect(["acme/disabled-model", "--token", ALICE]);
    assert.equal(disabled.code, 3);
    assert.match(disabled.stderr, /disabled/);
  });

  it("exits 2 for a malformed model reference", async () => {
    const r = await inspect(["not-a-ref"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /org\/name/);
  });

  it("never shows the token: flag, HF_TOKEN or token file, in stdout, stderr, JSON or --output", async () => {
    const dir = tempDir();
    try {
      const output = join(dir.path, "report.json");
      const config = join(dir.path, "modelvet.json");
      writeFileSync(
        config,
        JSON.stringify({ policy: { organizations: { add: [{ name: "acme", reason: "x" }] } } }),
      );
      hub.knobs.rateLimit.push({ route: "/revision/", times: 1, retryAfter: 0 });
      const runs = [
        await inspect([
          "acme/gated-model",
          "acme/private-model",
          "--token",
          BOB,
          "--config",
          config,
        ]),
        await inspect(
          ["acme/gated-model", "--format", "json", "--output", output, "--config", config],
          { env: { HF_TOKEN: CAROL } },
        ),
        await inspect(
          ["acme/private-model", "acme/nothing", "--format", "json", "--config", config],
          { env: { HF_TOKEN: ALICE } },
        ),
      ];
      assert.deepEqual(
        runs.map((r) => r.code),
        [3, 0, 3],
      );
      assert.match(runs[0]!.stderr, /not been granted access/);
      assert.equal(JSON.parse(readFileSync(output, "utf8")).models[0].gated, "manual");
      for (const r of runs) assertNoToken(BOB, r.stdout, r.stderr);
      assertNoToken(CAROL, runs[1]!.stdout, runs[1]!.stderr, readFileSync(output, "utf8"));
      assertNoToken(ALICE, runs[2]!.stdout, runs[2]!.stderr);

      const tokenFile = join(dir.path, "token");
      writeFileSync(tokenFile, `${ALICE}\n`);
      const fromFile = await inspect(["acme/private-model", "--config", config], {
        env: { HF_TOKEN_PATH: tokenFile },
      });
      assert.equal(fromFile.code, 0, fromFile.stderr);
      assertNoToken(ALICE, fromFile.stdout, fromFile.stderr);

      const bad = await inspect([
        "acme/tiny-safetensors",
        "--token",
        "hf_not_a_known_token_123456",
      ]);
      assert.equal(bad.code, 3);
      assert.match(bad.stderr, /rejected your token/);
      assertNoToken("hf_not_a_known_token_123456", bad.stdout, bad.stderr);
    } finally {
      dir.cleanup();
    }
  });

  it("requests no weight file (LFS or pickle) while inspecting", async () => {
    hub.requests.length = 0;
    const r = await inspect(["acme/malicious-pickle", "acme/tiny-safetensors", "--format", "json"]);
    assert.equal(r.code, 1);
    const content = hub.requests.filter(
      (q) => q.origin !== "hub" || /\/(resolve|raw|resolve-cache)\//.test(q.path),
    );
    assert.ok(content.length > 0, "config files were read");
    for (const q of content) {
      assert.equal(q.origin, "hub", `${q.origin} ${q.path}`);
      assert.match(q.path, /\/config\.json$/, q.path);
    }
  });
});
