/**
 * Regression fixtures of the differential fuzzer (fixtures/differential, made by
 * fixtures/gen/differential.py). Each manifest entry carries what the real Python readers imported
 * from the file (tools/oracle/oracle.py output, recorded when the fixture was made), so this test
 * needs no Python: modelvet's scanner must name every global the oracle recorded (or find it
 * allowlisted) and must not call the file clean.
 *
 * Entries marked `known` still disagree on this branch because the fix belongs to another area
 * (the pickle and container scanners). They are asserted to STILL disagree: when a fix lands,
 * that assertion fails on purpose, and the entry moves out of the known list (see the generator).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { scanSource } from "../../src/scan/dispatch.js";
import { bytesSource } from "../../src/scan/source.js";
import { compare, type OracleRecord } from "../../tools/fuzz/compare.js";

const DIR = join(import.meta.dirname, "..", "..", "fixtures", "differential");

interface Entry {
  path: string;
  known: boolean;
  disagreement: string;
  description: string;
  oracle: OracleRecord & { versions: Record<string, string> };
}

const manifest = JSON.parse(readFileSync(join(DIR, "manifest.json"), "utf8")) as {
  files: Entry[];
};
const policy = loadScanPolicy();

async function disagreements(entry: Entry) {
  const bytes = readFileSync(join(DIR, entry.path));
  const node = await scanSource(bytesSource(bytes), { policy, path: entry.path });
  const found = compare(entry.oracle, node, policy.pickle).map((d) => d.detail);
  const clean = node.verdict === "clean" && entry.oracle.globals.length > 0;
  if (clean)
    found.push(`modelvet says clean; the readers import ${JSON.stringify(entry.oracle.globals)}`);
  return found;
}

describe("differential regression fixtures", () => {
  it("every fixture records at least one global a real reader imported", () => {
    assert.ok(manifest.files.length >= 5);
    for (const entry of manifest.files) {
      assert.ok(entry.oracle.globals.length > 0, `${entry.path}: the oracle recorded no import`);
      assert.ok(entry.oracle.versions.python, `${entry.path}: no interpreter version recorded`);
    }
  });

  for (const entry of manifest.files.filter((e) => !e.known)) {
    it(`${entry.path}: modelvet names every global the readers import and does not pass it`, async () => {
      assert.deepEqual(await disagreements(entry), []);
    });
  }

  for (const entry of manifest.files.filter((e) => e.known)) {
    it(`known (fixed in the pickle/container scanners, not here): ${entry.path} still disagrees`, async () => {
      const found = await disagreements(entry);
      assert.ok(
        found.length > 0,
        `${entry.path} no longer disagrees with the real readers: it is fixed. Set known=False in fixtures/gen/differential.py, record the new verdict and regenerate the area.`,
      );
    });
  }
});
