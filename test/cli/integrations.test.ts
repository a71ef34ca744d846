/**
 * The GitHub Action, the pre-commit hooks and the GitLab example, tested by running what they
 * run: their commands are read from action.yml, .pre-commit-hooks.yaml and
 * examples/gitlab-ci.yml and executed against a project pinned on the fixture Hub, and in a temp
 * git repository. action.yml is also validated against SchemaStore's GitHub Action schema.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Ajv from "ajv";
import { parse } from "yaml";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { BIN, REPO_ROOT, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-c", script], {
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
  id?: string;
  if?: string;
  uses?: string;
  with?: Record<string, string | number>;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface Action {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

const ACTION_TEXT = readFileSync(join(REPO_ROOT, "action.yml"), "utf8");
const ACTION = parse(ACTION_TEXT) as Action;

/** Values for `${{ … }}` in the contexts a composite action's steps use. */
interface Contexts {
  inputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
  actionPath: string;
}

function contextValue(expr: string, ctx: Contexts): string {
  const [head, ...rest] = expr.split(".");
  if (head === "inputs") return ctx.inputs[rest[0]!] ?? "";
  if (head === "steps" && rest[1] === "outputs") return ctx.steps[rest[0]!]?.[rest[2]!] ?? "";
  if (expr === "github.action_path") return ctx.actionPath;
  if (expr === "runner.os") return "Linux";
  throw new Error(`no value for ${expr} in this test`);
}

function expand(text: string, ctx: Contexts): string {
  return text.replace(/\$\{\{\s*([\w.-]+)\s*\}\}/g, (_m, expr: string) => contextValue(expr, ctx));
}

/** `if:` in the forms action.yml uses: always() && inputs.x == 'y' && steps.a.outputs.b != ''. */
function holds(condition: string, ctx: Contexts): boolean {
  return condition.split("&&").every((part) => {
    const p = part.trim();
    if (p === "always()") return true;
    const m = /^([\w.-]+)\s*(==|!=)\s*'([^']*)'$/.exec(p);
    if (!m) throw new Error(`cannot evaluate if: ${condition}`);
    const value = contextValue(m[1]!, ctx);
    return m[2] === "==" ? value === m[3] : value !== m[3];
  });
}

function readOutputs(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const outputs: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return outputs;
}

interface ActionRun {
  /** The exit status of the job: the first failing step's, else 0. */
  code: number;
  out: string;
  steps: Record<string, Record<string, string>>;
  uses: { step: ActionStep; with: Record<string, string> }[];
}

/**
 * Runs the action's steps as the runner would: `run:` steps in bash with their declared env and
 * working directory, GITHUB_OUTPUT per step, `${{ }}` expanded from inputs and step outputs.
 * `uses:` steps are recorded (they are other actions), and `if:` is honoured for the two forms
 * the action uses. The install step is run separately (it needs the npm cache; see below).
 */
async function runAction(
  inputs: Record<string, string>,
  workspace: string,
  env: NodeJS.ProcessEnv,
): Promise<ActionRun> {
  const values = Object.fromEntries(
    Object.entries(ACTION.inputs).map(([k, v]) => [k, inputs[k] ?? v.default ?? ""]),
  );
  const ctx: Contexts = { inputs: values, steps: {}, actionPath: REPO_ROOT };
  const result: ActionRun = { code: 0, out: "", steps: ctx.steps, uses: [] };
  const scratch = tempDir("modelvet-action-");
  try {
    for (const [i, step] of ACTION.runs.steps.entries()) {
      if (step.name.startsWith("Install modelvet")) continue;
      if (step.if !== undefined) {
        if (!holds(step.if, ctx)) continue;
      } else if (result.code !== 0) continue;
      if (step.uses !== undefined) {
        const withValues = Object.fromEntries(
          Object.entries(step.with ?? {}).map(([k, v]) => [k, expand(String(v), ctx)]),
        );
        result.uses.push({ step, with: withValues });
        continue;
      }
      const output = join(scratch.path, `output-${i}`);
      const stepEnv = Object.fromEntries(
        Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v, ctx)]),
      );
      const cwd = join(workspace, expand(step["working-directory"] ?? ".", ctx));
      const run = await bash(expand(step.run!, ctx), cwd, {
        ...env,
        ...stepEnv,
        GITHUB_ACTION_PATH: REPO_ROOT,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: join(scratch.path, "summary.md"),
        GITHUB_WORKSPACE: workspace,
      });
      result.out += run.out;
      if (step.id !== undefined) ctx.steps[step.id] = readOutputs(output);
      if (run.code !== 0 && result.code === 0) result.code = run.code ?? 1;
    }
  } finally {
    scratch.cleanup();
  }
  return result;
}

