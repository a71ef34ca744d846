/**
 * The cost of bounding HDF5 (run: node --import tsx bench/run.ts hdf5). Every .h5 fixture of
 * fixtures/keras is scanned the old way (h5wasm on the calling thread, no deadline) and through
 * io/hdf5-runner.ts (one warm worker thread with a deadline): the worker's start (h5wasm loaded in
 * it), the mean per file in both, and the restart after a file hits the deadline. Figures are
 * wall clock and the process's CPU (all threads). Under tsx a worker also compiles our TypeScript;
 * the built CLI (dist/) starts faster.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Hdf5Runner } from "../src/io/hdf5-runner.js";
import { loadScanPolicy } from "../src/io/policy-files.js";
import { scanSource } from "../src/scan/dispatch.js";
import { readHdf5Contents } from "../src/scan/keras/hdf5.js";
import { bytesSource } from "../src/scan/source.js";

const FIX = join(import.meta.dirname, "..", "fixtures");

async function measure(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < runs; i++) await fn();
  const wall = (performance.now() - start) / runs;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000 / runs;
  const each = runs > 1 ? ` (mean of ${runs})` : "";
  console.log(
    `${label.padEnd(52)} ${wall.toFixed(2).padStart(9)} ms wall ${cpuMs.toFixed(2).padStart(9)} ms CPU${each}`,
  );
}

export async function run(): Promise<void> {
  const dirs = ["benign", "malicious", "suspicious", "hostile"].map((d) => join(FIX, "keras", d));
  const files = dirs.flatMap((d) =>
    readdirSync(d)
      .filter((f) => f.endsWith(".h5"))
      .map((f) => new Uint8Array(readFileSync(join(d, f)))),
  );
  const shipped = loadScanPolicy();
  const inThread = { ...shipped, keras: { ...shipped.keras, readHdf5: readHdf5Contents } };
  const runner = new Hdf5Runner();
  const bounded = { ...shipped, keras: { ...shipped.keras, readHdf5: runner.read } };
  const all = (policy: typeof shipped) => async () => {
    for (const bytes of files) await scanSource(bytesSource(bytes), { policy, path: "m.h5" });
  };
  const first = files[0] ?? new Uint8Array(0);
  await measure("calling thread: h5wasm load + first file", 1, () =>
    scanSource(bytesSource(first), { policy: inThread, path: "m.h5" }),
  );
  await measure("worker: start (h5wasm loaded in it) + first file", 1, () =>
    scanSource(bytesSource(first), { policy: bounded, path: "m.h5" }),
  );
  const rounds = 20;
  await measure(`calling thread: ${files.length} .h5 files`, rounds, all(inThread));
  await measure(`warm worker: ${files.length} .h5 files`, rounds, all(bounded));
  const loop = new Uint8Array(
    readFileSync(join(FIX, "keras-mutants", "hostile", "loop-timedistributed.h5")),
  );
  const quick = new Hdf5Runner({ deadlineMs: 500 });
  const stopped = { ...shipped, keras: { ...shipped.keras, readHdf5: quick.read } };
  await scanSource(bytesSource(first), { policy: stopped, path: "m.h5" });
  await measure("a looping file (deadline 500 ms) + restart + next file", 1, async () => {
    await scanSource(bytesSource(loop), { policy: stopped, path: "m.h5" });
    await scanSource(bytesSource(first), { policy: stopped, path: "m.h5" });
  });
  await Promise.all([runner.close(), quick.close()]);
}
