import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { InputError } from "../../src/core/errors.js";
import { finding } from "../../src/core/finding.js";
import {
  applyAcceptedFindings,
  declaredModels,
  inForce,
  parseProjectFile,
  serializeProjectFile,
} from "../../src/core/project.js";

const SHA = "a".repeat(64);

function expectConfigError(text: string, pattern: RegExp) {
  assert.throws(
    () => parseProjectFile(text),
    (error: unknown) => {
      if (!(error instanceof InputError)) throw error;
      assert.equal(error.code, "CONFIG_INVALID");
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe("modelvet.json", () => {
  test("models in both forms are normalised and sorted", () => {
    const project = parseProjectFile(
      JSON.stringify({
        models: {
          "zeta/b": "v1.0.0",
          "acme/a": { ref: "^1.2", include: ["*.json"] },
          "acme/c": {},
        },
      }),
    );
    assert.deepEqual(declaredModels(project), [
      { repo: "acme/a", ref: "^1.2", include: ["*.json"], exclude: [] },
      { repo: "acme/c", ref: undefined, include: [], exclude: [] },
      { repo: "zeta/b", ref: "v1.0.0", include: [], exclude: [] },
    ]);
  });

  test("an empty file object is a project with no models and no overrides", () => {
    const project = parseProjectFile("{}");
    assert.deepEqual(declaredModels(project), []);
    assert.deepEqual(project.policy.acceptedFindings, []);
  });

  test("errors name the file and the field", () => {
    expectConfigError("{", /modelvet\.json: not valid JSON/);
    expectConfigError('{"models": {"acme": "main"}}', /models.*org\/name repo id/);
    expectConfigError('{"models": {"acme/a@main": "main"}}', /put the ref in the value/);
    expectConfigError('{"models": {"acme/a": ""}}', /ref must not be empty/);
    expectConfigError('{"models": {"acme/a": {"ref": "main", "incl": []}}}', /incl/);
    expectConfigError('{"modles": {}}', /modles/);
    expectConfigError(
      JSON.stringify({
        policy: { acceptedFindings: [{ model: "acme/a", path: "x", sha256: SHA, code: "X" }] },
      }),
      /policy\.acceptedFindings\[0\]\.reason/,
    );
    expectConfigError(
      JSON.stringify({
        policy: {
          acceptedFindings: [
            {
              model: "acme/a",
              path: "x",
              sha256: SHA,
              code: "X",
              reason: "ok",
              expires: "2027-13-40",
            },
          ],
        },
      }),
      /expires: must be a real calendar date/,
    );
  });

  test("serialization is canonical", () => {
    const text = serializeProjectFile(parseProjectFile('{"models":{"b/b":"main","a/a":"main"}}'));
    assert.ok(text.indexOf('"a/a"') < text.indexOf('"b/b"'));
    assert.ok(text.endsWith("\n"));
  });
});

describe("accepted findings", () => {
  const unknown = finding("PICKLE_UNKNOWN_GLOBAL", "suspicious", "Imports acme.Thing.");
  const evil = finding("PICKLE_DANGEROUS_GLOBAL", "malicious", "Imports os.system.");
  const accepted = [
    {
      model: "acme/a",
      path: "model.bin",
      sha256: SHA,
      code: "PICKLE_UNKNOWN_GLOBAL",
      reason: "reviewed",
      expires: "2027-01-31",
    },
    {
      model: "acme/a",
      path: "model.bin",
      sha256: SHA,
      code: "PICKLE_DANGEROUS_GLOBAL",
      reason: "trust me",
    },
  ];
  const apply = (sha256: string, today = "2026-11-22") =>
    applyAcceptedFindings({
      model: "acme/a",
      path: "model.bin",
      sha256,
      findings: [unknown, evil],
      accepted,
      today,
    });

  test("a matching, unexpired entry turns a suspicious finding into an info finding with the reason", () => {
    const [a, b] = apply(SHA);
    assert.equal(a?.verdict, "clean");
    assert.match(a?.message ?? "", /accepted in modelvet\.json: reviewed, until 2027-01-31/);
    assert.equal(b?.verdict, "malicious", "malicious findings are never waived");
  });

  test("the acceptance lapses when the file changes", () => {
    assert.equal(apply("b".repeat(64))[0]?.verdict, "suspicious");
  });

  test("the acceptance lapses after its expiry date", () => {
    assert.equal(apply(SHA, "2027-01-31")[0]?.verdict, "clean");
    assert.equal(apply(SHA, "2027-02-01")[0]?.verdict, "suspicious");
  });

  test("inForce is inclusive of the expiry day", () => {
    assert.equal(inForce(undefined, "2030-01-01"), true);
    assert.equal(inForce("2026-11-22", "2026-11-22"), true);
    assert.equal(inForce("2026-11-21", "2026-11-22"), false);
  });
});
