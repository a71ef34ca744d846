/**
 * SARIF output validated against the published SARIF 2.1.0 JSON schema (the SchemaStore copy
 * that ships in @microsoft/jest-sarif; it is draft-04, hence ajv-draft-04), plus what GitHub code
 * scanning needs on top: rule help, per-rule security-severity, %SRCROOT%-relative URIs, a region
 * on every result and fingerprints that do not change between runs or checkout folders.
 */
import assert from "node:assert/strict";
import { copyFileSync, cpSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import type { ReportItem } from "../../src/cli/render/report-items.js";
import { FINGERPRINT_KEY, renderSarif, scanReportToSarif } from "../../src/cli/render/sarif.js";
import { finding } from "../../src/core/finding.js";
import { makeNode, makeReport } from "../../src/core/report.js";
import { REPO_ROOT, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const require = createRequire(import.meta.url);
const schemaPath = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
// The CommonJS default export is the class itself at run time; its typings describe it as a namespace.
const Ajv = AjvDraft04 as unknown as typeof AjvDraft04.default;
// unicodeRegExp: false because one pattern in the published schema is not valid with the u flag.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
(addFormats as unknown as typeof addFormats.default)(ajv);
const validate = ajv.compile(schema);

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  partialFingerprints: Record<string, string>;
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string; uriBaseId?: string };
      region: { startLine: number; startColumn?: number; byteOffset?: number; byteLength?: number };
    };
    logicalLocations?: { fullyQualifiedName: string; name?: string }[];
  }[];
}
interface SarifRule {
  id: string;
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri: string;
  defaultConfiguration: { level: string };
  properties: { "security-severity": string; tags: string[] };
}
interface SarifLog {
  runs: {
    tool: { driver: { informationUri: string; rules: SarifRule[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    results: SarifResult[];
  }[];
}

function assertValid(text: string): SarifLog {
  const log = JSON.parse(text) as unknown;
  const ok = validate(log);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  return log as SarifLog;
}

const PLACE = { root: "/work/checkout", cwd: "/work/checkout" };

function lockItem(line: number | undefined, model = "acme/model"): ReportItem {
  return {
    finding: finding("DIGEST_MISMATCH", "malicious", "Digest differs.", {
      expected: "sha256:aa",
      actual: "sha256:bb",
    }),
    uri: "models.lock",
    inRoot: true,
    fingerprintPath: "models.lock",
    line,
    logical: `${model}/model.safetensors`,
  };
}

describe("SARIF output", () => {
  test("a scan report becomes a valid SARIF log with one rule per finding code", () => {
    const member = makeNode({
      path: "archive/data.pkl",
      format: "pickle",
      findings: [
        finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "Imports os.system.", {
          offset: 12,
          global: { module: "os", name: "system" },
        }),
        finding("PICKLE_UNKNOWN_GLOBAL", "suspicious", "Imports acme.Thing."),
        finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "Imports posix.system.", { offset: 40 }),
      ],
    });
    const file = makeNode({
      path: "model/pytorch_model.bin",
      format: "zip",
      findings: [],
      members: [member],
    });
    const log = assertValid(scanReportToSarif(makeReport("0.1.0", [file]), PLACE));
    const run = log.runs[0]!;
    assert.deepEqual(
      run.tool.driver.rules.map((r) => r.id),
      ["PICKLE_DANGEROUS_GLOBAL", "PICKLE_UNKNOWN_GLOBAL"],
    );
    assert.equal(run.results.length, 3);
    assert.equal(run.results[0]?.level, "error");
    assert.equal(run.results[1]?.level, "warning");
    assert.equal(run.results[1]?.ruleIndex, 1);
    // A finding inside a container points at the container file, the member in message and
    // logical location; the offset is in the member, so it is no byte offset of the file.
    const loc = run.results[0]!.locations[0]!;
    assert.deepEqual(loc.physicalLocation.artifactLocation, {
      uri: "model/pytorch_model.bin",
      uriBaseId: "%SRCROOT%",
    });
    assert.deepEqual(loc.physicalLocation.region, { startLine: 1 });
    assert.equal(
      loc.logicalLocations?.[0]?.fullyQualifiedName,
      "model/pytorch_model.bin!archive/data.pkl",
    );
    assert.match(run.results[0]!.message.text, /^archive\/data\.pkl: Imports os\.system\./);
    assert.deepEqual(run.originalUriBaseIds, { "%SRCROOT%": { uri: "file:///work/checkout/" } });
  });

  test("every rule has a full description, markdown help, a help URI and the README as information URI", () => {
    const log = assertValid(
      scanReportToSarif(
        makeReport("0.1.0", [
          makeNode({
            path: "x.pkl",
            format: "pickle",
            findings: [finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "Imports os.system.")],
          }),
        ]),
        PLACE,
      ),
    );
    const driver = log.runs[0]!.tool.driver;
    assert.equal(driver.informationUri, "https://github.com/modelvet/modelvet#readme");
    const rule = driver.rules[0]!;
    assert.match(rule.fullDescription.text, /runs? (any )?command/);
    assert.match(rule.help.markdown, /\*\*Why it matters\.\*\*/);
    assert.match(rule.help.markdown, /\*\*What to do\.\*\*.*weights_only=True/s);
    assert.equal(rule.helpUri, "https://github.com/modelvet/modelvet#finding-codes");
    assert.ok(rule.properties.tags.includes("security"));
  });

  test("a rule's security-severity and level are the worst over its findings, whatever comes first", () => {
    const findings = [
      finding("UNSCANNABLE", "clean", "Only a note.", { severity: "info" }),
      finding("UNSCANNABLE", "unscannable", "Truncated."),
    ];
    const log = assertValid(
      renderSarif(
        findings.map((f, i) => ({
          finding: f,
          uri: `f${i}.bin`,
          inRoot: true,
          fingerprintPath: `f${i}.bin`,
        })),
        { version: "0.1.0", root: "/r" },
      ),
    );
    const rule = log.runs[0]!.tool.driver.rules[0]!;
    assert.equal(rule.properties["security-severity"], "8.0");
    assert.equal(rule.defaultConfiguration.level, "error");
  });

  test("results can point at a line of models.lock", () => {
    const log = assertValid(renderSarif([lockItem(17)], { version: "0.1.0", root: "/r" }));
    const result = log.runs[0]!.results[0]!;
    assert.deepEqual(result.locations[0]!.physicalLocation.region, { startLine: 17 });
    assert.equal(result.locations[0]!.physicalLocation.artifactLocation.uriBaseId, "%SRCROOT%");
  });

  test("byte offsets in a file and lines in source are regions", () => {
    const report = makeReport("0.1.0", [
      makeNode({
        path: "evil.pkl",
        format: "pickle",
        findings: [finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "os.system", { offset: 2 })],
      }),
      makeNode({
        path: "m/modeling.py",
        format: "python",
        findings: [finding("PYTHON_DANGEROUS", "malicious", "os.system", { line: 7, column: 5 })],
      }),
    ]);
    const log = assertValid(scanReportToSarif(report, PLACE));
    const [pickle, python] = log.runs[0]!.results;
    assert.deepEqual(pickle!.locations[0]!.physicalLocation.region, {
      startLine: 1,
      byteOffset: 2,
      byteLength: 1,
    });
    assert.deepEqual(python!.locations[0]!.physicalLocation.region, {
      startLine: 7,
      startColumn: 5,
    });
  });

