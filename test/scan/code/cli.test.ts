/**
 * End to end: the built CLI (npm test builds first) scanning fixture model folders, as a user
 * would run `modelvet scan <folder>`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCliInProcess } from "../../helpers/run-cli-in-process.js";

describe("modelvet scan <folder> with custom code", () => {
  test("names every Python file trust_remote_code would run and what it does", async () => {
    const r = await runCliInProcess(["scan", "fixtures/code/harmless"]);
    assert.equal(r.code, 1, r.stderr); // custom code blocks by default (REMOTE_CODE is suspicious)
    assert.match(r.stdout, /trust_remote_code=True would run:/);
    for (const file of ["configuration_x.py", "modeling_x.py", "tokenization_x.py"])
      assert.match(r.stdout, new RegExp(`^\\s+${file.replace(".", "\\.")}  \\[clean\\]`, "m"));
    assert.match(r.stdout, /no dangerous calls found/);
  });

  test("a malicious helper pulled in by a relative import is named with its finding", async () => {
    const r = await runCliInProcess(["scan", "fixtures/code/relative-import-malicious"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /utils\/init\.py {2}\[malicious\] {2}\(imported by modeling_x\.py line \d+\)/,
    );
    assert.match(r.stdout, /os\.system\(\): runs a shell command, at import time/);
  });

  test("cross-repo and missing code are reported in the JSON report", async () => {
    const r = await runCliInProcess([
      "scan",
      "--format",
      "json",
      "fixtures/code/cross-repo-malicious",
      "fixtures/code/missing-file-malicious",
    ]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as {
      files: {
        path: string;
        verdict: string;
        summary?: { remoteCode?: { crossRepo: string[]; missing: string[] } };
      }[];
    };
    const configs = report.files.filter((f) => f.path.endsWith("config.json"));
    assert.deepEqual(
      configs.map((c) => c.verdict),
      ["unscannable", "unscannable"],
    );
    assert.deepEqual(configs[0]?.summary?.remoteCode?.crossRepo, ["other-org/other-repo"]);
    assert.deepEqual(configs[1]?.summary?.remoteCode?.missing, ["modeling_gone.py"]);
  });
});