function ajv() {
  // The CommonJS default export is the class itself at run time.
  const AjvClass = Ajv as unknown as typeof Ajv.default;
  return new AjvClass({ allErrors: true, strict: false });
}

describe("GitHub Action metadata", () => {
  const schema = JSON.parse(
    readFileSync(join(REPO_ROOT, "test/schemas/github-action.json"), "utf8"),
  ) as Record<string, unknown>;
  const validate = ajv().compile(schema);

  test("action.yml is valid against SchemaStore's github-action.json", () => {
    assert.ok(validate(ACTION), JSON.stringify(validate.errors, null, 2));
  });

  test("the schema rejects a broken action (the check can fail)", () => {
    assert.equal(validate({ name: "x", runs: { using: "composite" } }), false);
    const badOutput = { ...ACTION, outputs: { "exit-code": { description: "no value" } } };
    assert.equal(validate(badOutput), false);
  });

  test("Node 20 is set up, inputs reach scripts only through env, npm is cached on the lock", () => {
    const steps = ACTION.runs.steps;
    const setup = steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    assert.equal(String(setup?.with?.["node-version"]), "20");
    for (const s of steps) {
      assert.ok(!/\$\{\{[^}]*inputs\./.test(s.run ?? ""), `${s.name}: inputs in run:`);
    }
    const cache = steps.find((s) => s.uses?.startsWith("actions/cache@"));
    assert.match(String(cache?.with?.key), /steps\.lock\.outputs\.sha256/);
    const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    assert.match(upload?.if ?? "", /^always\(\)/);
    assert.deepEqual(Object.keys(ACTION.outputs).sort(), ["exit-code", "sarif-file"]);
  });
});

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
      CI_PROJECT_DIR: "",
    };
    mkdirSync(join(dir.path, "app"));
    const added = await runCliInProcess(["add", "google-bert/fixture-tiny-bert", "--quiet"], {
      cwd: join(dir.path, "app"),
      env,
    });
    assert.equal(added.code, 0, added.stdout + added.stderr);
  });
  after(async () => {
    await hub.close();
    dir.cleanup();
  });

  test("the action runs modelvet ci, writes SARIF relative to the workspace, uploads it and exits 0", async () => {
    const run = await runAction({ "working-directory": "app" }, dir.path, env);
    assert.equal(run.code, 0, run.out);
    const sarifFile = run.steps.run?.["sarif-file"];
    assert.equal(sarifFile, join(dir.path, "app", "modelvet.sarif"));
    assert.equal(run.steps.run?.["exit-code"], "0");
    const log = JSON.parse(readFileSync(sarifFile!, "utf8")) as { version: string };
    assert.equal(log.version, "2.1.0");
    const upload = run.uses.find((u) =>
      u.step.uses?.startsWith("github/codeql-action/upload-sarif"),
    );
    assert.deepEqual(upload?.with, { sarif_file: sarifFile, category: "modelvet" });
    assert.match(run.out, /modelvet: 0 result\(s\)/);
    // The cache key is the lock's digest.
    const cache = run.uses.find((u) => u.step.uses?.startsWith("actions/cache@"));
    assert.match(cache?.with.key ?? "", /^modelvet-npm-Linux-node20-[0-9a-f]{64}$/);
  });

  test("the action fails the job with modelvet's exit code, after uploading what it found", async () => {
    const projectPath = join(dir.path, "app", "modelvet.json");
    const project = readFileSync(projectPath, "utf8");
    try {
      // Policy no longer admits the locked model's organization: exit 6, a result at its lock line.
      writeFileSync(
        projectPath,
        JSON.stringify({
          models: { "google-bert/fixture-tiny-bert": "HEAD" },
          policy: { organizations: { remove: [{ name: "google-bert", reason: "legal review" }] } },
        }),
      );
      const run = await runAction({ "working-directory": "app" }, dir.path, env);
      assert.equal(run.code, 6, run.out);
      assert.equal(run.steps.run?.["exit-code"], "6");
      assert.match(run.out, /::(error|warning) file=app\/models\.lock,line=\d+::POLICY_DENIED/);
      assert.ok(run.uses.some((u) => u.step.uses?.startsWith("github/codeql-action/upload-sarif")));
    } finally {
      writeFileSync(projectPath, project);
    }
  });

  test("the args input cannot inject shell commands", async () => {
    const marker = join(dir.path, "pwned");
    const run = await runAction(
      {
        "working-directory": "app",
        args: `ci $(touch ${marker}) ; touch ${marker}`,
        "sarif-file": "",
      },
      dir.path,
      env,
    );
    assert.ok(!existsSync(marker), "no command ran");
    assert.equal(run.code, 2, run.out); // modelvet saw odd arguments: a usage error
    assert.ok(!run.uses.some((u) => u.step.uses?.startsWith("github/codeql-action/upload-sarif")));
  });

  test("examples/gitlab-ci.yml's script writes a Code Quality report and exits with modelvet's code", async () => {
    const job = (
      parse(readFileSync(join(REPO_ROOT, "examples/gitlab-ci.yml"), "utf8")) as {
        modelvet: {
          script: string[];
          artifacts: { when: string; reports: { codequality: string } };
        };
      }
    ).modelvet;
    assert.equal(job.artifacts.when, "always");
    const report = join(dir.path, "app", job.artifacts.reports.codequality);
    const gitlabEnv = { ...env, MODELVET: BIN, CI_PROJECT_DIR: dir.path };
    const ok = await bash(job.script.join("\n"), join(dir.path, "app"), gitlabEnv);
    assert.equal(ok.code, 0, ok.out);
    assert.deepEqual(JSON.parse(readFileSync(report, "utf8")), []);

    const projectPath = join(dir.path, "app", "modelvet.json");
    const project = readFileSync(projectPath, "utf8");
    try {
      writeFileSync(
        projectPath,
        JSON.stringify({
          models: { "google-bert/fixture-tiny-bert": "HEAD" },
          policy: { organizations: { remove: [{ name: "google-bert", reason: "legal review" }] } },
        }),
      );
      const failed = await bash(job.script.join("\n"), join(dir.path, "app"), gitlabEnv);
      assert.equal(failed.code, 6, failed.out);
      assert.match(failed.out, /\w+ app\/models\.lock:\d+ POLICY_DENIED/);
      const issues = JSON.parse(readFileSync(report, "utf8")) as { location: { path: string } }[];
      assert.equal(issues[0]?.location.path, "app/models.lock");
    } finally {
      writeFileSync(projectPath, project);
    }
  });

  test("the README's workflow is examples/github-workflow.yml, with the permissions upload needs", () => {
    const text = readFileSync(join(REPO_ROOT, "examples/github-workflow.yml"), "utf8");
    assert.ok(readFileSync(join(REPO_ROOT, "README.md"), "utf8").includes(text));
    const workflow = parse(text) as {
      permissions: Record<string, string>;
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
    };
    assert.equal(workflow.permissions.contents, "read");
    assert.equal(workflow.permissions["security-events"], "write");
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const step = steps.find((s) => s.uses?.startsWith("modelvet/modelvet@"));
    assert.ok(step, "the workflow uses the action");
    for (const key of Object.keys(step.with ?? {})) assert.ok(key in ACTION.inputs, key);
    assert.equal(steps[0]?.uses, "actions/checkout@v4");
  });

  test("examples/github-workflow-own-upload.yml uploads under if: always() and fails afterwards", () => {
    const workflow = parse(
      readFileSync(join(REPO_ROOT, "examples/github-workflow-own-upload.yml"), "utf8"),
    ) as {
      permissions: Record<string, string>;
      jobs: Record<string, { steps: ActionStep[] }>;
    };
    assert.equal(workflow.permissions["security-events"], "write");
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const action = steps.find((s) => s.uses?.startsWith("modelvet/modelvet@"));
    for (const key of Object.keys(action?.with ?? {})) assert.ok(key in ACTION.inputs, key);
    assert.equal(action?.with?.["upload-sarif"], "false");
    const upload = steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"));
    assert.match(upload?.if ?? "", /^always\(\)/);
    assert.match(
      String(upload?.with?.sarif_file),
      /^\$\{\{ steps\.modelvet\.outputs\.sarif-file \}\}$/,
    );
    assert.match(steps.at(-1)?.run ?? "", /EXIT_CODE/);
    assert.equal(steps.at(-1)?.if, "always()");
  });

  test("the action's install step installs only runtime dependencies and leaves a runnable CLI", {
    // npm ci from the local npm cache only (no network): the cache that installing this
    // repository filled. Slow (a full install and a tsc build: 1 to 3 minutes), hence opt-in:
    // MODELVET_TEST_INSTALL=1 node scripts/run-tests.mjs integrations
    skip: process.env.MODELVET_TEST_INSTALL === undefined ? "set MODELVET_TEST_INSTALL=1" : false,
    timeout: 600_000,
  }, async () => {
    const install = ACTION.runs.steps.find((s) => s.name.startsWith("Install modelvet"))!;
    const copy = tempDir("modelvet-action-install-");
    try {
      for (const f of ["package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"])
        copyFileSync(join(REPO_ROOT, f), join(copy.path, f));
      for (const d of ["bin", "src", "allowlist"])
        cpSync(join(REPO_ROOT, d), join(copy.path, d), { recursive: true });
      const run = await bash(install.run!, copy.path, {
        npm_config_offline: "true",
        npm_config_update_notifier: "false",
      });
      assert.equal(run.code, 0, run.out);
      assert.ok(existsSync(join(copy.path, "dist/cli/main.js")));
      assert.ok(!existsSync(join(copy.path, "node_modules/typescript")), "dev dependencies pruned");
      assert.ok(
        !existsSync(join(copy.path, "node_modules/@biomejs/biome")),
        "dev dependencies pruned",
      );
      const version = await bash(`node bin/modelvet.js --version`, copy.path, {});
      assert.equal(version.code, 0, version.out);
    } finally {
      copy.cleanup();
    }
  });
});

