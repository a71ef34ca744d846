/**
 * HF_HUB_DISABLE_PROGRESS_BARS and NO_COLOR (issue #15 item 8). The decision is tested directly,
 * and once end to end: the built CLI pulls in a real pseudo-terminal (util-linux `script`), where
 * the spinner runs, coloured unless NO_COLOR, and absent with HF_HUB_DISABLE_PROGRESS_BARS.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { colourAllowed, progressStyle } from "../../src/cli/progress.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { BIN, hubEnv, tempDir } from "../helpers/run-cli.js";

const TTY = { isTTY: true, columns: 80 };

describe("progress and colour from the environment", () => {
  test("a terminal gets a spinner; HF_HUB_DISABLE_PROGRESS_BARS=1/ON/YES/TRUE turns it off", () => {
    assert.equal(progressStyle({}, TTY), "spinner");
    for (const v of ["1", "ON", "on", "YES", "yes", "TRUE", "True"]) {
      assert.equal(progressStyle({ HF_HUB_DISABLE_PROGRESS_BARS: v }, TTY), "lines", v);
    }
    for (const v of ["0", "false", "no", "", "2"]) {
      assert.equal(progressStyle({ HF_HUB_DISABLE_PROGRESS_BARS: v }, TTY), "spinner", v);
    }
    assert.equal(progressStyle({}, { isTTY: false, columns: 80 }), "lines");
    assert.equal(progressStyle({ CI: "true" }, TTY), "lines");
  });

  test("NO_COLOR: any non-empty value turns colour off", () => {
    assert.equal(colourAllowed({}), true);
    assert.equal(colourAllowed({ NO_COLOR: "" }), true);
    for (const v of ["1", "0", "false", "yes"]) assert.equal(colourAllowed({ NO_COLOR: v }), false);
  });
});

const haveScript = spawnSync("script", ["--version"]).status === 0;

describe("in a pseudo-terminal", { skip: !haveScript && "util-linux script is missing" }, () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  /** stderr+stdout of `modelvet pull` run in a pty 80 columns wide. */
  async function pullInPty(env: NodeJS.ProcessEnv): Promise<string> {
    const dir = tempDir();
    try {
      const command = `stty cols 80 rows 24; exec "${process.execPath}" "${BIN}" pull google-bert/fixture-tiny-bert`;
      const full: NodeJS.ProcessEnv = {
        ...process.env,
        ...hubEnv(hub.url, dir.path),
        TERM: "xterm-256color",
        ...env,
      };
      // ora (is-interactive) treats a CI variable as CI whatever its value: none at all here.
      for (const name of ["CI", "NO_COLOR", "FORCE_COLOR", "HF_HUB_DISABLE_PROGRESS_BARS"]) {
        if (env[name] === undefined) delete full[name];
      }
      // Asynchronously: the fixture Hub answers from this process's event loop.
      const child = spawn("script", ["-qec", command, "/dev/null"], { env: full });
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
      });
      const code = await new Promise<number | null>((done) => child.on("close", done));
      assert.equal(code, 0, out.slice(-2000));
      return out;
    } finally {
      dir.cleanup();
    }
  }

  const HIDE_CURSOR = "\u001b[?25l";
  const COLOUR = /\u001b\[3[0-7]m/;

  test("by default the spinner runs, in colour", async () => {
    const out = await pullInPty({});
    assert.ok(out.includes(HIDE_CURSOR), "the spinner ran");
    assert.ok(COLOUR.test(out), "a colour code");
  });

  test("NO_COLOR=1: the spinner runs without colour", async () => {
    const out = await pullInPty({ NO_COLOR: "1" });
    assert.ok(out.includes(HIDE_CURSOR), "the spinner ran");
    assert.ok(!COLOUR.test(out), "no colour code");
  });

  test("HF_HUB_DISABLE_PROGRESS_BARS=1: no spinner, plain lines", async () => {
    const out = await pullInPty({ HF_HUB_DISABLE_PROGRESS_BARS: "1" });
    assert.ok(!out.includes(HIDE_CURSOR), "no spinner");
    assert.ok(/linked\s+google-bert\/fixture-tiny-bert\/config\.json/.test(out), out.slice(-2000));
  });
});
