/**
 * App level: `pull` of a repo whose pytorch_model.bin is a protocol-0 pickle made only of printable
 * bytes (it used to be sniffed as text, scanned clean and linked). Served by the fixture Hub.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pullModels } from "../../../src/app/pull.js";
import { RepoCache } from "../../../src/io/cache-layout.js";
import { HubClient } from "../../../src/io/hub.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { readOrgAllowlist } from "../../../src/io/project-files.js";
import { type FixtureHub, startFixtureHub } from "../../helpers/fixture-hub/index.js";
import { REPO_ROOT, tempDir } from "../../helpers/run-cli.js";

const REPO = "google-bert/fixture-tiny-bert";
let hub: FixtureHub;

before(async () => {
  hub = await startFixtureHub();
});
after(async () => {
  await hub.close();
});

test("a protocol-0 pickle named pytorch_model.bin is not linked by pull", async () => {
  const payload = readFileSync(join(REPO_ROOT, "fixtures/loaders/protocol0/inst-posix-system.bin"));
  const commit = hub.pushCommit(REPO, {
    branch: "main",
    message: "add weights",
    files: { "pytorch_model.bin": payload },
  });
  const dir = tempDir();
  try {
    const [model] = await pullModels({
      client: new HubClient({ hubUrl: hub.url, token: undefined }, { sleep: async () => {} }),
      cacheDir: dir.path,
      models: [{ repo: REPO, ref: undefined, include: [], exclude: [] }],
      policy: {
        scan: loadScanPolicy(),
        organizations: readOrgAllowlist(),
        project: { organizations: { add: [], remove: [] }, repos: { allow: [], deny: [] } },
        acceptedFindings: [],
      },
      today: "2026-11-22",
    });
    assert.equal(model?.commit, commit);
    assert.equal(model?.verdict, "malicious");
    const snapshot = new RepoCache(dir.path, REPO).snapshotDir(commit);
    const linked = existsSync(snapshot) ? readdirSync(snapshot) : [];
    assert.ok(!linked.includes("pytorch_model.bin"), linked.join());
    assert.ok(linked.includes("config.json"), linked.join());
  } finally {
    dir.cleanup();
    hub.resetRepos();
  }
});
