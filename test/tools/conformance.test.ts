/**
 * tools/conformance/run.ts without its Python venv: it must say exactly how to build one and exit 2,
 * never pass (the full run needs Python and is `npm run conformance`, not part of npm test).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../helpers/fixture-hub/index.js";

describe("npm run conformance without a venv", () => {
  it("exits 2 and prints the venv command with the local wheelhouse", () => {
    const empty = mkdtempSync(join(tmpdir(), "modelvet-conformance-novenv-"));
    try {
      const res = spawnSync(
        process.execPath,
        ["--import", "tsx", join(PROJECT_ROOT, "tools", "conformance", "run.ts")],
        {
          cwd: PROJECT_ROOT,
          env: { ...process.env, MODELVET_CONFORMANCE_VENV: join(empty, "venv") },
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      assert.equal(res.status, 2, res.stderr);
      assert.equal(res.stdout, "");
      assert.match(res.stderr, /no Python at .*venv\/bin\/python/);
      assert.match(res.stderr, /python3 -m venv /);
      assert.match(
        res.stderr,
        /pip install --index-url file:\/\/\/opt\/pypi\/simple --extra-index-url file:\/\/\/opt\/pypi-more\/simple/,
      );
      assert.match(res.stderr, /huggingface_hub transformers torch/);
      assert.match(res.stderr, /MODELVET_CONFORMANCE_VENV/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
