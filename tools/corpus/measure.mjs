#!/usr/bin/env node
// Scans a corpus made by tools/corpus/generate.py with the built CLI and prints the benign clean
// rate: every file the libraries wrote should be clean. Usage:
//   node tools/corpus/measure.mjs CORPUS_DIR [--json]
// Prints the rate overall and per entry, and every file that is not clean with its findings.
// Exits 1 when any file is malicious or the clean rate is under 99.5%.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = process.argv[2];
if (!root) {
  console.error("usage: node tools/corpus/measure.mjs CORPUS_DIR [--json]");
  process.exit(2);
}
const bin = fileURLToPath(new URL("../../bin/modelvet.js", import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
const run = spawnSync(process.execPath, [bin, "scan", root, "--format", "json", "--jobs", "1"], {
  maxBuffer: 1 << 30,
  encoding: "utf8",
});
if (run.status !== 0 && run.status !== 1) {
  console.error(run.stderr);
  process.exit(2);
}
const report = JSON.parse(run.stdout);
const entryOf = (path) => relative(root, path).split("/")[0];
const byEntry = new Map();
const bad = [];
for (const file of report.files) {
  if (relative(root, file.path) === "manifest.json") continue;
  const e = entryOf(file.path);
  const stats = byEntry.get(e) ?? { files: 0, clean: 0 };
  stats.files++;
  if (file.verdict === "clean") stats.clean++;
  else {
    const codes = [];
    const walk = (node, where) => {
      for (const f of node.findings ?? [])
        codes.push(`${where}${f.code}${f.global ? ` ${f.global.module}.${f.global.name}` : ""}`);
      for (const m of node.members ?? []) walk(m, `${m.path}: `);
    };
    walk(file, "");
    bad.push({
      path: relative(root, file.path),
      verdict: file.verdict,
      format: file.format,
      codes: [...new Set(codes)].slice(0, 8),
    });
  }
  byEntry.set(e, stats);
}
const total = [...byEntry.values()].reduce(
  (a, s) => ({ files: a.files + s.files, clean: a.clean + s.clean }),
  { files: 0, clean: 0 },
);
const failedEntries = manifest.entries.filter((e) => e.error).map((e) => `${e.entry}: ${e.error}`);
const rate = total.files === 0 ? 0 : total.clean / total.files;
if (process.argv.includes("--json")) {
  console.log(
    JSON.stringify(
      { total, rate, byEntry: Object.fromEntries(byEntry), bad, failedEntries },
      null,
      2,
    ),
  );
} else {
  for (const [e, s] of [...byEntry].sort())
    console.log(`${s.clean === s.files ? "ok  " : "FAIL"} ${e}: ${s.clean}/${s.files} clean`);
  for (const b of bad)
    console.log(
      `  ${b.verdict.padEnd(11)} ${b.path} [${b.format}]\n      ${b.codes.join("\n      ")}`,
    );
  for (const f of failedEntries) console.log(`  generator failed: ${f}`);
  console.log(
    `\n${total.clean}/${total.files} benign files clean (${(rate * 100).toFixed(2)}%), ${bad.filter((b) => b.verdict === "malicious").length} malicious.`,
  );
}
process.exit(rate >= 0.995 && !bad.some((b) => b.verdict === "malicious") ? 0 : 1);
