import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { writeFileAtomic } from "../../src/io/atomic-file.js";
import { tempDir } from "../helpers/run-cli.js";

describe("writeFileAtomic", () => {
  test("replaces the file and leaves no temporary behind", () => {
    const dir = tempDir();
    try {
      const target = join(dir.path, "models.lock");
      writeFileSync(target, "old\n");
      writeFileAtomic(target, "new\n");
      assert.equal(readFileSync(target, "utf8"), "new\n");
      assert.deepEqual(readdirSync(dir.path), ["models.lock"]);
    } finally {
      dir.cleanup();
    }
  });

  test("a failed rename keeps what was there and leaves no temporary behind", () => {
    const dir = tempDir();
    try {
      // Renaming a file over a non-empty folder fails on every platform, even as root.
      const target = join(dir.path, "models.lock");
      mkdirSync(target);
      writeFileSync(join(target, "keep"), "old\n");
      assert.throws(() => writeFileAtomic(target, "new\n"));
      assert.equal(readFileSync(join(target, "keep"), "utf8"), "old\n");
      assert.deepEqual(readdirSync(dir.path), ["models.lock"]);
    } finally {
      dir.cleanup();
    }
  });

  test("a target in a missing folder fails and creates nothing", () => {
    const dir = tempDir();
    try {
      assert.throws(() => writeFileAtomic(join(dir.path, "missing", "x"), "data"));
      assert.deepEqual(readdirSync(dir.path), []);
    } finally {
      dir.cleanup();
    }
  });
});
