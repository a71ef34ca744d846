/**
 * `modelvet audit`: locks written by `modelvet add` against the fixture Hub, then the Hub changes
 * (a file flagged by its scanners, the repo disabled or deleted, history squashed, a tag moved)
 * or an advisory names a model, a file or a digest. Each case checks the exit code (by severity),
 * the finding and that nothing was written.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import { parseAdvisories } from "../../src/core/advisories.js";
import { parseLockfile } from "../../src/core/lockfile.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { hubEnv, REPO_ROOT, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const TINY = "google-bert/fixture-tiny-bert";
const SEMVER = "acme/semver-model";
/** A token approved for google-bert/* (given to this test's fixture Hub only). */
const APPROVED = "hf_fixture_dana_approved_google_bert00";

interface AuditJson {
  mode: string;
  lockfiles: string[];
  models: number;
  items: {
    lockfile: string;
    model: string;
    path?: string;
    finding: { code: string; severity: string };
    advisory?: { id: string };
  }[];
  unchecked: string[];
}

test("the example advisory file in examples/ is valid", () => {
  const text = readFileSync(join(REPO_ROOT, "examples", "advisories.json"), "utf8");
  assert.equal(parseAdvisories(text, "examples/advisories.json").length, 2);
});

test("an advisory file that breaks the format is refused with the field named", () => {
  const bad = JSON.stringify({
    advisoriesVersion: "1.0.0",
    advisories: [{ id: "X-1", summary: "s", severity: "severe", affected: [{ repo: "a/b" }] }],
  });
  assert.throws(() => parseAdvisories(bad, "adv.json"), /adv\.json: .*advisories\[0\]\.severity/);
  const noTarget = JSON.stringify({
    advisoriesVersion: "1.0.0",
    advisories: [{ id: "X-1", summary: "s", severity: "low", affected: [{ paths: ["*.bin"] }] }],
  });
  assert.throws(() => parseAdvisories(noTarget, "adv.json"), /needs repo or sha256/);
});

