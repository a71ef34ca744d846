/**
 * `inspectModels` against the fixture Hub with the shipped organization allowlist: metadata-only
 * reports for public, gated, private, missing, disallowed, pickle and custom-code models, refs of
 * every kind, faults, and proof that no weight file is ever requested.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import {
  type InspectEvent,
  type InspectReport,
  inspectModels,
  type ModelInspection,
} from "../../src/app/inspect.js";
import { UsageError } from "../../src/core/errors.js";
import type { OrgAllowlist } from "../../src/core/org-policy.js";
import { EMPTY_PROJECT_POLICY, type ProjectPolicy } from "../../src/core/project-policy.js";
import { HubClient } from "../../src/io/hub.js";
import { readOrgAllowlist } from "../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";

const ALICE = "hf_fixture_alice_0000000000000000000000";
const CAROL = "hf_fixture_carol_approved_gated_only0000";
const ACME: ProjectPolicy = {
  organizations: { add: [{ name: "acme", reason: "our own fixture org" }], remove: [] },
  repos: { allow: [], deny: [] },
};

let hub: FixtureHub;
let allowlist: OrgAllowlist;

before(async () => {
  hub = await startFixtureHub();
  allowlist = readOrgAllowlist();
});
after(async () => {
  await hub.close();
});
beforeEach(() => {
  hub.resetKnobs();
  hub.requests.length = 0;
});

async function inspect(
  refs: string[],
  options: {
    token?: string;
    policy?: ProjectPolicy;
    include?: string[];
    exclude?: string[];
    events?: InspectEvent[];
  } = {},
): Promise<InspectReport> {
  const client = new HubClient(
    { hubUrl: hub.url, token: options.token },
    { sleep: async () => {} },
  );
  return inspectModels({
    refs,
    client,
    orgAllowlist: allowlist,
    projectPolicy: options.policy ?? EMPTY_PROJECT_POLICY,
    include: options.include ?? [],
    exclude: options.exclude ?? [],
    onEvent: (e) => options.events?.push(e),
  });
}

async function one(
  ref: string,
  options: Parameters<typeof inspect>[1] = {},
): Promise<ModelInspection> {
  const report = await inspect([ref], options);
  assert.equal(report.models.length, 1);
  return report.models[0]!;
}

const codes = (m: ModelInspection) =>
  [...m.findings, ...m.files.flatMap((f) => f.findings)].map((f) => f.code);

/** Requests that carried file content: any CDN hit, or a resolve of anything but a small config. */
function weightRequests(): string[] {
  return hub.requests
    .filter((r) => r.origin !== "hub" || /\/(resolve|raw|resolve-cache)\//.test(r.path))
    .map((r) => `${r.origin} ${r.method} ${r.path}`)
    .filter(
      (line) =>
        !/\/(config|tokenizer_config|modules|processor_config|preprocessor_config)\.json$/.test(
          line,
        ),
    );
}

describe("inspect: allowed public model", () => {
  it("reports commit, policy, access, digests and formats from metadata, and downloads no weights", async () => {
    const events: InspectEvent[] = [];
    const m = await one("google-bert/fixture-tiny-bert", { events });
    const commit = hub.resolve("google-bert/fixture-tiny-bert", "main");
    assert.equal(m.revision?.commit, commit);
    assert.deepEqual(m.policy, {
      allowed: true,
      rule: "default:org google-bert",
      reason: "Google's canonical namespace for the original BERT checkpoints",
    });
    assert.deepEqual([m.gated, m.private, m.verdict, m.error], [false, false, "clean", undefined]);
    const weights = m.files.find((f) => f.path === "model.safetensors")!;
    const truth = hub.file("google-bert/fixture-tiny-bert", commit, "model.safetensors");
    assert.deepEqual(weights.digest, { algorithm: "sha256", value: truth.sha256 });
    assert.deepEqual([weights.format, weights.risk, weights.lfs], ["safetensors", "safe", true]);
    const config = m.files.find((f) => f.path === "config.json")!;
    assert.deepEqual(config.digest, {
      algorithm: "git-sha1",
      value: hub.file("google-bert/fixture-tiny-bert", commit, "config.json").oid,
    });
    assert.deepEqual(m.customCode.configFiles, ["config.json", "tokenizer_config.json"]);
    assert.equal(m.hubSecurity?.available, true);
    assert.ok(codes(m).includes("HUB_SECURITY_STATUS"));
    assert.deepEqual(weightRequests(), []);
    assert.deepEqual(
      events.map((e) => e.type),
      ["model-start", "resolved", "listed", "model-done"],
    );
  });
});

describe("the weight-request detector used above", () => {
  it("does see a request for a weight file (so its empty result means something)", async () => {
    const client = new HubClient({ hubUrl: hub.url, token: undefined });
    const commit = hub.resolve("acme/tiny-safetensors", "main");
    await client.fetchDownloadInfo("acme/tiny-safetensors", commit, "model.safetensors");
    assert.ok(weightRequests().length > 0);
    hub.requests.length = 0;
    const file = (await client.listRepoFiles("acme/tiny-safetensors", commit)).find(
      (f) => f.path === "README.md",
    )!;
    await client.fetchVerifiedFile("acme/tiny-safetensors", commit, file);
    assert.ok(weightRequests().some((r) => r.includes("README.md")));
  });
});

describe("inspect: organization policy", () => {
  it("denies a non-allowlisted org with a blocking finding, keeping every other fact", async () => {
    const m = await one("sketchy-org/free-gpt-turbo");
    assert.equal(m.policy.allowed, false);
    assert.equal(m.policy.rule, "default:not listed");
    assert.deepEqual(
      codes(m).filter((c) => c !== "HUB_SECURITY_STATUS"),
      ["POLICY_DENIED"],
    );
    assert.equal(m.verdict, "suspicious");
    assert.ok(m.revision !== undefined && m.files.length === 3, "still inspected");
  });

  it("follows project overrides: repo allow, then repo deny over an allowlisted org", async () => {
    const allow: ProjectPolicy = {
      ...EMPTY_PROJECT_POLICY,
      repos: { allow: [{ repo: "sketchy-org/free-gpt-turbo", reason: "reviewed" }], deny: [] },
    };
    const allowed = await one("sketchy-org/free-gpt-turbo", { policy: allow });
    assert.deepEqual(
      [allowed.policy.rule, allowed.verdict],
      ["project:allow repo sketchy-org/free-gpt-turbo", "clean"],
    );
    const deny: ProjectPolicy = {
      ...EMPTY_PROJECT_POLICY,
      repos: { allow: [], deny: [{ repo: "google-bert/fixture-tiny-bert", reason: "license" }] },
    };
    const denied = await one("google-bert/fixture-tiny-bert", { policy: deny });
    assert.deepEqual(
      [denied.policy.rule, denied.verdict],
      ["project:deny repo google-bert/fixture-tiny-bert", "suspicious"],
    );
  });

  it("a denial never downgrades other findings (custom code stays reported)", async () => {
    const m = await one("acme/custom-code-model");
    assert.ok(codes(m).includes("POLICY_DENIED"));
    assert.ok(codes(m).includes("REMOTE_CODE"));
  });
});

describe("inspect: risky content from metadata", () => {
  it("flags pickle-based weights by name, and --exclude leaves them out", async () => {
    const m = await one("acme/pickle-bert", { policy: ACME });
    const bin = m.files.find((f) => f.path === "pytorch_model.bin")!;
    assert.deepEqual(
      [bin.risk, bin.verdict, bin.findings[0]?.code],
      ["pickle", "suspicious", "FORMAT_RISKY"],
    );
    assert.equal(m.verdict, "suspicious");
    const without = await one("acme/pickle-bert", { policy: ACME, exclude: ["*.bin"] });
    assert.deepEqual(without.excluded, ["pytorch_model.bin"]);
    assert.equal(without.verdict, "clean");
    assert.deepEqual(weightRequests(), []);
  });

  it("passes the Hub's per-file scan on as advisory info, never as the verdict", async () => {
    const m = await one("acme/malicious-pickle", { policy: ACME, include: ["*.json"] });
    assert.equal(
      m.verdict,
      "clean",
      "only config.json selected; the Hub's flags do not block by themselves",
    );
    assert.deepEqual(m.hubSecurity?.filesWithIssues?.map((f) => f.path).sort(), [
      "pytorch_model.bin",
      "training_args.bin",
    ]);
    const all = await one("acme/malicious-pickle", { policy: ACME });
    const bin = all.files.find((f) => f.path === "pytorch_model.bin")!;
    assert.equal(bin.hubStatus, "unsafe");
    assert.ok(bin.findings.some((f) => f.code === "HUB_SECURITY_STATUS" && f.verdict === "clean"));
    assert.ok(bin.findings.some((f) => f.code === "FORMAT_RISKY"));
  });

  it("lists custom code from auto_map after verifying config.json against its git blob id", async () => {
    const m = await one("acme/custom-code-model", { policy: ACME });
    assert.deepEqual(m.customCode.references.map((r) => r.moduleFile).sort(), [
      "configuration_tiny.py",
      "modeling_tiny.py",
    ]);
    assert.ok(codes(m).includes("REMOTE_CODE"));
    assert.equal(m.verdict, "suspicious");
    hub.tamper("acme/custom-code-model", "config.json", Buffer.from('{"auto_map":{}}\n'));
    try {
      const tampered = await one("acme/custom-code-model", { policy: ACME });
      assert.ok(
        codes(tampered).includes("SIZE_MISMATCH") || codes(tampered).includes("DIGEST_MISMATCH"),
      );
      assert.equal(tampered.verdict, "malicious");
      assert.deepEqual(tampered.customCode.references, [], "unverified bytes are not used");
    } finally {
      hub.untamper("acme/custom-code-model", "config.json");
    }
  });
});

describe("inspect: access", () => {
  it("gated without a token is an error saying where to accept the conditions; with an approved token it works", async () => {
    const anon = await one("acme/gated-model", { policy: ACME });
    assert.equal(anon.error?.code, "HUB_GATED");
    assert.match(anon.error!.message, /accept the conditions at .*acme\/gated-model/);
    const carol = await one("acme/gated-model", { policy: ACME, token: CAROL });
    assert.deepEqual([carol.error, carol.gated, carol.verdict], [undefined, "manual", "clean"]);
  });

  it("private and missing models are errors; the owner's token reads the private one", async () => {
    assert.equal((await one("acme/private-model", { policy: ACME })).error?.code, "HUB_PRIVATE");
    assert.equal((await one("acme/nothing-here", { policy: ACME })).error?.code, "HUB_PRIVATE");
    assert.equal(
      (await one("acme/nothing-here", { policy: ACME, token: ALICE })).error?.code,
      "HUB_NOT_FOUND",
    );
    const owner = await one("acme/private-model", { policy: ACME, token: ALICE });
    assert.deepEqual([owner.private, owner.verdict], [true, "clean"]);
  });

  it("keeps going after one model fails, reporting both", async () => {
    const report = await inspect(["acme/private-model", "google-bert/fixture-tiny-bert"]);
    assert.deepEqual(report.summary, { models: 2, blocked: 1, errors: 1 });
    assert.equal(report.models[1]!.verdict, "clean");
  });

  it("rejects a malformed reference before any request", async () => {
    await assert.rejects(inspect(["google-bert/fixture-tiny-bert", "gpt2"]), UsageError);
    assert.equal(hub.requests.length, 0);
  });
});

describe("inspect: refs and faults", () => {
  it("resolves tag, branch, commit, short commit and semver refs", async () => {
    const repo = "acme/semver-model";
    const tag = await one(`${repo}@v1.2.0`, { policy: ACME });
    assert.deepEqual(tag.revision?.source, { kind: "tag", name: "v1.2.0" });
    const semver = await one(`${repo}@~1.2`, { policy: ACME });
    assert.equal(semver.revision?.commit, hub.resolve(repo, "v1.2.3"));
    const commit = hub.resolve(repo, "v1.0.0");
    assert.equal((await one(`${repo}@${commit}`, { policy: ACME })).revision?.commit, commit);
    assert.equal(
      (await one(`${repo}@${commit.slice(0, 10)}`, { policy: ACME })).revision?.commit,
      commit,
    );
    assert.equal(
      (await one(`${repo}@main`, { policy: ACME })).revision?.commit,
      hub.resolve(repo, "main"),
    );
    const missing = await one(`${repo}@no-such-branch`, { policy: ACME });
    assert.equal(missing.error?.code, "HUB_REVISION_NOT_FOUND");
  });

  it("gets through 429s and 5xx on every kind of call", async () => {
    hub.knobs.rateLimit.push({ route: "/revision/", times: 1, retryAfter: 1 });
    hub.knobs.serverError.push({ route: "/tree/", times: 2 });
    hub.knobs.serverError.push({ route: "/resolve", times: 1, status: 503 });
    hub.knobs.pageSize = 2;
    const m = await one("google-bert/fixture-tiny-bert");
    assert.deepEqual([m.error, m.verdict, m.files.length], [undefined, "clean", 4]);
  });
});
