#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's built-in runner through tsx.
// Node 20's --test does not expand globs or pick up .ts files, so we list them here.
// Optional arguments narrow the run to paths that contain any of the given substrings.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative } from "node:path";

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...collect(path));
    else if (entry.isFile() && entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = collect("test")
  .map((f) => relative(".", f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files matched");
  process.exit(1);
}
// Test files run in parallel processes. Node 20 runs one fewer than the cores, which is one file
// at a time on a 2-core machine, while most files spend much of their time waiting on a child CLI
// or a loopback server: one per core plus one keeps both cores busy. MODELVET_TEST_CONCURRENCY
// overrides it (1 runs the files one after another).
const concurrency = Number(process.env.MODELVET_TEST_CONCURRENCY) || availableParallelism() + 1;
const result = spawnSync(
  process.execPath,
  [
    "--import",
    "tsx",
    "--test",
    "--test-reporter=spec",
    `--test-concurrency=${concurrency}`,
    // A test file that hangs fails after eight minutes instead of holding CI until its cap (Node 20
    // applies the timeout to each file's run as a whole; the slowest files take 1-3 minutes on an
    // idle 2-core machine, longer while other files run beside them).
    "--test-timeout=480000",
    ...files,
  ],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
