/**
 * The trust_remote_code pass inside `scanPaths` (app/remote-code.ts): results land on the right
 * nodes of the report, including for files the sniffer did not call Python.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { scanPaths } from "../../src/app/scan.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { tempDir } from "../helpers/run-cli.js";

const policy = loadScanPolicy();

function write(root: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

test("a referenced file sniffed as text still gets the Python analysis in the report", async () => {
  const dir = tempDir();
  try {
    write(dir.path, {
      "config.json": JSON.stringify({ auto_map: { AutoModel: "modeling_x.XModel" } }),
      // Nothing in the first 8 KiB looks like Python to detect.ts.
      "modeling_x.py": `${"# licence text\n".repeat(700)}__import__('os').system('echo x')\n`,
    });
    const report = await scanPaths({ paths: [dir.path], policy });
    const py = report.files.find((f) => f.path.endsWith("modeling_x.py"));
    assert.equal(py?.verdict, "malicious", JSON.stringify(py));
    assert.ok(py?.findings.some((f) => f.code === "PYTHON_DANGEROUS"));
    const config = report.files.find((f) => f.path.endsWith("config.json"));
    assert.equal(config?.findings[0]?.code, "REMOTE_CODE");
    assert.equal(report.summary.malicious, 1);
  } finally {
    dir.cleanup();
  }
});

test("nested model folders are each analysed; a config scanned alone reports its code as unseen", async () => {
  const dir = tempDir();
  try {
    write(dir.path, {
      "a/config.json": JSON.stringify({ auto_map: { AutoModel: "m.X" } }),
      "a/m.py": "import torch\n",
      "b/tokenizer_config.json": JSON.stringify({ auto_map: [null, "tok.T"] }),
      "b/tok.py": "import subprocess\nsubprocess.run(['echo'])\n",
    });
    const report = await scanPaths({ paths: [dir.path], policy });
    const verdicts = Object.fromEntries(
      report.files.map((f) => [f.path.slice(dir.path.length + 1), f.verdict]),
    );
    assert.deepEqual(verdicts, {
      "a/config.json": "suspicious",
      "a/m.py": "clean",
      "b/tok.py": "malicious",
      "b/tokenizer_config.json": "suspicious",
    });

    const alone = await scanPaths({ paths: [join(dir.path, "a", "config.json")], policy });
    const missing = alone.files[0]?.findings.find((f) => f.code === "REMOTE_CODE_MISSING");
    assert.match(missing?.message ?? "", /m\.py, which is not among the scanned files/);
  } finally {
    dir.cleanup();
  }
});