interface Hook {
  id: string;
  entry: string;
  files?: string;
  exclude?: string;
  types?: string[];
  stages?: string[];
  pass_filenames?: boolean;
}

describe("pre-commit hooks", () => {
  const hooks = parse(readFileSync(join(REPO_ROOT, ".pre-commit-hooks.yaml"), "utf8")) as Hook[];
  const byId = new Map(hooks.map((h) => [h.id, h]));
  const asCommand = (entry: string) => entry.replace(/^modelvet\b/, `node "${BIN}"`);
  let repo: { path: string; cleanup: () => void };

  before(async () => {
    repo = tempDir("modelvet-precommit-");
    const r = repo.path;
    mkdirSync(join(r, "tools"));
    mkdirSync(join(r, "models/custom"), { recursive: true });
    mkdirSync(join(r, "docs"));
    const script = 'import subprocess\n\nsubprocess.run(["make"], check=True)\n';
    writeFileSync(join(r, "build.py"), script);
    writeFileSync(join(r, "tools/release.py"), script);
    writeFileSync(join(r, "config.json"), '{"port": 8080}\n');
    writeFileSync(join(r, "README.md"), "# app\n");
    writeFileSync(
      join(r, "docs/logo.PNG"),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    );
    // A model folder: its Python is what trust_remote_code would run, so it is scanned.
    cpSync(join(REPO_ROOT, "fixtures/code/exec-base64-malicious"), join(r, "models/custom"), {
      recursive: true,
    });
    // A pickle under a name that promises nothing, and one with an upper-case extension.
    const evil = join(REPO_ROOT, "fixtures/pickle/malicious/dumped-reduce-posix-system-p2.pkl");
    copyFileSync(evil, join(r, "models/weights.data"));
    copyFileSync(evil, join(r, "models/OLD.PT"));
    copyFileSync(
      join(REPO_ROOT, "fixtures/pickle/benign/numpy-array-p2.pkl"),
      join(r, "models/ok.pkl"),
    );
    const git = await bash("git init -q . && git add -A", r, {});
    assert.equal(git.code, 0, git.out);
  });
  after(() => repo.cleanup());

  /** The staged files pre-commit would pass to a hook (types [file] is every regular file). */
  async function stagedFor(hook: Hook): Promise<string[]> {
    const list = await bash("git diff --cached --name-only", repo.path, {});
    const files = list.out.split("\n").filter((f) => f !== "");
    return files.filter(
      (f) =>
        (hook.files === undefined || new RegExp(hook.files).test(f)) &&
        (hook.exclude === undefined || !new RegExp(hook.exclude).test(f)),
    );
  }

  test("modelvet-scan picks model files by content, never the repository's own code", async () => {
    const scan = byId.get("modelvet-scan")!;
    assert.deepEqual(scan.types, ["file"]);
    const files = await stagedFor(scan);
    assert.ok(files.includes("build.py") && files.includes("docs/logo.PNG"));
    const quote = (fs: string[]) => fs.map((f) => `"${f}"`).join(" ");

    const ordinary = files.filter((f) => !f.startsWith("models/"));
    const clean = await bash(`${asCommand(scan.entry)} ${quote(ordinary)}`, repo.path, {
      CI: "true",
    });
    assert.equal(clean.code, 0, clean.out);
    assert.doesNotMatch(clean.out, /build\.py|release\.py|logo/);

    const all = await bash(`${asCommand(scan.entry)} ${quote(files)}`, repo.path, { CI: "true" });
    assert.equal(all.code, 1, all.out);
    assert.match(all.out, /models\/weights\.data/);
    assert.match(all.out, /models\/OLD\.PT/);
    assert.match(all.out, /models\/custom\/modeling_x\.py/);
    assert.doesNotMatch(all.out, /build\.py|tools\/release\.py/);
  });

  test("modelvet-ci runs at pre-push, on the project files, without file names", async () => {
    const ci = byId.get("modelvet-ci")!;
    assert.deepEqual(ci.stages, ["pre-push"]);
    assert.equal(ci.pass_filenames, false);
    const ciFiles = new RegExp(ci.files!);
    assert.ok(ciFiles.test("models.lock") && ciFiles.test("sub/modelvet.json"));
    assert.ok(!ciFiles.test("README.md"));
    // Run in a project pinned on the fixture Hub.
    const hub = await startFixtureHub();
    const project = tempDir();
    try {
      const env = {
        HF_ENDPOINT: hub.url,
        HF_HUB_CACHE: join(project.path, "cache"),
        HF_HOME: join(project.path, "home"),
        HF_TOKEN: "",
        CI: "true",
      };
      const added = await runCliInProcess(["add", "google-bert/fixture-tiny-bert", "--quiet"], {
        cwd: project.path,
        env,
      });
      assert.equal(added.code, 0, added.stderr);
      const ok = await bash(asCommand(ci.entry), project.path, env);
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /The lock holds\./);
    } finally {
      await hub.close();
      project.cleanup();
    }
  });
});
