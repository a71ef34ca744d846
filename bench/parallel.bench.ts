/**
 * Both cores (run: flock /tmp/modelvet-bench.lock node --import tsx bench/run.ts parallel;
 * `npm run bench` builds dist/ first).
 *
 * 1. A folder of 1,000 mixed small files (fixtures under 64 KiB, every area, copied round-robin),
 *    scanned by `scanPaths` on one thread and in the pool's ways of sharing the work, alternating,
 *    three rounds: files/s, and CPU time / wall time (process CPU counts every thread, so ~2 means
 *    both cores were busy; a cold single-threaded scan can show ~1.5 on an idle machine, since V8
 *    compiles and collects garbage on background threads). Every report must equal the first. The calling thread is warm after
 *    round 1; workers start cold every time. The load average is printed with each round.
 *    Then the same folder as a user runs it, each in a fresh process from dist/: `modelvet scan
 *    --format json` with --jobs 1, the default (auto: a thread per two idle cores, so one thread
 *    on 2 cores) and --jobs <cores>, alternating; the JSON must match. Then the CPU of each
 *    thread of such a process (main thread versus V8's compiler/GC threads and workers).
 * 2. 4 × 256 MiB files hashed (sha256 + git blob sha1, as verifyCachedBlob does) one after another
 *    on this thread versus four at once through the hash pool.
 */

import { randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { Worker } from "node:worker_threads";
import type * as ScanModule from "../src/app/scan.js";
import type * as PoolModule from "../src/app/scan-threads.js";
import type { ScanThreadsOptions } from "../src/app/scan-threads.js";
import { digestFile } from "../src/io/file-digest.js";
import { HashPool } from "../src/io/hash-pool.js";
import type * as PolicyModule from "../src/io/policy-files.js";
import { runTimed } from "./proc.js";

function listFixtures(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFixtures(p));
    else if (e.isFile() && statSync(p).size < 64 * 1024) out.push(p);
  }
  return out;
}

