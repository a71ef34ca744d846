/**
 * Both cores (run: node --import tsx bench/run.ts parallel; `npm run bench` builds dist/ first).
 *
 * 1. A folder of 1,000 mixed small files (fixtures under 64 KiB, every area, copied round-robin),
 *    scanned by `scanPaths` sequentially and with the worker pool: files/s, and CPU time / wall
 *    time (process CPU counts every thread, so ~2 means both cores were busy). The two reports
 *    must be identical. Run twice: the first run of each also pays one-off start-up (JIT, wasm).
 *    The pool is driven from dist/ when it is built (what `modelvet scan` runs), else from src/.
 *    Then the same folder as a user runs it, each in a fresh (cold) process from dist/: the CLI
 *    (`modelvet scan --format json`, pooled) and a sequential `scanPaths` rendered the same way.
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
import { availableParallelism, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { isDeepStrictEqual } from "node:util";
import type * as ScanModule from "../src/app/scan.js";
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
  policy: typeof PolicyModule;
  from: string;
}> {
  const built = join(process.cwd(), "dist", "app", "scan.js");
  const from = existsSync(built) ? "dist" : "src";
  const base = from === "dist" ? "../dist" : "../src";
  const scan = (await import(`${base}/app/scan.js`)) as typeof ScanModule;
  const policy = (await import(`${base}/io/policy-files.js`)) as typeof PolicyModule;
  return { scan, policy, from };
}

async function scanBench(dir: string): Promise<void> {
  const folder = join(dir, "folder");
  buildFolder(folder, listFixtures("fixtures").sort());
  const { scan, policy: policyFiles, from } = await loadScan();
  const policy = policyFiles.loadScanPolicy();
  console.log(`scan: 1,000 files, ${availableParallelism()} cores, code from ${from}/`);
  for (let round = 1; round <= 2; round++) {
    const seq = await timed(() => scan.scanPaths({ paths: [folder], policy }));
    const pool = await timed(() => scan.scanPaths({ paths: [folder], policy, workers: {} }));
    const same = isDeepStrictEqual(pool.value, seq.value);
    for (const [label, r] of [
      ["sequential", seq],
      ["pooled", pool],
    ] as const) {
      console.log(
        `  round ${round} ${label.padEnd(10)} ${r.wall.toFixed(2)} s  ${(r.value.files.length / r.wall).toFixed(0).padStart(5)} files/s  CPU ${r.cpu.toFixed(2)} s  CPU/wall ${(r.cpu / r.wall).toFixed(2)}`,
      );
    }
    console.log(
      `  round ${round} speed-up ×${(seq.wall / pool.wall).toFixed(2)}, reports identical: ${same}, verdicts ${JSON.stringify(seq.value.summary)}`,
    );
    if (!same) throw new Error("the pooled report differs from the sequential one");
  }
  if (from === "dist") await coldProcesses(folder);
}

/** Fresh processes: what `modelvet scan <folder>` costs, pooled (the CLI) versus sequential. */
async function coldProcesses(folder: string): Promise<void> {
  const dist = join(process.cwd(), "dist");
  const sequential = [
    `import { scanPaths } from ${JSON.stringify(`${dist}/app/scan.js`)};`,
    `import { loadScanPolicy } from ${JSON.stringify(`${dist}/io/policy-files.js`)};`,
    `import { renderJson } from ${JSON.stringify(`${dist}/cli/render/json.js`)};`,
    `const report = await scanPaths({ paths: [${JSON.stringify(folder)}], policy: loadScanPolicy() });`,
    "process.stdout.write(renderJson(report));",
  ].join("\n");
  for (let round = 1; round <= 2; round++) {
    const seq = await runTimed(process.execPath, ["--input-type=module", "-e", sequential]);
    const cli = await runTimed(process.execPath, [
      "bin/modelvet.js",
      "scan",
      folder,
      "--format",
      "json",
    ]);
    for (const [label, r] of [
      ["sequential", seq],
      ["CLI pooled", cli],
    ] as const) {
      const cpu = r.cpuS === undefined ? "n/a" : `${r.cpuS.toFixed(2)} s`;
      const ratio = r.cpuS === undefined ? "n/a" : (r.cpuS / (r.wallMs / 1000)).toFixed(2);
      console.log(
        `  cold process ${round} ${label.padEnd(10)} ${(r.wallMs / 1000).toFixed(2)} s  ${(1000 / (r.wallMs / 1000)).toFixed(0).padStart(5)} files/s  CPU ${cpu}  CPU/wall ${ratio}  exit ${r.code}`,
      );
    }
    const same = seq.stdout.trim() === cli.stdout.trim() && seq.stdout.length > 0;
    console.log(
      `  cold process ${round} speed-up ×${(seq.wallMs / cli.wallMs).toFixed(2)}, JSON identical: ${same}`,
    );
    if (!same) throw new Error("the CLI's pooled JSON differs from the sequential one");
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

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modelvet-bench-parallel-"));
  try {
    await scanBench(dir);
    await hashBench(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