  test("fingerprints are stable, distinct per finding, and hold no path outside the root", () => {
    const a = assertValid(
      renderSarif([lockItem(3), lockItem(9, "acme/other")], { version: "0.1.0", root: "/a" }),
    );
    const b = assertValid(
      renderSarif([lockItem(4), lockItem(9, "acme/other")], { version: "0.2.0", root: "/b" }),
    );
    const printsA = a.runs[0]!.results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]);
    const printsB = b.runs[0]!.results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]);
    assert.match(printsA[0]!, /^[0-9a-f]{64}$/);
    // The lock line moved (another model was added above): still the same alert.
    assert.deepEqual(printsA, printsB);
    assert.notEqual(printsA[0], printsA[1]);
    // Two identical findings in one place still get two fingerprints.
    const twice = assertValid(
      renderSarif([lockItem(3), lockItem(3)], { version: "0.1.0", root: "/a" }),
    );
    const [x, y] = twice.runs[0]!.results.map((r) => r.partialFingerprints[FINGERPRINT_KEY]);
    assert.notEqual(x, y);
  });

  test("a file outside the source root gets a file:// URI and a fingerprint from its cache path", () => {
    const report = makeReport("0.1.0", [
      makeNode({
        path: "/home/u/.cache/huggingface/hub/models--acme--m/snapshots/abc/model.pkl",
        format: "pickle",
        findings: [finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "os.system", { offset: 2 })],
      }),
    ]);
    const other = makeReport("0.1.0", [
      makeNode({
        path: "/root/.cache/huggingface/hub/models--acme--m/snapshots/abc/model.pkl",
        format: "pickle",
        findings: [finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "os.system", { offset: 2 })],
      }),
    ]);
    const one = assertValid(scanReportToSarif(report, PLACE)).runs[0]!.results[0]!;
    const two = assertValid(scanReportToSarif(other, PLACE)).runs[0]!.results[0]!;
    assert.deepEqual(one.locations[0]!.physicalLocation.artifactLocation, {
      uri: "file:///home/u/.cache/huggingface/hub/models--acme--m/snapshots/abc/model.pkl",
    });
    assert.equal(
      one.partialFingerprints[FINGERPRINT_KEY],
      two.partialFingerprints[FINGERPRINT_KEY],
    );
  });

  test("an empty run is valid", () => {
    assertValid(renderSarif([], { version: "0.1.0", root: "/r" }));
  });

  test("the validator does reject a broken log (the check can fail)", () => {
    assert.equal(validate({ version: "2.1.0", runs: [{ results: [] }] }), false);
  });
});

