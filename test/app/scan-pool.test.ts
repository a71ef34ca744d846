/**
 * `scanPaths` with worker threads (app/scan-pool.ts): the same report as the sequential scan, and
 * fail closed when a worker dies mid-file (the file ends `unscannable`, never lost, never clean).
 */
import assert from "node:assert/strict";
import { copyFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { scanPaths } from "../../src/app/scan.js";
import { POOL_MIN_FILES } from "../../src/app/scan-pool.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { tempDir } from "../helpers/run-cli.js";

const policy = loadScanPolicy();

test("the pooled scan of fixtures/ gives exactly the sequential report", async () => {
  const sequential = await scanPaths({ paths: ["fixtures"], policy });
  const pooled = await scanPaths({ paths: ["fixtures"], policy, workers: { threads: 2 } });
  assert.ok(sequential.files.length >= POOL_MIN_FILES, "enough files for the pool to be used");
  assert.deepEqual(pooled, sequential);
});

/** A folder of benign and malicious pickles, enough files for the pool. */
function pickleFolder(): { path: string; cleanup: () => void } {
  const dir = tempDir();
  for (const area of ["benign", "malicious"]) {
    const from = join("fixtures", "pickle", area);
    for (const name of readdirSync(from).sort().slice(0, 6))
      copyFileSync(join(from, name), join(dir.path, `${area}-${name}`));
  }
  return dir;
}

for (const mode of ["throw", "exit"] as const) {
  test(`a worker that dies (${mode}) while scanning a file leaves that file unscannable`, async () => {
    const dir = pickleFolder();
    try {
      const sequential = await scanPaths({ paths: [dir.path], policy });
      assert.ok(sequential.files.length >= POOL_MIN_FILES);
      const victim = sequential.files.find((f) => f.path.includes("benign-"))!;
      assert.equal(victim.verdict, "clean", "the victim would be clean if it were scanned");
      const pooled = await scanPaths({
        paths: [dir.path],
        policy,
        workers: { threads: 2, crashForTesting: { paths: [victim.path], mode } },
      });
      assert.equal(pooled.files.length, sequential.files.length, "no file is lost");
      for (const [i, node] of pooled.files.entries()) {
        const expected = sequential.files[i]!;
        assert.equal(node.path, expected.path);
        if (node.path !== victim.path) {
          assert.deepEqual(node, expected, "the other files are scanned as usual");
          continue;
        }
        assert.equal(node.verdict, "unscannable");
        assert.equal(node.findings.length, 1);
        assert.equal(node.findings[0]!.code, "UNSCANNABLE");
        assert.match(
          node.findings[0]!.message,
          mode === "throw"
            ? /worker thread crashed: injected crash/
            : /worker thread exited \(code 70\)/,
        );
      }
      assert.equal(pooled.summary.unscannable, sequential.summary.unscannable + 1);
    } finally {
      dir.cleanup();
    }
  });
}
