/**
 * Every container fixture (fixtures/containers/manifest.json, made by fixtures/gen/containers.py
 * with the real tools) goes through scanSource with the shipped policy and must get the verdict
 * and finding codes the manifest records.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";

const ROOT = join("fixtures", "containers");

interface ManifestEntry {
  path: string;
  sha256: string;
  verdict: string;
  codes?: string[];
  description: string;
  technique?: string;
}

const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as {
  files: ManifestEntry[];
};
const policy = loadScanPolicy();

function allCodes(node: ScanNode, out = new Set<string>()): Set<string> {
  for (const f of node.findings) out.add(f.code);
  for (const m of node.members ?? []) allCodes(m, out);
  return out;
}

function show(node: ScanNode, indent = ""): string {
  const lines = [`${indent}${node.verdict} ${node.path} [${node.format}]`];
  for (const f of node.findings) lines.push(`${indent}  - ${f.code} (${f.verdict}): ${f.message}`);
  for (const m of node.members ?? []) lines.push(show(m, `${indent}    `));
  return lines.join("\n");
}

describe("container fixtures through scanSource", () => {
  it("the manifest lists files", () => assert.ok(manifest.files.length > 50));
  for (const entry of manifest.files) {
    it(`${entry.path}: ${entry.verdict} (${entry.description})`, async () => {
      const bytes = readFileSync(join(ROOT, entry.path));
      assert.equal(createHash("sha256").update(bytes).digest("hex"), entry.sha256, "sha256");
      const node = await scanSource(bytesSource(bytes), { policy, path: entry.path });
      assert.equal(node.verdict, entry.verdict, show(node));
      const codes = allCodes(node);
      for (const code of entry.codes ?? [])
        assert.ok(codes.has(code), `${code} missing\n${show(node)}`);
    });
  }

  it("every C-technique has a malicious or blocking fixture and a clean counterpart where one exists", () => {
    const byTechnique = new Map<string, Set<string>>();
    for (const e of manifest.files) {
      if (!e.technique) continue;
      const set = byTechnique.get(e.technique) ?? new Set();
      set.add(e.verdict);
      byTechnique.set(e.technique, set);
    }
    for (const t of ["C1", "C2", "C3", "C4", "C5", "C6", "C7", "C9", "C12"]) {
      const verdicts = byTechnique.get(t);
      assert.ok(verdicts?.has("malicious"), `${t} malicious`);
      assert.ok(verdicts?.has("clean"), `${t} clean`);
    }
    assert.ok(byTechnique.get("C8")?.has("unscannable"));
    assert.ok(byTechnique.get("C11")?.has("malicious"));
  });
});
