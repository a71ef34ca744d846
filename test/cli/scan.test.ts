import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BIN, REPO_ROOT, runCli, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as {
  version: string;
};

describe("modelvet CLI basics", () => {
  test("--version prints the package version", async () => {
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  test("--help lists the scan command and exits 0", async () => {
    const r = await runCli(["--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /scan \[options\] <path\.\.\.>/);
  });

  test("scan --help shows examples and the exit codes", async () => {
    const r = await runCli(["scan", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Examples:/);
    assert.match(r.stdout, /1 something blocks/);
  });

  test("a reader that closes early (| head) does not crash the CLI", async () => {
    const result = spawnSync(
      "bash",
      [
        "-c",
        `node "${BIN}" scan fixtures/pickle --format json | head -1; echo "status \${PIPESTATUS[0]}"`,
      ],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    );
    assert.match(result.stdout, /^\{\n/);
    assert.match(result.stdout, /status 1/, "the verdict still sets the exit code");
    assert.doesNotMatch(result.stderr, /EPIPE|Unhandled/);
  });

  test("--jobs 1, 3 and auto report exactly the same; a bad --jobs is a usage error", async () => {
    // Two areas, not all of fixtures/ (test/app/scan-threads.test.ts compares the threads on a
    // sample of every area): what is tested here is that --jobs reaches the pool.
    for (const [folder, jobs] of [
      ["fixtures/pickle", []],
      ["fixtures/containers", ["--jobs", "3"]],
    ] as const) {
      const one = await runCliInProcess(["scan", "--format", "json", "--jobs", "1", folder]);
      assert.ok(JSON.parse(one.stdout).files.length >= 90, "enough files for the pool");
      const other = await runCliInProcess(["scan", "--format", "json", ...jobs, folder]);
      assert.equal(other.code, one.code);
      assert.equal(other.stdout, one.stdout);
    }
    for (const bad of ["0", "65", "1.5", "two", ""]) {
      const r = await runCliInProcess(["scan", "--jobs", bad, "README.md"]);
      assert.equal(r.code, 2, `--jobs ${JSON.stringify(bad)}`);
      assert.match(r.stderr, /--jobs takes auto or a whole number/);
    }
  });

  test("an unknown command is a usage error (exit 2)", async () => {
    const r = await runCliInProcess(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command/);
  });

  test("an invalid --format is a usage error (exit 2)", async () => {
    const r = await runCliInProcess(["scan", "--format", "xml", "README.md"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /xml/);
  });
});

describe("modelvet scan on local files", () => {
  let dir: { path: string; cleanup: () => void };
  before(() => {
    dir = tempDir();
    mkdirSync(join(dir.path, "model"));
    writeFileSync(join(dir.path, "model", "README.md"), "# A model card\n\nNothing to see here.\n");
    writeFileSync(join(dir.path, "model", "config.json"), '{"hidden_size": 8}\n');
    writeFileSync(join(dir.path, "outside.txt"), "outside the scanned tree\n");
    symlinkSync(join(dir.path, "outside.txt"), join(dir.path, "model", "link-out.txt"));
    writeFileSync(join(dir.path, "blob.bin"), Buffer.from([0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]));
  });
  after(() => dir.cleanup());

  test("a missing path is an input error (exit 2) naming the path", async () => {
    const missing = join(dir.path, "nope.bin");
    const r = await runCliInProcess(["scan", missing]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No such file or folder/);
    assert.ok(r.stderr.includes(missing));
  });

  test("plain text and JSON files are clean", async () => {
    const r = await runCliInProcess([
      "scan",
      join(dir.path, "model", "README.md"),
      join(dir.path, "model", "config.json"),
    ]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /2 file\(s\): 2 clean/);
    assert.match(r.stdout, /Nothing blocks\./);
  });

  test("a symlink out of the scanned folder is not followed and blocks", async () => {
    const r = await runCliInProcess(["scan", "--format", "json", join(dir.path, "model")]);
    assert.equal(r.code, 1);
    const report = JSON.parse(r.stdout) as {
      files: { path: string; format: string; verdict: string; findings: { code: string }[] }[];
    };
    const link = report.files.find((f) => f.path.endsWith("link-out.txt"));
    assert.ok(link, "the link is listed");
    assert.equal(link.verdict, "unscannable");
    assert.equal(link.format, "symlink");
    assert.equal(report.files.filter((f) => f.verdict === "clean").length, 2);
  });

  test("bytes that match no format are unscannable and block (fail closed)", async () => {
    const r = await runCliInProcess(["scan", join(dir.path, "blob.bin")]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /UNSC .*blob\.bin/);
  });

  test("--format json has the documented shape and --output writes it to a file", async () => {
    const out = join(dir.path, "report.json");
    const r = await runCliInProcess([
      "scan",
      "--format",
      "json",
      "--output",
      out,
      join(dir.path, "model", "config.json"),
    ]);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, "", "nothing on stdout when --output is given");
    const report = JSON.parse(readFileSync(out, "utf8")) as Record<string, unknown>;
    assert.deepEqual(report.tool, { name: "modelvet", version: pkg.version });
    assert.deepEqual(report.summary, {
      files: 1,
      findings: 0,
      clean: 1,
      suspicious: 0,
      unscannable: 0,
      malicious: 0,
    });
    const files = report.files as { path: string; format: string; verdict: string }[];
    assert.equal(files.length, 1);
    assert.equal(files[0]?.format, "json");
    assert.equal(files[0]?.verdict, "clean");
  });

  test("--quiet leaves clean files out of the text report", async () => {
    const r = await runCliInProcess([
      "scan",
      "--quiet",
      join(dir.path, "model", "config.json"),
      join(dir.path, "blob.bin"),
    ]);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.stdout, /config\.json/);
    assert.match(r.stdout, /blob\.bin/);
  });
});
