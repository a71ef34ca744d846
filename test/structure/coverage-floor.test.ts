/**
 * The coverage floor of `npm test` (scripts/coverage-floor.mjs over c8's json-summary): core/ and
 * scan/ must each reach 95% of lines and of branches as a folder, and a report it cannot trust
 * fails the run instead of passing it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import ts from "typescript";
import { REPO_ROOT, tempDir } from "../helpers/run-cli.js";

const SCRIPT = join(REPO_ROOT, "scripts", "coverage-floor.mjs");
const dir = tempDir("modelvet-coverage-floor-");
after(dir.cleanup);

type Figures = { lines: [number, number]; branches: [number, number] };
const figure = ([covered, total]: [number, number]) => ({
  total,
  covered,
  skipped: 0,
  pct: total === 0 ? 100 : Math.round((covered / total) * 10000) / 100,
});
const entry = (f: Figures) => ({
  lines: figure(f.lines),
  statements: figure(f.lines),
  functions: figure([1, 1]),
  branches: figure(f.branches),
});

let count = 0;
function run(files: Record<string, Figures> | string) {
  const path = join(dir.path, `summary-${count++}.json`);
  if (typeof files === "string") writeFileSync(path, files);
  else {
    const summary: Record<string, unknown> = {};
    const sum: Figures = { lines: [0, 0], branches: [0, 0] };
    for (const [file, f] of Object.entries(files)) {
      summary[join("/repo", "src", file)] = entry(f);
      for (const m of ["lines", "branches"] as const) {
        sum[m][0] += f[m][0];
        sum[m][1] += f[m][1];
      }
    }
    summary.total = entry(sum);
    writeFileSync(path, JSON.stringify(summary));
  }
  const result = spawnSync(process.execPath, [SCRIPT, path], { encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const good: Record<string, Figures> = {
  "core/a.ts": { lines: [95, 100], branches: [19, 20] },
  "core/b.ts": { lines: [100, 100], branches: [0, 0] },
  "scan/pickle/c.ts": { lines: [190, 200], branches: [38, 40] },
  "io/d.ts": { lines: [1, 100], branches: [0, 10] },
  "version.ts": { lines: [3, 3], branches: [0, 0] },
};

describe("coverage floor", () => {
  it("passes at the floor and prints each layer and the total", () => {
    const r = run(good);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /core\/\s+lines\s+97\.50%\s+branches\s+95\.00%\s+\(2 files\)\s+floor 95% lines, 95% branches/,
    );
    // Nested folders count towards their layer.
    assert.match(r.stdout, /scan\/\s+lines\s+95\.00%\s+branches\s+95\.00%\s+\(1 file\)/);
    // Layers without a floor are shown, never fail the run.
    assert.match(r.stdout, /io\/\s+lines\s+1\.00%\s+branches\s+0\.00%/);
    assert.doesNotMatch(r.stdout, /io\/.*floor/);
    assert.match(r.stdout, /total\s+lines\s+77\.33%\s+branches\s+81\.42%/);
  });

  it("judges the folder as a whole, not each file", () => {
    // One weak file in an otherwise full folder: the folder still reaches 95%.
    const r = run({
      ...good,
      "core/a.ts": { lines: [50, 100], branches: [10, 20] },
      "core/b.ts": { lines: [1000, 1000], branches: [200, 200] },
    });
    assert.equal(r.code, 0, r.stderr);
  });

  it("fails when core/ lines are below the floor, even by one line", () => {
    // 189/200 = 94.5%, one line short of 190.
    const under = run({
      ...good,
      "core/a.ts": { lines: [189, 200], branches: [19, 20] },
      "core/b.ts": { lines: [0, 0], branches: [0, 0] },
    });
    assert.equal(under.code, 1);
    assert.match(under.stderr, /core\/ lines 94\.50% is below the floor of 95%/);
    assert.match(under.stdout, /core\/.*BELOW FLOOR \(lines < 95%\)/);
  });

  it("fails when scan/ branches are below the floor while its lines pass", () => {
    const r = run({ ...good, "scan/pickle/c.ts": { lines: [200, 200], branches: [37, 40] } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /scan\/ branches 92\.50% is below the floor of 95%/);
    assert.doesNotMatch(r.stderr, /scan\/ lines/);
  });

  it("does not round a figure up to the floor", () => {
    // 18999/20000 = 94.995%: printed as 94.99%, and below the floor.
    const r = run({ ...good, "scan/pickle/c.ts": { lines: [18999, 20000], branches: [38, 40] } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /scan\/ lines 94\.99% is below/);
  });

  it("fails closed on a report it cannot trust", () => {
    const noScan = run({ "core/a.ts": { lines: [100, 100], branches: [1, 1] } });
    assert.equal(noScan.code, 2);
    assert.match(noScan.stderr, /no file under src.scan/);

    const garbage = run("not json");
    assert.equal(garbage.code, 2);
    assert.match(garbage.stderr, /cannot read the coverage summary/);

    const missing = spawnSync(process.execPath, [SCRIPT, join(dir.path, "absent.json")], {
      encoding: "utf8",
    });
    assert.equal(missing.status, 2);

    const noBranches = run(
      JSON.stringify({
        total: entry({ lines: [1, 1], branches: [1, 1] }),
        "/repo/src/core/a.ts": { lines: figure([1, 1]) },
        "/repo/src/scan/b.ts": entry({ lines: [1, 1], branches: [1, 1] }),
      }),
    );
    assert.equal(noBranches.code, 2);
    assert.match(noBranches.stderr, /no branches figures/);
  });
});

describe("coverage configuration", () => {
  it("excludes from src/ only files with no runtime code (types only), which c8 would count as 0%", () => {
    const config = JSON.parse(readFileSync(join(REPO_ROOT, ".c8rc.json"), "utf8")) as {
      include: string[];
      exclude: string[];
    };
    assert.deepEqual(config.include, ["src/**/*.ts"]);
    const files = config.exclude.filter((p) => p.startsWith("src/"));
    assert.ok(files.length > 0);
    for (const file of files) {
      assert.doesNotMatch(file, /[*?{]/, `${file}: name each type-only file, no globs`);
      const out = ts.transpileModule(readFileSync(join(REPO_ROOT, file), "utf8"), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      const code = out.replace(/\/\/.*$/gm, "").replace(/\s+/g, "");
      assert.equal(
        code,
        "export{};",
        `${file} has runtime code; measure it instead of excluding it`,
      );
    }
  });
});
