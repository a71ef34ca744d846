#!/usr/bin/env node
// Prints the coverage of src/ per layer (from c8's json-summary report) and fails when a layer with
// a floor is below it. c8's own --check-coverage checks the total or each file, not a folder's
// aggregate, which is what the floor is about: core/ and scan/ are the pure layers every verdict
// rests on, so each must stay at or above its floor for lines and for branches.
//
//   node scripts/coverage-floor.mjs [coverage/coverage-summary.json]
//
// Exit code 0 when every floor holds, 1 when one does not, 2 when the report cannot be read or has
// no file of a floored layer (fail closed: no figure is not a passing figure).
import { readFileSync } from "node:fs";
import { resolve, sep } from "node:path";

/** Percent of lines and of branches each layer (a folder under src/) must reach. */
const FLOORS = {
  core: { lines: 95, branches: 95 },
  scan: { lines: 95, branches: 95 },
};
const METRICS = ["lines", "branches"];

function fail(message) {
  console.error(`coverage-floor: ${message}`);
  process.exit(2);
}

const reportPath = resolve(process.argv[2] ?? "coverage/coverage-summary.json");
let summary;
try {
  summary = JSON.parse(readFileSync(reportPath, "utf8"));
} catch (error) {
  fail(`cannot read the coverage summary ${reportPath}: ${error.message}`);
}
if (summary === null || typeof summary !== "object") fail(`${reportPath} is not a c8 json-summary`);

/** The layer of a file: its first folder under src/ (files directly in src/ count as "src"). */
function layerOf(file) {
  const parts = file.split(/[\\/]/);
  const at = parts.lastIndexOf("src");
  if (at < 0) return undefined;
  return parts.length - at > 2 ? parts[at + 1] : "src";
}

const layers = new Map();
const add = (name, entry) => {
  const sums = layers.get(name) ?? { files: 0, lines: [0, 0], branches: [0, 0] };
  sums.files += 1;
  for (const metric of METRICS) {
    const figure = entry[metric];
    if (!figure || !Number.isInteger(figure.total) || !Number.isInteger(figure.covered)) {
      fail(`the entry for ${name} has no ${metric} figures`);
    }
    sums[metric][0] += figure.covered;
    sums[metric][1] += figure.total;
  }
  layers.set(name, sums);
};
for (const [file, entry] of Object.entries(summary)) {
  if (file === "total") continue;
  const layer = layerOf(file);
  if (layer !== undefined) add(layer, entry);
}
if (!summary.total) fail(`${reportPath} has no total`);

const pct = ([covered, total]) => (total === 0 ? 100 : (covered / total) * 100);
// Shown truncated, not rounded, so a figure printed as 95.00% has really reached 95.
const show = (figure) => `${(Math.floor(pct(figure) * 100) / 100).toFixed(2).padStart(6)}%`;

const failures = [];
const rows = [];
const names = [...layers.keys()].sort();
for (const name of Object.keys(FLOORS)) {
  if (!layers.has(name))
    fail(`the summary has no file under src${sep}${name}: was coverage collected?`);
}
for (const name of names) {
  const sums = layers.get(name);
  const floor = FLOORS[name];
  const marks = [];
  for (const metric of METRICS) {
    if (floor && pct(sums[metric]) < floor[metric]) {
      failures.push(
        `${name}/ ${metric} ${show(sums[metric]).trim()} is below the floor of ${floor[metric]}%`,
      );
      marks.push(`${metric} < ${floor[metric]}%`);
    }
  }
  const floorText = floor ? `  floor ${floor.lines}% lines, ${floor.branches}% branches` : "";
  const note = marks.length > 0 ? `  BELOW FLOOR (${marks.join(", ")})` : floorText;
  const files = `${sums.files} file${sums.files === 1 ? "" : "s"}`;
  rows.push(
    `  ${`${name}/`.padEnd(8)} lines ${show(sums.lines)}  branches ${show(sums.branches)}  (${files})${note}`,
  );
}
const total = {
  lines: [summary.total.lines.covered, summary.total.lines.total],
  branches: [summary.total.branches.covered, summary.total.branches.total],
};
console.log("Coverage of src/ (c8, mapped to the TypeScript sources):");
for (const row of rows) console.log(row);
console.log(`  ${"total".padEnd(8)} lines ${show(total.lines)}  branches ${show(total.branches)}`);
if (failures.length > 0) {
  for (const failure of failures) console.error(`coverage-floor: ${failure}`);
  process.exit(1);
}
