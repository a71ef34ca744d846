#!/usr/bin/env node
// Runs every test/**/*.test.ts file with Node's built-in test runner through tsx, one process per
// file, several files at once, and sums the results.
//
//   node scripts/run-tests.mjs [--profile] [--record] [path-substring ...]
//
// Substrings narrow the run to the files whose path contains any of them. --profile prints the
// files that cost the most CPU (user+sys of the file's process and every child it waited for,
// e.g. the CLI runs it spawned) and wall time. --record writes the wall times of this run into
// scripts/test-durations.json, which orders later runs longest first so the run does not end on
// one long file while the other cores idle.
//
// Node 20's --test does not expand globs or pick up .ts files, and reports no CPU time per file,
// so this script schedules the files itself: each runs as `node --import tsx <file>` (node:test
// runs a file's tests when the file is executed), its spec output is printed in one piece when it
// ends, and the totals come from a small reporter (scripts/test-totals-reporter.mjs).
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const DURATIONS_FILE = join(ROOT, "scripts", "test-durations.json");
const REPORTER = join(ROOT, "scripts", "test-totals-reporter.mjs");
const BATCH_ENTRY = join(ROOT, "scripts", "test-batch.mjs");
// A test file that hangs fails after eight minutes instead of holding CI until its cap (the
// slowest files take well under a minute on an idle 2-core machine, longer under load).
const FILE_TIMEOUT_MS = Number(process.env.MODELVET_TEST_FILE_TIMEOUT_MS) || 480_000;

function collect(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...collect(path));
    else if (entry.isFile() && entry.name.endsWith(".test.ts")) out.push(path);
  }
  return out;
}

const args = process.argv.slice(2);
const profile = args.includes("--profile") || process.env.MODELVET_TEST_PROFILE === "1";
const record = args.includes("--record");
const unknownFlag = args.find((a) => a.startsWith("--") && a !== "--profile" && a !== "--record");
if (unknownFlag) {
  console.error(`run-tests: unknown option ${unknownFlag} (known: --profile, --record)`);
  process.exit(2);
}
const filters = args.filter((a) => !a.startsWith("--"));

function readDurations() {
  try {
    const parsed = JSON.parse(readFileSync(DURATIONS_FILE, "utf8"));
    return parsed && typeof parsed.files === "object" && parsed.files !== null ? parsed.files : {};
  } catch {
    return {};
  }
}
const durations = readDurations();
// Longest first; a file with no recorded time (a new one) goes before all of them, since it may
// be long and a short one costs little at the start.
const weight = (f) => (typeof durations[f] === "number" ? durations[f] : Number.POSITIVE_INFINITY);
const files = collect(join(ROOT, "test"))
  .map((f) => relative(ROOT, f).split("\\").join("/"))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("run-tests: no test files matched");
  process.exit(1);
}

// Starting a file's process costs about half a second of CPU (Node, then tsx's loader), and
// loading the sources a test imports through tsx as much again: more than many a file's tests.
// So files share processes (scripts/test-batch.mjs imports them one after another; node:test runs
// their tests one at a time, in order):
// - the pure layers' files (test/core, test/scan: bytes in, findings out) that start no process,
//   thread, server or CLI and touch no process-wide state, eight to a process;
// - every other file that leaves process-wide state alone (signal or exit handlers, process.env
//   or the working directory set by the test itself, mocks, globals), a few to a process, in path
//   order, as many as fit in a share of the recorded time (so no batch makes the run's tail);
// - the rest, one process each. MODELVET_TEST_BATCH=1 gives every file its own.
const PURE_DIRS = ["test/core/", "test/scan/"];
const PROCESS_WIDE =
  /\b(runCli|runCliInProcess|startFixtureHub|child_process|worker_threads|Worker|process\.(env|chdir|exit|exitCode|on|once|umask|emitWarning)|globalThis|mock)\b/;
const ALONE =
  /\bprocess\.(on|once|exit|exitCode|umask|chdir|emitWarning)\b|\bprocess\.env(\.\w+|\[[^\]]+\])\s*=[^=]|\bdelete process\.env|\bmock\b|\bglobalThis\b/;
