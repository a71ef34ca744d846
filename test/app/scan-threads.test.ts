/**
 * `scanPaths` on worker threads plus the calling thread (app/scan-threads.ts): the same report as the
 * sequential scan whoever scans which file, and fail closed when a worker dies mid-file (that file
 * ends `unscannable`, never lost, never clean; the files sent ahead to it are scanned elsewhere).
 */
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { after, test } from "node:test";
import { pathToFileURL } from "node:url";
import { scanPaths } from "../../src/app/scan.js";
import {
  type ScanThreadsOptions,
  scanFilesOnThreads,
  THREADS_MIN_FILES,
  workersFor,
} from "../../src/app/scan-threads.js";
import type { Report } from "../../src/core/report.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { BUILT_SCAN_WORKER } from "../helpers/built-workers.js";
import { tempDir } from "../helpers/run-cli.js";

const policy = loadScanPolicy();

/**
 * The entry of a worker that dies as `mode` says (see crashing-scan-worker.mjs): a small file in
 * a temporary folder, removed when the test file ends.
 */
const entries = tempDir();
after(entries.cleanup);
let entryCount = 0;
function crashingWorker(
  mode: "throw" | "exit" | "start",
  paths: readonly string[] = [],
  startLog?: string,
): URL {
  const crashing = new URL("./crashing-scan-worker.mjs", import.meta.url).href;
  const entry = join(entries.path, `crashing-${++entryCount}.mjs`);
  writeFileSync(
    entry,
    `import { serveCrashing } from ${JSON.stringify(crashing)};\n` +
      `serveCrashing(${JSON.stringify(mode)}, ${JSON.stringify(paths)}, ${JSON.stringify(startLog)});\n`,
  );
  return pathToFileURL(entry);
}

/**
 * The pooled scans compare with the sequential scan of the same input. For the mode that matters
 * most, the CLI's default: every area of fixtures/ as a folder (companions, code imports,
 * SavedModel metadata are judged across files) but keras-mutants/, whose HDF5 files make HDF5 loop
 * until the 2 s read deadline stops it (seconds of CPU per scan, for a verdict the sample below
 * and test/scan/keras/hdf5-hostile.test.ts check on threads), and realworld/, the 362 benign
 * files test/scan/realworld/corpus.test.ts scans as a folder on two threads (a sixth of them are
 * in the sample). For the other two: every sixth file
 * of the same areas (about 150, every area and verdict among them, asserted), and for the last one
 * looping mutant with them. All of fixtures/ four times cost 45 s of CPU.
 */
function fixtureSample(): string[] {
  const all: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) all.push(path);
    }
  };
  walk("fixtures");
  return all.filter((f) => !f.includes("keras-mutants")).filter((_, i) => i % 6 === 0);
}
const SAMPLE = fixtureSample();
const LOOPING = readdirSync(join("fixtures", "keras-mutants", "hostile"))
  .filter((name) => name.startsWith("loop-"))
  .sort()
  .map((name) => join("fixtures", "keras-mutants", "hostile", name))
  .slice(0, 1);
const SAMPLE_WITH_LOOP = [...SAMPLE, ...LOOPING];
const AREAS = readdirSync("fixtures", { withFileTypes: true })
  .filter((e) => e.isDirectory() && e.name !== "keras-mutants" && e.name !== "realworld")
  .map((e) => join("fixtures", e.name))
  .sort();

const sequentialReports = new Map<string, Promise<Report>>();
function sequentialScan(paths: readonly string[]): Promise<Report> {
  const key = paths.join("\0");
  let report = sequentialReports.get(key);
  if (report === undefined) {
    report = scanPaths({ paths: [...paths], policy });
    sequentialReports.set(key, report);
  }
  return report;
}

/** The pooled scans' workers run the built worker (as the CLI does; see built-workers.ts). */
const BUILT_WORKER = BUILT_SCAN_WORKER;

const modes: [string, ScanThreadsOptions, readonly string[]][] = [
  [
    "every area of fixtures/ as folders, one worker beside the calling thread",
    { threads: 1, callingThread: "always" },
    AREAS,
  ],
  [
    "a sixth of fixtures/, two workers, the calling thread only while they start",
    { threads: 2, callingThread: "warmup" },
    SAMPLE,
  ],
  [
    "a sixth of fixtures/ and an HDF5 file that loops to the deadline, two workers alone",
    { threads: 2, callingThread: "never" },
    SAMPLE_WITH_LOOP,
  ],
];
for (const [label, workers, paths] of modes) {
  test(`the pooled scan gives exactly the sequential report (${label})`, async () => {
    const sequential = await sequentialScan(paths);
    assert.ok(sequential.files.length >= 120, "enough files for every thread to take some");
    const areas = new Set(sequential.files.map((f) => f.path.split("/")[1]));
    const expected = ["pickle", "keras", "containers", "code", "templates", "formats"];
    if (paths !== AREAS) expected.push("realworld");
    for (const area of expected)
      assert.ok(areas.has(area), `the sample has files of fixtures/${area}`);
    if (paths === SAMPLE_WITH_LOOP) {
      assert.equal(LOOPING.length, 1);
      const looping = sequential.files.find((f) => f.path === LOOPING[0]);
      assert.equal(
        looping?.findings[0]?.code,
        "BUDGET_EXCEEDED",
        "the mutant loops to the deadline",
      );
    }
    const verdicts = new Set(sequential.files.map((f) => f.verdict));
    for (const verdict of ["clean", "suspicious", "malicious", "unscannable"] as const)
      assert.ok(verdicts.has(verdict), `the sample has ${verdict} files`);
    const pooled = await scanPaths({
      paths: [...paths],
      policy,
      workers: { ...workers, workerUrl: BUILT_WORKER },
    });
    assert.deepEqual(pooled, sequential);
  });
}

