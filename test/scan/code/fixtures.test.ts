/**
 * The committed fixtures in fixtures/code (made by fixtures/gen/code.py): every file has the bytes
 * the manifest says, scanning it alone gives the manifest's verdict, and scanning its folder (the
 * whole pipeline, trust_remote_code pass included) gives the folder's verdicts.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { scanPaths } from "../../../src/app/scan.js";
import type { ScanNode } from "../../../src/core/report.js";
import { worstVerdict } from "../../../src/core/verdict.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";

const ROOT = fileURLToPath(new URL("../../../fixtures/code/", import.meta.url));

interface Entry {
  path: string;
  sha256: string;
  verdict: string;
  codes?: string[];
  folder: string;
  technique: string;
  pair?: string;
  remoteCodeVerdict?: string;
  remoteCodeCodes?: string[];
  folderVerdict?: string;
}

const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as {
  files: Entry[];
};
const policy = loadScanPolicy();

function codes(node: ScanNode): string[] {
  return [...node.findings.map((f) => f.code), ...(node.members ?? []).flatMap(codes)];
}

describe("fixtures/code files", () => {
  for (const entry of manifest.files) {
    test(`${entry.path} → ${entry.verdict}`, async () => {
      const bytes = readFileSync(join(ROOT, entry.path));
      assert.equal(
        createHash("sha256").update(bytes).digest("hex"),
        entry.sha256,
        "bytes differ from the manifest",
      );
      const node = await scanSource(bytesSource(bytes), { policy, path: entry.path });
      assert.equal(node.verdict, entry.verdict, JSON.stringify(node.findings, null, 1));
      for (const code of entry.codes ?? []) {
        assert.ok(codes(node).includes(code), `${code} missing`);
      }
    });
  }
});

describe("fixtures/code folders (full scan pipeline)", () => {
  for (const config of manifest.files.filter((e) => e.path.endsWith("/config.json"))) {
    test(`${config.folder}: config ${config.remoteCodeVerdict}, folder ${config.folderVerdict}`, async () => {
      const report = await scanPaths({ paths: [join(ROOT, config.folder)], policy });
      const node = report.files.find((f) => f.path.endsWith("/config.json"));
      assert.ok(node);
      assert.equal(node.verdict, config.remoteCodeVerdict, JSON.stringify(node.findings, null, 1));
      assert.equal(worstVerdict(report.files.map((f) => f.verdict)), config.folderVerdict);
      assert.ok((config.remoteCodeCodes ?? []).length > 0);
      for (const code of config.remoteCodeCodes ?? [])
        assert.ok(codes(node).includes(code), `${code} missing`);
      assert.ok(node.summary?.remoteCode, "summary.remoteCode is set");
    });
  }

  test("every technique has a malicious and a benign folder", () => {
    const folders = new Set(manifest.files.map((e) => e.folder));
    for (const e of manifest.files) {
      if (e.pair) assert.ok(folders.has(e.pair), `${e.folder} pairs with missing ${e.pair}`);
    }
    const techniques = new Set(manifest.files.filter((e) => e.pair).map((e) => e.technique));
    assert.ok(techniques.size >= 11, `only ${techniques.size} techniques`);
  });
});
