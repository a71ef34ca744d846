/**
 * `-q, --quiet` is a common option (README): every command accepts it, and the commands that
 * show Hub retry notes without a progress display (ci, verify-cache, audit) print none with it.
 */
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const COMMANDS = ["scan", "inspect", "pull", "add", "lock", "ci", "verify-cache", "audit"];

test("every command that talks to the Hub or scans lists -q, --quiet in its help", async () => {
  for (const command of COMMANDS) {
    const help = await runCliInProcess([command, "--help"]);
    assert.equal(help.code, 0, `${command}: ${help.stderr}`);
    assert.match(help.stdout, /-q, --quiet/, command);
  }
});

test("verify-cache -q and ci -q are accepted (not a usage error)", async () => {
  const dir = tempDir();
  try {
    const cache = join(dir.path, "cache");
    mkdirSync(cache);
    const verify = await runCliInProcess(["verify-cache", "-q", "--offline", "--cache-dir", cache]);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /Nothing in the cache to verify\./);
    const ci = await runCliInProcess(["ci", "-q"], { cwd: dir.path });
    assert.equal(ci.code, 2, ci.stderr);
    assert.doesNotMatch(ci.stderr, /unknown option/);
    assert.match(ci.stderr, /modelvet\.json/);
  } finally {
    dir.cleanup();
  }
});