describe("SARIF from the built CLI, in two checkout folders", () => {
  const dirs: { path: string; cleanup: () => void }[] = [];
  after(() => {
    for (const d of dirs) d.cleanup();
  });

  /** A checkout: a git folder holding a malicious pickle and a model folder with custom code. */
  function checkout(): string {
    const dir = tempDir("modelvet-checkout-");
    dirs.push(dir);
    mkdirSync(join(dir.path, ".git"));
    mkdirSync(join(dir.path, "models"));
    copyFileSync(
      join(REPO_ROOT, "fixtures/pickle/malicious/dumped-reduce-posix-system-p2.pkl"),
      join(dir.path, "models/evil.pkl"),
    );
    cpSync(
      join(REPO_ROOT, "fixtures/code/exec-base64-malicious"),
      join(dir.path, "models/custom"),
      {
        recursive: true,
      },
    );
    return dir.path;
  }

  async function sarifOf(root: string): Promise<SarifLog> {
    // An absolute path argument, as a user or an action passes it.
    const run = await runCliInProcess(["scan", join(root, "models"), "--format", "sarif"], {
      cwd: root,
      env: { GITHUB_WORKSPACE: "", CI_PROJECT_DIR: "" },
    });
    assert.equal(run.code, 1, run.stderr);
    return assertValid(run.stdout);
  }

  test("the same findings get the same repository-relative URIs and fingerprints", async () => {
    const [one, two] = [checkout(), checkout()];
    const [a, b] = [await sarifOf(one), await sarifOf(two)];
    const view = (log: SarifLog) =>
      log.runs[0]!.results.map((r) => ({
        rule: r.ruleId,
        uri: r.locations[0]!.physicalLocation.artifactLocation,
        region: r.locations[0]!.physicalLocation.region,
        print: r.partialFingerprints[FINGERPRINT_KEY],
      }));
    assert.ok(a.runs[0]!.results.length >= 2);
    assert.deepEqual(view(a), view(b));
    const uris = new Set(view(a).map((v) => v.uri.uri));
    assert.ok(uris.has("models/evil.pkl"), [...uris].join(", "));
    for (const v of view(a)) assert.equal(v.uri.uriBaseId, "%SRCROOT%");
    // The checkout folder appears only as %SRCROOT% itself.
    const text = JSON.stringify(a.runs[0]!.results);
    assert.ok(!text.includes(one), "no absolute checkout path in results");
    assert.equal(a.runs[0]!.originalUriBaseIds["%SRCROOT%"]!.uri, `file://${one}/`);
  });
});
