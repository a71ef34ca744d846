#!/usr/bin/env node
// Scans corpora made by tools/corpus/generate.py with the built CLI and prints the benign clean
// rate: every file the libraries wrote should be clean. Usage:
//   node tools/corpus/measure.mjs CORPUS_DIR [CORPUS_DIR ...] [--json]
// Prints the rate overall, per corpus entry and per (library, version), the blocked files by
// reason (finding code), and every file that is not clean with its findings.
// Exits 1 when any file is malicious or the clean rate is under 99.5%.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const roots = process.argv.slice(2).filter((a) => !a.startsWith("--"));
if (roots.length === 0) {
  console.error("usage: node tools/corpus/measure.mjs CORPUS_DIR [CORPUS_DIR ...] [--json]");
  process.exit(2);
}
const bin = fileURLToPath(new URL("../../bin/modelvet.js", import.meta.url));
const byEntry = new Map();
const byLibrary = new Map();
const byReason = new Map();
const bad = [];
const failedEntries = [];
const total = { files: 0, clean: 0 };
const bump = (map, key, clean) => {
  const s = map.get(key) ?? { files: 0, clean: 0 };
  s.files++;
  if (clean) s.clean++;
  map.set(key, s);
};
for (const root of roots) {
  const corpus = basename(root);
  const manifest = JSON.parse(readFileSync(join(root, "manifest.json"), "utf8"));
  const entries = new Map(manifest.entries.map((e) => [e.entry, e]));
  for (const e of manifest.entries)
    if (e.error) failedEntries.push(`${corpus}/${e.entry}: ${e.error}`);
  const run = spawnSync(process.execPath, [bin, "scan", root, "--format", "json", "--jobs", "1"], {
    maxBuffer: 1 << 30,
    encoding: "utf8",
  });
  if (run.status !== 0 && run.status !== 1) {
    console.error(run.stderr);
    process.exit(2);
  }
  const report = JSON.parse(run.stdout);
  for (const file of report.files) {
    const rel = relative(root, file.path);
    if (rel === "manifest.json") continue;
    const entry = rel.split("/")[0];
    const meta = entries.get(entry) ?? {};
    const clean = file.verdict === "clean";
    total.files++;
    if (clean) total.clean++;
    bump(byEntry, `${corpus}/${entry}`, clean);
    bump(byLibrary, `${meta.library ?? "?"} ${meta.version ?? "?"}`, clean);
    if (clean) continue;
    const codes = [];
    const walk = (node, where) => {
      for (const f of node.findings ?? [])
        if (f.verdict !== "clean")
          codes.push(`${where}${f.code}${f.global ? ` ${f.global.module}.${f.global.name}` : ""}`);
      for (const m of node.members ?? []) walk(m, `${m.path}: `);
    };
    walk(file, "");
    const reasons = new Set(codes.map((c) => c.split(": ").pop().split(" ")[0]));
    for (const r of reasons) byReason.set(r, (byReason.get(r) ?? 0) + 1);
    bad.push({
      path: `${corpus}/${rel}`,
      verdict: file.verdict,
      format: file.format,
      codes: [...new Set(codes)].slice(0, 8),
    });
  }
}
const rate = total.files === 0 ? 0 : total.clean / total.files;
const malicious = bad.filter((b) => b.verdict === "malicious").length;
if (process.argv.includes("--json")) {
  console.log(
    JSON.stringify(
      {
        total,
        rate,
        malicious,
        byEntry: Object.fromEntries(byEntry),
        byLibrary: Object.fromEntries(byLibrary),
        blockedByReason: Object.fromEntries(byReason),
        bad,
        failedEntries,
      },
      null,
      2,
    ),
  );
} else {
  for (const [e, s] of [...byEntry].sort())
    console.log(`${s.clean === s.files ? "ok  " : "FAIL"} ${e}: ${s.clean}/${s.files} clean`);
  console.log("\nper library version:");
  for (const [l, s] of [...byLibrary].sort()) console.log(`  ${l}: ${s.clean}/${s.files} clean`);
  if (byReason.size > 0) {
    console.log("\nblocked files by reason:");
    for (const [r, n] of [...byReason].sort()) console.log(`  ${r}: ${n}`);
  }
  for (const b of bad)
    console.log(
      `  ${b.verdict.padEnd(11)} ${b.path} [${b.format}]\n      ${b.codes.join("\n      ")}`,
    );
  for (const f of failedEntries) console.log(`  generator failed: ${f}`);
  console.log(
    `\n${total.clean}/${total.files} benign files clean (${(rate * 100).toFixed(2)}%), ${malicious} malicious.`,
  );
}
process.exit(rate >= 0.995 && malicious === 0 ? 0 : 1);