const batchSize = Math.max(1, Number(process.env.MODELVET_TEST_BATCH) || 8);
const units = [];
const pure = [];
const shared = [];
for (const file of files) {
  if (batchSize === 1) {
    units.push([file]);
    continue;
  }
  const source = readFileSync(join(ROOT, file), "utf8");
  if (PURE_DIRS.some((d) => file.startsWith(d)) && !PROCESS_WIDE.test(source)) pure.push(file);
  else if (!ALONE.test(source)) shared.push(file);
  else units.push([file]);
}
for (let i = 0; i < pure.length; i += batchSize) units.push(pure.slice(i, i + batchSize));
// A shared batch closes at a sixth of the recorded total over the run's processes, or at
// `batchSize` files; a file with no recorded time goes alone.
const recordedTotal = shared.reduce(
  (sum, f) => sum + (Number.isFinite(weight(f)) ? weight(f) : 0),
  0,
);
const budget = recordedTotal / 6 / Math.max(1, availableParallelism() + 1);
let open = [];
let openWeight = 0;
for (const file of shared) {
  const w = weight(file);
  if (!Number.isFinite(w) || w >= budget) {
    units.push([file]);
    continue;
  }
  if (open.length > 0 && (openWeight + w > budget || open.length >= batchSize)) {
    units.push(open);
    open = [];
    openWeight = 0;
  }
  open.push(file);
  openWeight += w;
}
if (open.length > 0) units.push(open);
const unitWeight = (unit) => unit.reduce((sum, f) => sum + weight(f), 0);
units.sort((a, b) => unitWeight(b) - unitWeight(a));
const labelOf = (unit) =>
  unit.length === 1 ? unit[0] : `${unit[0]} and ${unit.length - 1} more (one process)`;

// Test files run in parallel processes: one per core plus one keeps both cores of a 2-core machine
// busy while files wait on a child CLI or a loopback server. MODELVET_TEST_CONCURRENCY overrides it
// (1 runs the files one after another).
const concurrency = Math.max(
  1,
  Math.min(
    files.length,
    Number(process.env.MODELVET_TEST_CONCURRENCY) || availableParallelism() + 1,
  ),
);

const scratch = mkdtempSync(join(tmpdir(), "modelvet-run-tests-"));
const running = new Set();
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    interrupted = true;
    for (const child of running) killGroup(child);
    rmSync(scratch, { recursive: true, force: true });
    process.exit(130);
  });
}

function killGroup(child) {
  try {
    if (process.platform === "win32") child.kill("SIGKILL");
    else process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Seconds from `times` output ("0m1.250s 0m0.300s" per line: the shell, then its children). */
function parseTimes(text) {
  const lines = text.trim().split("\n");
  const last = lines[lines.length - 1] ?? "";
  const secs = [...last.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return secs.length === 2 ? { user: secs[0], sys: secs[1] } : undefined;
}

/** Runs one unit (a file, or a batch of files in one process); resolves with its output, exit status, totals, CPU and wall time. */
function runUnit(unit, index) {
  const totalsFile = join(scratch, `${index}.json`);
  // The spec report goes to a file, not to the file's stdout: tests that run the CLI in their own
  // process (test/helpers/run-cli-in-process.ts) capture process.stdout while it runs, and a
  // report line written meanwhile must not land in a CLI's output. The file's own stdout and
  // stderr (console output, warnings) follow the report.
  const specFile = join(scratch, `${index}.spec`);
  const nodeArgs = [
    "--import",
    "tsx",
    "--test-reporter=spec",
    `--test-reporter-destination=${specFile}`,
    `--test-reporter=${REPORTER}`,
    `--test-reporter-destination=${totalsFile}`,
    ...(unit.length === 1 ? unit : [BATCH_ENTRY, ...unit]),
  ];
  // On POSIX the file runs under `sh`, whose `times` then reports the CPU time of the file's
  // process and every process it waited for (writing it to fd 3), and in a process group of its
  // own so that a timeout kills the CLI runs it started too.
  const posix = process.platform !== "win32";
  const started = process.hrtime.bigint();
  const child = posix
    ? spawn(
        "/bin/sh",
        ["-c", '"$@"; status=$?; times >&3; exit $status', "sh", process.execPath, ...nodeArgs],
        { cwd: ROOT, stdio: ["ignore", "pipe", "pipe", "pipe"], detached: true },
      )
    : spawn(process.execPath, nodeArgs, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  const chunks = [];
  let times = "";
  child.stdout.on("data", (d) => chunks.push(d));
  child.stderr.on("data", (d) => chunks.push(d));
  child.stdio[3]?.setEncoding("utf8").on("data", (d) => {
    times += d;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child);
  }, FILE_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      let totals;
      try {
        totals = JSON.parse(readFileSync(totalsFile, "utf8"));
      } catch {
        totals = undefined;
      }
      let spec = "";
      try {
        spec = readFileSync(specFile, "utf8");
      } catch {
        // no report: the process died before node:test wrote one; its stderr says why
      }
      resolve({
        file: labelOf(unit),
        files: unit,
        output: spec + Buffer.concat(chunks).toString("utf8"),
        ok: code === 0 && !timedOut && totals !== undefined && totals.fail === 0,
        code,
        signal,
        timedOut,
        totals,
        cpu: parseTimes(times),
        wall,
      });
    });
  });
}