/** A folder of benign and malicious pickles, enough files for the pool. */
function pickleFolder(): { path: string; cleanup: () => void } {
  const dir = tempDir();
  for (const area of ["benign", "malicious"]) {
    const from = join("fixtures", "pickle", area);
    for (const name of readdirSync(from).sort().slice(0, 6))
      copyFileSync(join(from, name), join(dir.path, `${area}-${name}`));
  }
  return dir;
}

for (const mode of ["throw", "exit"] as const) {
  test(`a worker that dies (${mode}) while scanning a file leaves that file unscannable`, async () => {
    const dir = pickleFolder();
    try {
      const sequential = await scanPaths({ paths: [dir.path], policy });
      assert.ok(sequential.files.length >= THREADS_MIN_FILES);
      // An early file: the single worker has files sent ahead of it when it dies.
      const victim = sequential.files.find((f) => f.path.includes("benign-"))!;
      assert.equal(victim.verdict, "clean", "the victim would be clean if it were scanned");
      assert.ok(sequential.files.indexOf(victim) < sequential.files.length - 4);
      const pooled = await scanPaths({
        paths: [dir.path],
        policy,
        workers: {
          threads: 1,
          callingThread: "never",
          workerUrl: crashingWorker(mode, [victim.path]),
        },
      });
      assert.equal(pooled.files.length, sequential.files.length, "no file is lost");
      for (const [i, node] of pooled.files.entries()) {
        const expected = sequential.files[i]!;
        assert.equal(node.path, expected.path);
        if (node.path !== victim.path) {
          assert.deepEqual(node, expected, "the other files are scanned as usual");
          continue;
        }
        assert.equal(node.verdict, "unscannable");
        assert.equal(node.findings.length, 1);
        assert.equal(node.findings[0]!.code, "UNSCANNABLE");
        assert.match(
          node.findings[0]!.message,
          mode === "throw"
            ? /worker thread crashed: injected crash/
            : /worker thread exited \(code 70\)/,
        );
      }
      assert.equal(pooled.summary.unscannable, sequential.summary.unscannable + 1);
    } finally {
      dir.cleanup();
    }
  });
}

for (const callingThread of ["always", "never"] as const) {
  test(`when no worker can start, the calling thread scans every file (${callingThread})`, async () => {
    const dir = pickleFolder();
    try {
      const sequential = await scanPaths({ paths: [dir.path], policy });
      const startLog = join(dir.path, "..", `${basename(dir.path)}.starts`);
      try {
        const pooled = await scanPaths({
          paths: [dir.path],
          policy,
          workers: { threads: 2, callingThread, workerUrl: crashingWorker("start", [], startLog) },
        });
        assert.deepEqual(pooled, sequential);
        const starts = readFileSync(startLog, "utf8").trim().split("\n");
        assert.ok(starts.length >= 2, "both workers were started, and died before they were ready");
      } finally {
        rmSync(startLog, { force: true });
      }
    } finally {
      dir.cleanup();
    }
  });
}

test("a folder under minFiles is scanned on the calling thread alone", async () => {
  const dir = pickleFolder();
  try {
    const sequential = await scanPaths({ paths: [dir.path], policy });
    // Any worker would die on every file; none is started.
    const pooled = await scanPaths({
      paths: [dir.path],
      policy,
      workers: {
        minFiles: sequential.files.length + 1,
        callingThread: "never",
        workerUrl: crashingWorker(
          "exit",
          sequential.files.map((f) => f.path),
        ),
      },
    });
    assert.deepEqual(pooled, sequential);
  } finally {
    dir.cleanup();
  }
});

test("a file that cannot be opened is unscannable, the same whichever thread meets it", async () => {
  const dir = pickleFolder();
  try {
    const names = readdirSync(dir.path).sort();
    const tasks = names.map((name) => ({ path: name, absolute: join(dir.path, name) }));
    // Listed, then gone before it is opened.
    tasks.splice(3, 0, { path: "gone.pkl", absolute: join(dir.path, "gone.pkl") });
    const runs = await Promise.all([
      scanFilesOnThreads(tasks, { policy, minFiles: Number.POSITIVE_INFINITY }),
      scanFilesOnThreads(tasks, { policy, threads: 1, callingThread: "always" }),
      scanFilesOnThreads(tasks, { policy, threads: 1, callingThread: "never" }),
    ]);
    for (const nodes of runs) {
      assert.deepEqual(nodes, runs[0]);
      const gone = nodes[3]!;
      assert.equal(gone.path, "gone.pkl");
      assert.equal(gone.verdict, "unscannable");
      assert.match(gone.findings[0]!.message, /Cannot open .*gone\.pkl/);
    }
  } finally {
    dir.cleanup();
  }
});

test("--jobs auto starts a scanning thread per two idle cores, the calling thread counted", () => {
  // [cores, 1-minute load, workers besides the calling thread, workers when it stands aside]
  const cases: [number, number, number, number][] = [
    [1, 0, 0, 0],
    [2, 0, 0, 1], // a second isolate's JIT work costs more than the idle core gives back
    [2, 1.5, 0, 0],
    [4, 0, 1, 2],
    [4, 1.2, 0, 1], // 3 idle cores: still one scanning thread
    [8, 0, 3, 4],
    [8, 3.5, 1, 2],
    [8, 20, 0, 0], // an overloaded machine
  ];
  for (const [cores, load, withCaller, spare] of cases) {
    assert.equal(workersFor(cores, load), withCaller, `${cores} cores, load ${load}`);
    assert.equal(workersFor(cores, load, true), spare, `${cores} cores, load ${load}, spare`);
  }
});
