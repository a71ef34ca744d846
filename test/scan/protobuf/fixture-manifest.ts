/** Reads fixtures/formats/manifest.json (written by fixtures/gen/formats.py) for the tests. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { Budget } from "../../../src/scan/budget.js";
import type { ScanContext } from "../../../src/scan/context.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import type { ScanPolicy } from "../../../src/scan/policy.js";
import { bytesSource } from "../../../src/scan/source.js";

/** One entry of the manifest (format defined in fixtures/README.md; `format` is ours). */
export interface FormatFixture {
  path: string;
  sha256: string;
  verdict: string;
  codes?: string[];
  format: string;
  technique: string;
}

const ROOT = join("fixtures", "formats");

/** The shipped policy (the Keras part decides keras_metadata.pb; the rest is unused here). */
export const emptyPolicy: ScanPolicy = loadScanPolicy();

export function formatFixtures(prefix: string): FormatFixture[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as {
    files: FormatFixture[];
  };
  return manifest.files.filter((f) => f.path.startsWith(prefix));
}

/** Reads a fixture, checks its digest against the manifest, and scans it through scanSource. */
export async function scanFixture(fixture: FormatFixture): Promise<ScanNode> {
  const data = readFileSync(join(ROOT, fixture.path));
  assert.equal(createHash("sha256").update(data).digest("hex"), fixture.sha256, "fixture digest");
  return scanSource(bytesSource(data), { policy: emptyPolicy, path: fixture.path });
}

/** Asserts a node against the manifest's expectation. */
export function assertExpected(node: ScanNode, fixture: FormatFixture): void {
  const detail = JSON.stringify(node.findings, null, 1);
  assert.equal(node.format, fixture.format, detail);
  assert.equal(node.verdict, fixture.verdict, detail);
  for (const code of fixture.codes ?? []) {
    assert.ok(
      node.findings.some((f) => f.code === code),
      `expected ${code}: ${detail}`,
    );
  }
  if (fixture.verdict === "clean") assert.equal(node.findings.length, 0, detail);
}

/** A context for calling a scanner directly (bypassing the dispatcher's catch-all), so a test
 * sees any exception the scanner would throw. */
export function directContext(path: string): ScanContext {
  return {
    policy: emptyPolicy,
    budget: new Budget(),
    depth: 0,
    path,
    scanChild: () => Promise.reject(new Error("format scanners have no children")),
  };
}
