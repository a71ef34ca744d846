/**
 * The GitHub Action and the pre-commit hooks, tested by running what they run: their commands
 * are read from action.yml and .pre-commit-hooks.yaml and executed against a project pinned on
 * the fixture Hub. (The action's install step is `npm ci`, which CI itself runs on a fresh clone.)
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parse } from "yaml";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { BIN, REPO_ROOT, runCli, tempDir } from "../helpers/run-cli.js";

function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, out }));
  });
}

interface ActionStep {
  name: string;
  run: string;
  shell: string;
  "working-directory"?: string;
}

describe("CI integrations", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;

  before(async () => {
    hub = await startFixtureHub();
    dir = tempDir();
    env = {
      HF_ENDPOINT: hub.url,
      HF_HUB_CACHE: join(dir.path, "cache"),
      HF_TOKEN: "",
      HF_HOME: join(dir.path, "home"),
      CI: "true",
    };
    const added = await runCli(["add", "google-bert/fixture-tiny-bert", "--quiet"], {
      cwd: dir.path,
      env,
    });
    assert.equal(added.code, 0, added.stdout + added.stderr);
  });
  after(async () => {
    await hub.close();
    dir.cleanup();
  });

  test("action.yml installs with npm ci, then runs modelvet with the given args in the working directory", async () => {
    const action = parse(readFileSync(join(REPO_ROOT, "action.yml"), "utf8")) as {
      inputs: Record<string, { default: string }>;
      runs: { using: string; steps: ActionStep[] };
    };
    assert.equal(action.runs.using, "composite");
    const [install, run] = action.runs.steps;
    assert.equal(install?.run, 'cd "$GITHUB_ACTION_PATH" && npm ci --no-audit --no-fund');
    assert.ok(run);
    const expand = (text: string, inputs: Record<string, string>) =>
      text.replace(/\$\{\{\s*inputs\.([\w-]+)\s*\}\}/g, (_m, name: string) => inputs[name] ?? "");
    const defaults = Object.fromEntries(
      Object.entries(action.inputs).map(([k, v]) => [k, v.default]),
    );
    const actionEnv = { ...env, GITHUB_ACTION_PATH: REPO_ROOT };

    const plain = await bash(expand(run.run, defaults), dir.path, actionEnv);
    assert.equal(plain.code, 0, plain.out);
    assert.match(plain.out, /The lock holds\./);

    const sarif = await bash(
      expand(run.run, { ...defaults, args: "ci --format sarif --output modelvet.sarif" }),
      dir.path,
      actionEnv,
    );
    assert.equal(sarif.code, 0, sarif.out);
    const log = JSON.parse(readFileSync(join(dir.path, "modelvet.sarif"), "utf8")) as {
      version: string;
    };
    assert.equal(log.version, "2.1.0");
    assert.equal(expand(run["working-directory"] ?? "", defaults), ".");
  });

  test("the pre-commit hooks run modelvet ci and modelvet scan on the files they match", async () => {
    const hooks = parse(readFileSync(join(REPO_ROOT, ".pre-commit-hooks.yaml"), "utf8")) as {
      id: string;
      entry: string;
      files: string;
      pass_filenames?: boolean;
    }[];
    const byId = new Map(hooks.map((h) => [h.id, h]));
    const ci = byId.get("modelvet-ci")!;
    const scan = byId.get("modelvet-scan")!;
    const asCommand = (entry: string) => entry.replace(/^modelvet\b/, `node "${BIN}"`);

    const ciFiles = new RegExp(ci.files);
    assert.ok(ciFiles.test("models.lock") && ciFiles.test("sub/modelvet.json"));
    assert.ok(!ciFiles.test("README.md"));
    assert.equal(ci.pass_filenames, false);
    const ciRun = await bash(asCommand(ci.entry), dir.path, env);
    assert.equal(ciRun.code, 0, ciRun.out);

    const scanFiles = new RegExp(scan.files);
    const benign = join(REPO_ROOT, "fixtures/pickle/benign/numpy-array-p2.pkl");
    const evil = join(REPO_ROOT, "fixtures/pickle/malicious/dumped-reduce-posix-system-p2.pkl");
    assert.ok(existsSync(benign) && existsSync(evil), "fixtures exist");
    assert.ok(scanFiles.test(benign) && scanFiles.test(evil) && !scanFiles.test("notes.md"));
    const ok = await bash(`${asCommand(scan.entry)} "${benign}"`, dir.path, env);
    assert.equal(ok.code, 0, ok.out);
    const blocked = await bash(`${asCommand(scan.entry)} "${benign}" "${evil}"`, dir.path, env);
    assert.equal(blocked.code, 1, blocked.out);
    assert.match(blocked.out, /dumped-reduce-posix-system-p2\.pkl/);
  });
});
