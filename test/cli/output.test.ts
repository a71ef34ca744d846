/**
 * `--output FILE`: the report reaches FILE through a fresh temporary file beside it; nothing
 * planted in the folder (a symlink at a predictable temporary name, a symlink at FILE) makes it
 * write anywhere else.
 */
import assert from "node:assert/strict";
import { lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { writeResult } from "../../src/cli/output.js";
import { tempDir } from "../helpers/run-cli.js";

describe("writeResult --output", () => {
  test("a symlink planted at <out>.<pid>.tmp is not written through", () => {
    const dir = tempDir();
    try {
      const victim = join(dir.path, "victim");
      writeFileSync(victim, "precious\n");
      const out = join(dir.path, "report.json");
      symlinkSync(victim, `${out}.${process.pid}.tmp`);
      writeResult('{"ok":true}\n', out);
      assert.equal(readFileSync(victim, "utf8"), "precious\n", "the symlink target is untouched");
      assert.equal(readFileSync(out, "utf8"), '{"ok":true}\n');
      assert.deepEqual(readdirSync(dir.path).sort(), [
        "report.json",
        `report.json.${process.pid}.tmp`,
        "victim",
      ]);
    } finally {
      dir.cleanup();
    }
  });

  test("a symlink at the output path is replaced, not written through", () => {
    const dir = tempDir();
    try {
      const victim = join(dir.path, "victim");
      writeFileSync(victim, "precious\n");
      const out = join(dir.path, "report.sarif");
      symlinkSync(victim, out);
      writeResult("{}\n", out);
      assert.equal(readFileSync(victim, "utf8"), "precious\n");
      assert.ok(lstatSync(out).isFile());
      assert.equal(readFileSync(out, "utf8"), "{}\n");
    } finally {
      dir.cleanup();
    }
  });

  test("an output folder that does not exist is a usage error and leaves nothing", () => {
    const dir = tempDir();
    try {
      assert.throws(
        () => writeResult("x", join(dir.path, "missing", "r.json")),
        /Cannot write the report to .*missing/,
      );
      assert.deepEqual(readdirSync(dir.path), []);
    } finally {
      dir.cleanup();
    }
  });
});
