/**
 * `--format codequality`: GitLab's Code Quality report, validated against the schema written from
 * GitLab's documented fields (test/schemas/gitlab-codequality.json), for `scan` and for `ci`.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import Ajv from "ajv";
import { renderCodeQuality, scanReportToCodeQuality } from "../../src/cli/render/codequality.js";
import { finding } from "../../src/core/finding.js";
import { makeNode, makeReport } from "../../src/core/report.js";
import { REPO_ROOT, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const schema = JSON.parse(
  readFileSync(join(REPO_ROOT, "test/schemas/gitlab-codequality.json"), "utf8"),
) as Record<string, unknown>;
// The CommonJS default export is the class itself at run time.
const AjvClass = Ajv as unknown as typeof Ajv.default;
const validate = new AjvClass({ allErrors: true }).compile(schema);

interface Issue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: string;
  location: { path: string; lines: { begin: number } };
}

function assertValid(text: string): Issue[] {
  const issues = JSON.parse(text) as unknown;
  assert.ok(validate(issues), JSON.stringify(validate.errors, null, 2));
  return issues as Issue[];
}

describe("GitLab Code Quality output", () => {
  test("findings become issues with repository-relative paths, lines and GitLab severities", () => {
    const report = makeReport("0.1.0", [
      makeNode({
        path: "/ck/models/evil.pkl",
        format: "pickle",
        findings: [finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "os.system", { offset: 2 })],
      }),
      makeNode({
        path: "models/m/modeling.py",
        format: "python",
        findings: [finding("PYTHON_SUSPICIOUS", "suspicious", "odd", { line: 7 })],
      }),
    ]);
    const issues = assertValid(scanReportToCodeQuality(report, { root: "/ck", cwd: "/ck" }));
    assert.deepEqual(
      issues.map((i) => [i.check_name, i.severity, i.location.path, i.location.lines.begin]),
      [
        ["PICKLE_DANGEROUS_GLOBAL", "blocker", "models/evil.pkl", 1],
        ["PYTHON_SUSPICIOUS", "major", "models/m/modeling.py", 7],
      ],
    );
    assert.match(issues[0]!.description, /^PICKLE_DANGEROUS_GLOBAL: os\.system/);
    assert.match(issues[0]!.fingerprint, /^[0-9a-f]{64}$/);
  });

  test("no findings is an empty array, which GitLab accepts", () => {
    assert.deepEqual(assertValid(renderCodeQuality([])), []);
  });

  test("the schema rejects what GitLab cannot use (the check can fail)", () => {
    const good = {
      description: "d",
      check_name: "C",
      fingerprint: "f",
      severity: "major",
      location: { path: "a/b", lines: { begin: 1 } },
    };
    assert.ok(validate([good]));
    assert.equal(validate([{ ...good, severity: "error" }]), false);
    assert.equal(validate([{ ...good, location: { path: "/abs/b", lines: { begin: 1 } } }]), false);
    assert.equal(validate([{ ...good, location: { path: "a" } }]), false);
  });

  test("modelvet scan --format codequality from the built CLI, with an absolute path argument", async () => {
    const dir = tempDir("modelvet-gitlab-");
    try {
      mkdirSync(join(dir.path, ".git"));
      mkdirSync(join(dir.path, "models"));
      copyFileSync(
        join(REPO_ROOT, "fixtures/pickle/malicious/dumped-reduce-posix-system-p2.pkl"),
        join(dir.path, "models/evil.pkl"),
      );
      const run = await runCliInProcess(
        ["scan", join(dir.path, "models"), "--format", "codequality", "--output", "gl-cq.json"],
        { cwd: dir.path, env: { GITHUB_WORKSPACE: "", CI_PROJECT_DIR: dir.path } },
      );
      assert.equal(run.code, 1, run.stderr);
      const issues = assertValid(readFileSync(join(dir.path, "gl-cq.json"), "utf8"));
      assert.ok(issues.length > 0);
      for (const issue of issues) assert.equal(issue.location.path, "models/evil.pkl");
    } finally {
      dir.cleanup();
    }
  });
});