describe("modelvet audit against the fixture Hub", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;
  const projects = ["svc-a", "svc-b"];

  before(async () => {
    hub = await startFixtureHub({
      tokens: { [APPROVED]: { user: "dana", access: ["google-bert/*"] } },
    });
    dir = tempDir();
    env = hubEnv(hub.url, dir.path);
    for (const name of projects) {
      const cwd = join(dir.path, name);
      mkdirSync(cwd);
      writeFileSync(
        join(cwd, "modelvet.json"),
        JSON.stringify({
          models: {},
          policy: { organizations: { add: [{ name: "acme", reason: "fixture organization" }] } },
        }),
      );
      const models = name === "svc-a" ? [TINY, `${SEMVER}@v1.2.0`] : [TINY];
      const add = await runCliInProcess(["add", ...models, "--quiet"], { cwd, env });
      assert.equal(add.code, 0, add.stdout + add.stderr);
    }
  });
  after(async () => {
    await hub.close();
    dir.cleanup();
  });
  afterEach(() => {
    hub.resetRepos();
  });

  const audit = (cwd: string, ...args: string[]) =>
    runCliInProcess(["audit", ...args], { cwd, env });
  const inA = (...args: string[]) => audit(join(dir.path, "svc-a"), ...args);
  const json = (stdout: string) => JSON.parse(stdout) as AuditJson;
  const lockOf = (name: string) =>
    parseLockfile(readFileSync(join(dir.path, name, "models.lock"), "utf8"));

  test("nothing known: exit 0", async () => {
    const lockBefore = readFileSync(join(dir.path, "svc-a", "models.lock"), "utf8");
    const run = await inA();
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /2 model\(s\) in 1 lock file\(s\)/);
    assert.match(run.stdout, /Nothing known against the pinned models\./);
    assert.equal(readFileSync(join(dir.path, "svc-a", "models.lock"), "utf8"), lockBefore);
  });

  test("a pinned file the Hub's scanners now flag as unsafe: critical, exit 23", async () => {
    hub.setSecurity(TINY, "model.safetensors", "unsafe");
    const run = await inA("--format", "json");
    assert.equal(run.code, 23, run.stderr);
    const items = json(run.stdout).items;
    assert.deepEqual(
      items.map((i) => [i.model, i.path, i.finding.code, i.finding.severity]),
      [[TINY, "model.safetensors", "HUB_SECURITY_STATUS", "critical"]],
    );
    const caution = await inA("--audit-level", "high");
    assert.equal(caution.code, 23);
  });

  test("a file flagged 'caution' is medium: exit 21, and 0 with --audit-level high", async () => {
    hub.setSecurity(TINY, "model.safetensors", "caution");
    assert.equal((await inA()).code, 21);
    assert.equal((await inA("--audit-level", "high")).code, 0);
  });

  test("the repo disabled on the Hub: REPO_DISABLED, exit 22", async () => {
    hub.setRepoState(TINY, { disabled: true });
    const run = await inA("--format", "json");
    assert.equal(run.code, 22, run.stderr);
    assert.deepEqual(
      json(run.stdout).items.map((i) => [i.model, i.finding.code]),
      [[TINY, "REPO_DISABLED"]],
    );
  });

  test("the repo deleted: REPO_UNAVAILABLE, exit 22", async () => {
    hub.setRepoState(TINY, { deleted: true });
    const run = await inA("--format", "json");
    assert.equal(run.code, 22, run.stderr);
    assert.deepEqual(
      json(run.stdout).items.map((i) => [i.model, i.finding.code]),
      [[TINY, "REPO_UNAVAILABLE"]],
    );
  });

  test("history squashed under the pin: REVISION_GONE; a moved tag: TAG_MOVED", async () => {
    hub.superSquash(TINY, "main");
    const moved = hub.resolve(SEMVER, "v2.0.0");
    hub.moveTag(SEMVER, "v1.2.0", moved);
    const run = await inA("--format", "json");
    assert.equal(run.code, 22, run.stderr);
    assert.deepEqual(
      json(run.stdout)
        .items.map((i) => `${i.model} ${i.finding.code}`)
        .sort(),
      [`${SEMVER} TAG_MOVED`, `${TINY} REVISION_GONE`],
    );
  });

  test("a repo gated now: without access it cannot be checked (low, exit 20); with access, information only (exit 0)", async () => {
    hub.setRepoState(TINY, { gated: "manual" });
    const run = await inA("--format", "json");
    assert.equal(run.code, 20, run.stderr);
    assert.deepEqual(
      json(run.stdout).items.map((i) => [i.finding.code, i.finding.severity]),
      [["REPO_GATED", "low"]],
    );
    // An approved token reads it: the pin is checked and the gate is only worth knowing.
    const approved = await runCliInProcess(["audit", "--format", "json"], {
      cwd: join(dir.path, "svc-b"),
      env: { ...env, HF_TOKEN: APPROVED },
    });
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual(
      json(approved.stdout).items.map((i) => [i.finding.code, i.finding.severity]),
      [["REPO_GATED", "info"]],
    );
  });

  test("advisories across every lock file of a checkout: by repo+path and by digest under another name", async () => {
    const tiny = lockOf("svc-b").models[TINY]!;
    const weights = tiny.files["model.safetensors"]!;
    const advisories = join(dir.path, "advisories.json");
    writeFileSync(
      advisories,
      JSON.stringify({
        advisoriesVersion: "1.0.0",
        advisories: [
          {
            id: "MVSA-TEST-1",
            summary: "bad config",
            severity: "medium",
            references: [{ type: "WEB", url: "https://example.org/mvsa-test-1" }],
            affected: [{ repo: TINY, commits: [tiny.revision], paths: ["config.json"] }],
          },
          {
            id: "MVSA-TEST-2",
            summary: "known-bad weights re-uploaded",
            severity: "high",
            affected: [{ sha256: [weights.sha256] }],
          },
          {
            id: "MVSA-TEST-3",
            summary: "another commit only",
            severity: "critical",
            affected: [{ repo: TINY, commits: ["0".repeat(40)] }],
          },
        ],
      }),
    );
    const requestsBefore = hub.requests.length;
    const run = await audit(
      dir.path,
      "--offline",
      "--lockfile",
      "**/models.lock",
      "--advisories",
      advisories,
      "--format",
      "json",
    );
    assert.equal(run.code, 22, run.stdout + run.stderr);
    assert.equal(hub.requests.length, requestsBefore, "offline: nothing fetched");
    const result = json(run.stdout);
    assert.equal(result.mode, "offline");
    assert.deepEqual(result.lockfiles, ["svc-a/models.lock", "svc-b/models.lock"]);
    const seen = result.items
      .map((i) => `${i.lockfile} ${i.model}/${i.path} ${i.advisory?.id} ${i.finding.severity}`)
      .sort();
    assert.deepEqual(seen, [
      `svc-a/models.lock ${TINY}/config.json MVSA-TEST-1 medium`,
      `svc-a/models.lock ${TINY}/model.safetensors MVSA-TEST-2 high`,
      `svc-b/models.lock ${TINY}/config.json MVSA-TEST-1 medium`,
      `svc-b/models.lock ${TINY}/model.safetensors MVSA-TEST-2 high`,
    ]);
    const text = await audit(
      dir.path,
      "--offline",
      "--lockfile",
      "**/models.lock",
      "--advisories",
      advisories,
    );
    assert.equal(text.code, 22);
    assert.match(text.stdout, /https:\/\/example\.org\/mvsa-test-1/);
    assert.match(text.stdout, /4 finding\(s\): 2 high, 2 medium\./);
    const sarif = await audit(
      dir.path,
      "--offline",
      "--lockfile",
      "svc-b/models.lock",
      "--advisories",
      advisories,
      "--format",
      "sarif",
    );
    assert.equal(sarif.code, 22);
    const log = JSON.parse(sarif.stdout) as {
      runs: {
        results: {
          ruleId: string;
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } };
          }[];
        }[];
      }[];
    };
    const results = log.runs[0]!.results;
    assert.equal(results.length, 2);
    for (const r of results) {
      assert.equal(r.ruleId, "ADVISORY_MATCH");
      assert.equal(r.locations[0]!.physicalLocation.artifactLocation.uri, "svc-b/models.lock");
      assert.ok((r.locations[0]!.physicalLocation.region?.startLine ?? 0) > 1);
    }
  });

  test("bad input: offline without advisories, a glob that matches nothing, a broken advisory file (exit 2)", async () => {
    const none = await inA("--offline");
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give --advisories/);
    const glob = await audit(dir.path, "--lockfile", "nowhere/**/models.lock");
    assert.equal(glob.code, 2);
    assert.match(glob.stderr, /No file below .* matches "nowhere\/\*\*\/models\.lock"/);
    const broken = join(dir.path, "broken.json");
    writeFileSync(broken, '{"advisoriesVersion":"1.0.0","advisories":[{"id":"A"}]}');
    const bad = await inA("--offline", "--advisories", broken);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /broken\.json: not an advisory file: advisories\[0\]/);
  });

  test("a Hub that cannot answer leaves the model unchecked: exit 3, never 0", async () => {
    // Every API call is rate-limited for an hour, longer than the client ever waits, so the first
    // answer is final. (A Hub that does not answer at all ends the same way, after the client's
    // half a minute of retries: test/io/fetch.test.ts covers that path with an injected sleep, and
    // audit leaves a model "not checked" on either, as on any Hub error it has no finding for.)
    hub.knobs.rateLimit.push({ route: "/api/", times: 1_000, retryAfter: 3_600 });
    try {
      const run = await runCliInProcess(["audit"], { cwd: join(dir.path, "svc-b"), env });
      assert.equal(run.code, 3, run.stdout + run.stderr);
      assert.match(run.stdout, /not checked: models\.lock: google-bert\/fixture-tiny-bert/);
    } finally {
      hub.resetKnobs();
    }
  });
});
