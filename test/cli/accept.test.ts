/**
 * `modelvet accept` with the built CLI, on a lock made by `modelvet add` against the fixture Hub:
 * it writes the acceptedFindings entry for the file's locked sha256, under the project mutex, and
 * refuses what the policy would never waive, with clear errors.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseLockfile } from "../../src/core/lockfile.js";
import { parseProjectFile } from "../../src/core/project.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { hubEnv, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const TINY = "google-bert/fixture-tiny-bert";

describe("modelvet accept", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;
  let file: string;
  let sha: string;

  before(async () => {
    hub = await startFixtureHub();
    dir = tempDir();
    env = hubEnv(hub.url, dir.path);
    writeFileSync(join(dir.path, "modelvet.json"), JSON.stringify({ models: {} }));
    const add = await runCliInProcess(["add", TINY, "--quiet"], { cwd: dir.path, env });
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const lock = parseLockfile(readFileSync(join(dir.path, "models.lock"), "utf8"));
    const files = lock.models[TINY]?.files ?? {};
    file = Object.keys(files).sort()[0] as string;
    sha = files[file]?.sha256 as string;
  });
  after(async () => {
    await hub.close();
    dir.cleanup();
  });

  const accept = (...args: string[]) =>
    runCliInProcess(["accept", ...args], { cwd: dir.path, env });
  const project = () => parseProjectFile(readFileSync(join(dir.path, "modelvet.json"), "utf8"));

  test("writes the entry with the locked sha256, and replaces it when run again", async () => {
    const run = await accept(
      TINY,
      file,
      "--code",
      "PICKLE_UNKNOWN_GLOBAL",
      "--reason",
      "reviewed",
      "--expires",
      "2099-12-31",
    );
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /Accepted PICKLE_UNKNOWN_GLOBAL/);
    assert.deepEqual(project().policy.acceptedFindings, [
      {
        model: TINY,
        path: file,
        sha256: sha,
        code: "PICKLE_UNKNOWN_GLOBAL",
        reason: "reviewed",
        expires: "2099-12-31",
      },
    ]);
    assert.ok(project().models[TINY] !== undefined, "the declared models are kept");
    const again = await accept(
      TINY,
      file,
      "--code",
      "PICKLE_UNKNOWN_GLOBAL",
      "--reason",
      "re-reviewed",
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /Updated/);
    const entries = project().policy.acceptedFindings;
    assert.equal(entries.length, 1);
    assert.equal(entries[0]?.reason, "re-reviewed");
    assert.equal(existsSync(join(dir.path, "models.lock.lock")), false, "the mutex is released");
  });

  test("refuses codes only malicious findings carry", async () => {
    const before = readFileSync(join(dir.path, "modelvet.json"), "utf8");
    for (const code of ["PICKLE_DANGEROUS_GLOBAL", "DIGEST_MISMATCH", "KERAS_LAMBDA"]) {
      const run = await accept(TINY, file, "--code", code, "--reason", "x");
      assert.equal(run.code, 2, code);
      assert.match(run.stderr, /always malicious and can never be accepted/);
    }
    assert.equal(readFileSync(join(dir.path, "modelvet.json"), "utf8"), before);
  });

  test("says clearly what is wrong: model not locked, path not in the lock, bad date", async () => {
    const notLocked = await accept("acme/other", "x.bin", "--code", "UNSCANNABLE", "--reason", "x");
    assert.equal(notLocked.code, 2);
    assert.match(notLocked.stderr, /acme\/other is not in models\.lock/);
    const noPath = await accept(TINY, "nope.bin", "--code", "UNSCANNABLE", "--reason", "x");
    assert.equal(noPath.code, 2);
    assert.match(noPath.stderr, /nope\.bin is not a file of google-bert\/fixture-tiny-bert/);
    for (const date of ["2027-02-30", "tomorrow", "2001-01-01"]) {
      const bad = await accept(
        TINY,
        file,
        "--code",
        "UNSCANNABLE",
        "--reason",
        "x",
        "--expires",
        date,
      );
      assert.equal(bad.code, 2, date);
      assert.match(bad.stderr, /--expires/);
    }
    const noReason = await accept(TINY, file, "--code", "UNSCANNABLE", "--reason", " ");
    assert.equal(noReason.code, 2);
  });
});
