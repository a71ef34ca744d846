/**
 * SARIF output validated against the published SARIF 2.1.0 JSON schema (the SchemaStore copy
 * that ships in @microsoft/jest-sarif; it is draft-04, hence ajv-draft-04). Dev dependencies only.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, test } from "node:test";
import AjvDraft04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { renderSarif, scanReportToSarif } from "../../src/cli/render/sarif.js";
import { finding } from "../../src/core/finding.js";
import { makeNode, makeReport } from "../../src/core/report.js";

const require = createRequire(import.meta.url);
const schemaPath = require.resolve("@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json");
const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
// The CommonJS default export is the class itself at run time; its typings describe it as a namespace.
const Ajv = AjvDraft04 as unknown as typeof AjvDraft04.default;
// unicodeRegExp: false because one pattern in the published schema is not valid with the u flag.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
(addFormats as unknown as typeof addFormats.default)(ajv);
const validate = ajv.compile(schema);

function assertValid(text: string) {
  const log = JSON.parse(text) as unknown;
  const ok = validate(log);
  assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  return log as {
    runs: { tool: { driver: { rules: { id: string }[] } }; results: Record<string, unknown>[] }[];
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
    const log = assertValid(scanReportToSarif(makeReport("0.1.0", [file])));
    const run = log.runs[0]!;
    assert.deepEqual(
      run.tool.driver.rules.map((r) => r.id),
      ["PICKLE_DANGEROUS_GLOBAL", "PICKLE_UNKNOWN_GLOBAL"],
    );
    assert.equal(run.results.length, 3);
    assert.equal(run.results[0]?.level, "error");
    assert.equal(run.results[1]?.level, "warning");
    assert.equal(run.results[1]?.ruleIndex, 1);
    assert.match(JSON.stringify(run.results[0]), /model\/pytorch_model\.bin!archive\/data\.pkl/);
  });

  test("results can point at a line of models.lock", () => {
    const text = renderSarif(
      [
        {
          finding: finding("DIGEST_MISMATCH", "malicious", "Digest differs.", {
            expected: "sha256:aa",
            actual: "sha256:bb",
          }),
          uri: "models.lock",
          line: 17,
        },
      ],
      "0.1.0",
    );
    const log = assertValid(text);
    assert.match(JSON.stringify(log.runs[0]?.results[0]), /"startLine":17/);
  });

  test("an empty run is valid", () => {
    assertValid(renderSarif([], "0.1.0"));
  });

  test("the validator does reject a broken log (the check can fail)", () => {
    assert.equal(validate({ version: "2.1.0", runs: [{ results: [] }] }), false);
  });
});
