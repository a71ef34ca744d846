/**
 * The scaffolding the CLI tests share: one fixture Hub for the whole suite (started in `before`,
 * closed in `after`), and a project folder with its own cache and HF_HOME (see `hubEnv`) for each
 * test, or one for the whole suite with `folder: "suite"`. After each test the Hub's knobs and
 * repos go back to their start, so no test sees another's changes.
 *
 *   describe("…", () => {
 *     const p = withHubProject();
 *     test("…", async () => {
 *       const r = await p.cli("add", "google-bert/fixture-tiny-bert");
 *       assert.equal(r.code, 0, r.stderr);
 *     });
 *   });
 *
 * Call it inside a `describe` (or at the top of a file); the fields are set once its hooks ran,
 * so read them in tests and hooks, not while the suite is being declared.
 */
import { after, afterEach, before, beforeEach } from "node:test";
import { type FixtureHub, type FixtureHubOptions, startFixtureHub } from "./fixture-hub/index.js";
import { type CliResult, hubEnv, runCli, tempDir } from "./run-cli.js";
import { runCliInProcess } from "./run-cli-in-process.js";

export interface HubProject {
  /** The suite's fixture Hub. */
  readonly hub: FixtureHub;
  /** The current project folder (the CLI's working directory). */
  readonly dir: string;
  /** The CLI's environment for the current test: the Hub, no token, a cache inside `dir`. A test may change it; the next test gets a fresh one. */
  env: NodeJS.ProcessEnv;
  /**
   * Runs the CLI in `dir` with `env`, inside this process (run-cli-in-process.ts, from the
   * sources): the same argv, environment and exit code, without a Node start per run.
   */
  cli(...args: string[]): Promise<CliResult>;
  /** Runs the built CLI in `dir` with `env` as a child process: for runs that overlap (races). */
  spawnCli(...args: string[]): Promise<CliResult>;
}

export interface HubProjectOptions {
  /** Options for the fixture Hub (tokens, page size, …). */
  hub?: FixtureHubOptions;
  /** "test" (default): a fresh folder and environment for each test; "suite": one for all. */
  folder?: "test" | "suite";
  /** Reset the Hub's repos after each test (default true); knobs are always reset. */
  resetRepos?: boolean;
}

export function withHubProject(options: HubProjectOptions = {}): HubProject {
  let hub: FixtureHub | undefined;
  let folder: { path: string; cleanup: () => void } | undefined;
  let env: NodeJS.ProcessEnv | undefined;
  const perTest = (options.folder ?? "test") === "test";

  const open = () => {
    folder = tempDir();
    env = hubEnv(state.hub.url, folder.path);
  };
  const close = () => {
    folder?.cleanup();
    folder = undefined;
    env = undefined;
  };

  const state: HubProject = {
    get hub() {
      if (hub === undefined) throw new Error("withHubProject: the Hub is started in `before`");
      return hub;
    },
    get dir() {
      if (folder === undefined) throw new Error("withHubProject: no project folder yet");
      return folder.path;
    },
    get env() {
      if (env === undefined) throw new Error("withHubProject: no environment yet");
      return env;
    },
    set env(value: NodeJS.ProcessEnv) {
      env = value;
    },
    cli: (...args: string[]) => runCliInProcess(args, { cwd: state.dir, env: state.env }),
    spawnCli: (...args: string[]) => runCli(args, { cwd: state.dir, env: state.env }),
  };

  before(async () => {
    hub = await startFixtureHub(options.hub);
    if (!perTest) open();
  });
  after(async () => {
    if (!perTest) close();
    await hub?.close();
  });
  if (perTest) beforeEach(open);
  afterEach(() => {
    hub?.resetKnobs();
    if (options.resetRepos ?? true) hub?.resetRepos();
    if (perTest) close();
  });
  return state;
}
