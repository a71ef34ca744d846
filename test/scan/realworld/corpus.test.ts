/**
 * The committed subset of the real-world benign corpus (fixtures/realworld/, copied by
 * tools/corpus/subset.py from files written by transformers, torch, scikit-learn, pandas, numpy,
 * keras, tensorflow, peft, sentence-transformers, gguf, onnx): every file must scan clean with the
 * built CLI; files in `gaps` (formats modelvet cannot read yet) must still block.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { before, describe, it } from "node:test";
import { REPO_ROOT } from "../../helpers/run-cli.js";
import { runCliInProcess } from "../../helpers/run-cli-in-process.js";

interface Item {
  path: string;
  sha256: string;
  library: string | null;
  version: string | null;
  call: string | null;
  gap?: string;
}

const DIR = join(REPO_ROOT, "fixtures", "realworld");
const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as {
  files: Item[];
  gaps: Item[];
};

describe("real-world corpus subset", () => {
  const verdicts = new Map<string, string>();

  before(async () => {
    const run = await runCliInProcess(["scan", DIR, "--format", "json", "--jobs", "2"]);
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    const report = JSON.parse(run.stdout) as { files: { path: string; verdict: string }[] };
    for (const f of report.files) verdicts.set(relative(DIR, f.path), f.verdict);
  });

  it("has provenance and the recorded bytes for every file", () => {
    assert.ok(manifest.files.length >= 150);
    for (const item of [...manifest.files, ...manifest.gaps]) {
      assert.ok(item.library && item.version && item.call, item.path);
      const digest = createHash("sha256")
        .update(readFileSync(join(DIR, item.path)))
        .digest("hex");
      assert.equal(digest, item.sha256, item.path);
    }
  });

  it("scans every benign file clean", () => {
    const notClean = manifest.files
      .filter((item) => verdicts.get(item.path) !== "clean")
      .map((item) => `${item.path}: ${verdicts.get(item.path) ?? "not scanned"}`);
    assert.deepEqual(notClean, []);
  });

  it("still blocks the files of formats not read yet (and says so when one starts passing)", () => {
    for (const item of manifest.gaps) {
      const verdict = verdicts.get(item.path);
      assert.ok(verdict !== undefined && verdict !== "clean", `${item.path}: ${verdict}`);
      assert.notEqual(verdict, "malicious", item.path);
    }
  });

  it("scans nothing the manifest does not list", () => {
    const listed = new Set([...manifest.files, ...manifest.gaps].map((i) => i.path));
    const extra = [...verdicts.keys()].filter((p) => p !== "manifest.json" && !listed.has(p));
    assert.deepEqual(extra, []);
  });
});