const cpuOf = (r) => (r.cpu ? r.cpu.user + r.cpu.sys : Number.NaN);
const results = [];
const runStarted = process.hrtime.bigint();
let next = 0;
async function worker() {
  while (next < units.length && !interrupted) {
    const index = next++;
    const result = await runUnit(units[index], index);
    results.push(result);
    const cost = `${result.cpu ? `cpu ${cpuOf(result).toFixed(1)} s, ` : ""}wall ${result.wall.toFixed(1)} s`;
    const names = result.files.length > 1 ? `\n#   ${result.files.join("\n#   ")}` : "";
    process.stdout.write(`\n# ${result.file} (${cost})${names}\n${result.output}`);
    if (!result.ok) {
      const why = result.timedOut
        ? `timed out after ${FILE_TIMEOUT_MS / 1000} s`
        : result.totals === undefined
          ? `ended (exit ${result.code ?? result.signal}) before reporting its tests`
          : `failed (exit ${result.code ?? result.signal})`;
      process.stdout.write(`✖ ${result.file} ${why}\n`);
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
const runWall = Number(process.hrtime.bigint() - runStarted) / 1e9;
rmSync(scratch, { recursive: true, force: true });

const KEYS = ["tests", "suites", "pass", "fail", "cancelled", "skipped", "todo"];
const sum = Object.fromEntries(KEYS.map((k) => [k, 0]));
for (const r of results) for (const k of KEYS) sum[k] += r.totals?.[k] ?? 0;
const failed = results.filter((r) => !r.ok);
const cpuTotal = results.reduce((s, r) => s + (r.cpu ? cpuOf(r) : 0), 0);

if (profile) {
  const top = Number(process.env.MODELVET_TEST_PROFILE_TOP) || 25;
  const row = (r) =>
    `${cpuOf(r).toFixed(1).padStart(7)} ${(r.cpu?.user ?? Number.NaN).toFixed(1).padStart(7)} ${(r.cpu?.sys ?? Number.NaN).toFixed(1).padStart(6)} ${r.wall.toFixed(1).padStart(7)} ${String(r.totals?.tests ?? "?").padStart(5)}  ${r.file}`;
  const header = `${"cpu s".padStart(7)} ${"user".padStart(7)} ${"sys".padStart(6)} ${"wall s".padStart(7)} ${"tests".padStart(5)}  file`;
  console.log(
    `\n# profile: top ${top} of ${results.length} processes by CPU (user+sys, children included)`,
  );
  console.log(header);
  for (const r of [...results].sort((a, b) => cpuOf(b) - cpuOf(a)).slice(0, top))
    console.log(row(r));
  console.log(`\n# profile: top ${top} processes by wall time (at concurrency ${concurrency})`);
  console.log(header);
  for (const r of [...results].sort((a, b) => b.wall - a.wall).slice(0, top)) console.log(row(r));
}
if (record) {
  const merged = { ...durations };
  // A batch's time is shared out evenly among its files.
  for (const r of results)
    if (r.ok) for (const f of r.files) merged[f] = Math.round((r.wall * 1000) / r.files.length);
  const sorted = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(
    DURATIONS_FILE,
    `${JSON.stringify({ note: "wall ms per test file; orders the runner longest first (scripts/run-tests.mjs --record)", files: sorted }, null, 2)}\n`,
  );
  console.log(
    `\nrun-tests: recorded ${results.filter((r) => r.ok).length} durations in ${relative(ROOT, DURATIONS_FILE)}`,
  );
}

console.log(
  `\n# ${files.length} files in ${results.length} processes, concurrency ${concurrency}: ${KEYS.map((k) => `${k} ${sum[k]}`).join(", ")}`,
);
console.log(
  `# wall ${runWall.toFixed(1)} s, test-file CPU ${cpuTotal.toFixed(1)} s (user+sys, children included)`,
);
if (failed.length > 0) {
  console.log(`# ${failed.length} file(s) failed:`);
  for (const r of failed) console.log(`#   ${r.file}`);
}
process.exit(failed.length === 0 && results.length === units.length ? 0 : 1);