function buildFolder(folder: string, sources: string[]): void {
  for (let i = 0; i < 1000; i++) {
    const from = sources[i % sources.length]!;
    const sub = join(folder, String(Math.floor(i / 100)));
    mkdirSync(sub, { recursive: true });
    copyFileSync(from, join(sub, `${i}-${relative("fixtures", from).replaceAll("/", "_")}`));
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await work();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { value, wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

async function loadScan(): Promise<{
  scan: typeof ScanModule;
  pool: typeof PoolModule;
  policy: typeof PolicyModule;
  from: string;
}> {
  const built = join(process.cwd(), "dist", "app", "scan.js");
  const from = existsSync(built) ? "dist" : "src";
  const base = from === "dist" ? "../dist" : "../src";
  const scan = (await import(`${base}/app/scan.js`)) as typeof ScanModule;
  const pool = (await import(`${base}/app/scan-threads.js`)) as typeof PoolModule;
  const policy = (await import(`${base}/io/policy-files.js`)) as typeof PolicyModule;
  return { scan, pool, policy, from };
}

function load(): string {
  return `load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;
}

function line(label: string, files: number, r: { wall: number; cpu: number }): string {
  return `${label.padEnd(34)} ${r.wall.toFixed(2).padStart(6)} s ${(files / r.wall).toFixed(0).padStart(5)} files/s  CPU ${r.cpu.toFixed(2)} s  CPU/wall ${(r.cpu / r.wall).toFixed(2)}`;
}

async function scanBench(dir: string): Promise<void> {
  const folder = join(dir, "folder");
  buildFolder(folder, listFixtures("fixtures").sort());
  const { scan, pool: poolModule, policy: policyFiles, from } = await loadScan();
  const policy = policyFiles.loadScanPolicy();
  const cores = availableParallelism();
  console.log(`scan: 1,000 files, ${cores} cores, code from ${from}/, ${load()}`);
  // What `modelvet scan` does by default (--jobs auto: idle cores only), and fixed ways to share.
  const variants: [string, ScanThreadsOptions | undefined][] = [
    ["1 thread", undefined],
    ["auto", { minFiles: poolModule.AUTO_JOBS_MIN_FILES }],
    [`${cores - 1} worker(s) + this thread`, { threads: cores - 1, callingThread: "always" }],
    [`${cores} workers, this thread at start`, { threads: cores, callingThread: "warmup" }],
  ];
  let reference: unknown;
  for (let round = 1; round <= 3; round++) {
    for (const [name, workers] of variants) {
      const label =
        name === "auto" ? `auto (${poolModule.idleWorkers()} worker(s) + this thread)` : name;
      const r = await timed(() => scan.scanPaths({ paths: [folder], policy, workers }));
      reference ??= r.value;
      const same = isDeepStrictEqual(r.value, reference);
      console.log(
        `  round ${round} ${line(label, r.value.files.length, r)}${same ? "" : "  DIFFERENT REPORT"}`,
      );
      if (!same) throw new Error(`${label}: the report differs from the first one`);
    }
    console.log(`  round ${round} done, ${load()}`);
  }
  if (from === "dist") await coldProcesses(folder, poolModule);
}

/** Fresh processes, as a user runs it: `modelvet scan --jobs 1`, the default (auto), every core. */
async function coldProcesses(folder: string, pool: typeof PoolModule): Promise<void> {
  const cores = availableParallelism();
  const runs: [string, string[]][] = [
    ["CLI --jobs 1", ["--jobs", "1"]],
    ["CLI (auto)", []],
    [`CLI --jobs ${cores}`, ["--jobs", String(cores)]],
  ];
  let reference: string | undefined;
  for (let round = 1; round <= 3; round++) {
    const walls: number[] = [];
    for (const [label, extra] of runs) {
      const r = await runTimed(process.execPath, [
        "bin/modelvet.js",
        "scan",
        folder,
        "--format",
        "json",
        ...extra,
      ]);
      const shown =
        extra.length === 0 ? `CLI (auto, ${pool.idleWorkers()} worker(s) at start)` : label;
      const wall = r.wallMs / 1000;
      walls.push(wall);
      const cpu = r.cpuS ?? Number.NaN;
      reference ??= r.stdout;
      const same = r.stdout === reference && r.stdout.length > 0;
      console.log(
        `  cold process ${round} ${line(shown, 1000, { wall, cpu })}  exit ${r.code}${same ? "" : "  DIFFERENT JSON"}`,
      );
      if (!same) throw new Error(`${label}: the JSON differs`);
    }
    const ratios = walls.slice(1).map((w) => `×${(walls[0]! / w).toFixed(2)}`);
    console.log(`  cold process ${round} speed-up vs --jobs 1: ${ratios.join(" ")}, ${load()}`);
  }
  await threadCpu(folder, cores);
}

/**
 * Where a cold `--jobs 1` run's CPU goes: the main thread versus every other thread (V8's
 * compiler and GC threads, libuv's pool), from /proc per thread (bench/thread-cpu.mjs). With
 * --jobs <cores> the worker threads are among the others.
 */
async function threadCpu(folder: string, cores: number): Promise<void> {
  if (!existsSync("/proc/self/task")) return;
  const preload = pathToFileURL(join(process.cwd(), "bench", "thread-cpu.mjs")).href;
  for (let round = 1; round <= 2; round++) {
    for (const jobs of ["1", String(cores)]) {
      const r = await runTimed(process.execPath, [
        "--import",
        preload,
        "bin/modelvet.js",
        "scan",
        folder,
        "--format",
        "json",
        "--jobs",
        jobs,
      ]);
      const line = r.stderr.split("\n").find((l) => l.startsWith("thread-cpu "));
      if (line === undefined) {
        console.log(`  per-thread CPU: no figures (exit ${r.code})`);
        continue;
      }
      const { main, others } = JSON.parse(line.slice("thread-cpu ".length)) as {
        main: number;
        others: number[];
      };
      const rest = others.reduce((a, b) => a + b, 0);
      console.log(
        `  per-thread CPU ${round}, --jobs ${jobs}: wall ${(r.wallMs / 1000).toFixed(2)} s, main thread ${(main / 1000).toFixed(2)} s, ${others.length} other threads ${(rest / 1000).toFixed(2)} s [${others
          .sort((a, b) => b - a)
          .map((ms) => (ms / 1000).toFixed(2))
          .join(" ")}], ${load()}`,
      );
    }
  }
}

/** A 256 MiB file of random-looking bytes (a 16 MiB random block repeated). */
function writeBig(path: string, size: number): void {
  const block = randomBytes(16 << 20);
  const fd = openSync(path, "w");
  try {
    for (let at = 0; at < size; at += block.length) writeSync(fd, block, 0, block.length, at);
  } finally {
    closeSync(fd);
  }
}

async function hashBench(dir: string): Promise<void> {
  const size = 256 << 20;
  const paths = [0, 1, 2, 3].map((i) => join(dir, `big-${i}.bin`));
  for (const p of paths) writeBig(p, size);
  const requests = paths.map((path) => ({ path, limit: size, gitBlobSize: size }));
  const total = (4 * size) / 2 ** 20;
  const seq = await timed(async () => {
    const out = [];
    for (const r of requests) out.push(await digestFile(r));
    return out;
  });
  const hasher = new HashPool();
  try {
    await hasher.digest({ path: paths[0]!, limit: 2 << 20 }); // start the workers outside the timing
    const pool = await timed(() => Promise.all(requests.map((r) => hasher.digest(r))));
    const same = isDeepStrictEqual(pool.value, seq.value);
    for (const [label, r] of [
      ["sequential", seq],
      ["pooled", pool],
    ] as const) {
      console.log(
        `  hash 4 × 256 MiB ${label.padEnd(10)} ${r.wall.toFixed(2)} s  ${(total / r.wall).toFixed(0).padStart(5)} MiB/s  CPU ${r.cpu.toFixed(2)} s  CPU/wall ${(r.cpu / r.wall).toFixed(2)}`,
      );
    }
    console.log(
      `  hash speed-up ×${(seq.wall / pool.wall).toFixed(2)}, digests identical: ${same}`,
    );
    if (!same) throw new Error("the pooled digests differ");
  } finally {
    await hasher.close();
  }
}

/**
 * What a fresh worker thread pays before its first file, each measured in a new worker (wall, and
 * process CPU, which includes V8's background compile threads): the scan worker's module graph,
 * and the two WebAssembly parsers, loaded as the scanners load them, first with nothing else in
 * the process holding them, then with this thread holding them (V8 then reuses compiled code).
 */
async function workerStartBench(): Promise<void> {
  const require = createRequire(import.meta.url);
  const h5 = import.meta.resolve("h5wasm");
  const ts = import.meta.resolve("web-tree-sitter");
  const grammar = JSON.stringify(require.resolve("tree-sitter-python/tree-sitter-python.wasm"));
  const runtime = JSON.stringify(require.resolve("web-tree-sitter/web-tree-sitter.wasm"));
  const jobs: [string, string][] = [
    [
      "h5wasm import + ready",
      `const m = await import(${JSON.stringify(h5)}); await m.default.ready;`,
    ],
    [
      "tree-sitter init + Python grammar + parse",
      `const { readFileSync } = await import("node:fs");
       const { Parser, Language } = await import(${JSON.stringify(ts)});
       await Parser.init({ wasmBinary: readFileSync(${runtime}) });
       const p = new Parser(); p.setLanguage(await Language.load(readFileSync(${grammar})));
       p.parse("import os; os.system('x')").delete();`,
    ],
  ];
  const inWorker = async (body: string): Promise<{ wall: number; cpu: number }> =>
    timed(async () => {
      const code = `import { parentPort } from "node:worker_threads"; ${body} parentPort.postMessage(0);`;
      const worker = new Worker(
        `import(${JSON.stringify(`data:text/javascript,${encodeURIComponent(code)}`)})`,
        { eval: true },
      );
      await new Promise((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      await worker.terminate();
    });
  const dist = join(process.cwd(), "dist", "app", "scan-worker.js");
  if (existsSync(dist)) {
    for (let i = 1; i <= 2; i++) {
      const r = await timed(async () => {
        const worker = new Worker(pathToFileURL(dist), {
          workerData: { policyDir: "", policy: {} },
        });
        await new Promise((resolve) => worker.once("message", resolve));
        await worker.terminate();
      });
      console.log(
        `  worker start ${i}: scan worker ready (module graph): ${(r.wall * 1000).toFixed(0)} ms wall, ${(r.cpu * 1000).toFixed(0)} ms CPU`,
      );
    }
  }
  for (const [label, body] of jobs) {
    const cold = await inWorker(body);
    const held = await timed(() => import(`data:text/javascript,${encodeURIComponent(body)}`));
    const shared = await inWorker(body);
    console.log(
      `  worker start: ${label.padEnd(42)} alone ${(cold.wall * 1000).toFixed(0)} ms wall, ${(cold.cpu * 1000).toFixed(0)} ms CPU | this thread loaded it in ${(held.wall * 1000).toFixed(0)} ms, then a worker: ${(shared.wall * 1000).toFixed(0)} ms wall, ${(shared.cpu * 1000).toFixed(0)} ms CPU`,
    );
  }
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modelvet-bench-parallel-"));
  try {
    await workerStartBench();
    await scanBench(dir);
    await hashBench(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
