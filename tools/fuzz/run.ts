/**
 * The differential fuzzer: generated and mutated pickles, zips, npy and joblib files, scanned by
 * modelvet in-process and read by the real Python readers (tools/oracle/oracle.py --serve).
 *
 *   npm run fuzz -- --cases 100000 --seed 1 [--time 600] [--batch 400] [--hdf5 0.05]
 *                   [--no-oracle] [--out DIR]
 *
 * HDF5 cases (a share set by --hdf5) are Keras .h5 fixtures with bytes changed; when h5py reads a
 * Lambda layer, a class off the Keras allowlist or an unparseable config, modelvet must not say
 * clean. Asserts, per case: every global a real reader resolves is in modelvet's findings (or allowed);
 * a file on which a real reader resolves a non-allowlisted global is never clean; every scan ends
 * within its budgets (no throw, under --slow-ms); a generated (unmutated) stream with a dangerous
 * import is never clean. Disagreements are deduplicated by kind; a few examples of each are
 * written to --out (default /tmp/modelvet-fuzz) with the oracle's record and modelvet's report.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { ScanNode } from "../../src/core/report.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { Budget } from "../../src/scan/budget.js";
import { scanSource } from "../../src/scan/dispatch.js";
import { bytesSource } from "../../src/scan/source.js";
import { hex, Rng } from "./bytes.js";
import { type FuzzCase, generateCase, plantedDangerous, setHdf5Share } from "./cases.js";
import { compare, compareHdf5, type Disagreement } from "./compare.js";
import { OracleClient } from "./oracle-client.js";

const { values } = parseArgs({
  options: {
    cases: { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    time: { type: "string", default: "3600" },
    batch: { type: "string", default: "400" },
    "slow-ms": { type: "string", default: "5000" },
    "no-oracle": { type: "boolean", default: false },
    out: { type: "string", default: "/tmp/modelvet-fuzz" },
    examples: { type: "string", default: "5" },
    hdf5: { type: "string", default: "0.05" },
  },
});

const total = Number(values.cases);
const seed = Number(values.seed);
const deadline = Date.now() + Number(values.time) * 1000;
const batchSize = Number(values.batch);
const slowMs = Number(values["slow-ms"]);
const examplesPerKind = Number(values.examples);
const policy = loadScanPolicy();
setHdf5Share(Number(values.hdf5));

const counts = new Map<string, number>();
const kindsOfCases = new Map<string, number>();
let written = 0;
let scanMs = 0;
/** Cases the oracle answered for (no oracle error): the differential count. */
let compared = 0;
let waitMs = 0;

function record(kind: string, c: FuzzCase, index: number, extra: Record<string, unknown>): void {
  const n = (counts.get(kind) ?? 0) + 1;
  counts.set(kind, n);
  if (n > examplesPerKind) return;
  const dir = join(values.out, kind.replace(/[^A-Za-z0-9_.+-]+/g, "_"));
  mkdirSync(dir, { recursive: true });
  const name = `seed${seed}-case${index}`;
  writeFileSync(join(dir, `${name}.bin`), c.bytes);
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify({ kind, caseKind: c.kind, seed, index, hex: hex(c.bytes), ...extra }, null, 1)}\n`,
  );
  written++;
}

async function scan(bytes: Uint8Array): Promise<{ node?: ScanNode; ms: number; error?: string }> {
  const start = performance.now();
  try {
    const node = await scanSource(bytesSource(bytes), {
      policy,
      path: "case",
      budget: new Budget(),
    });
    return { node, ms: performance.now() - start };
  } catch (error) {
    return { ms: performance.now() - start, error: String(error) };
  }
}

/**
 * True when half or more of a batch's answers (of at least 8 cases) are MemoryError: hostile
 * memo sizes make a few cases do that, an exhausted oracle process makes nearly all of them.
 */
function exhausted(records: readonly unknown[]): boolean {
  const failed = records.filter((r) => JSON.stringify(r).includes("MemoryError")).length;
  return records.length >= 8 && failed * 2 >= records.length;
}

async function main(): Promise<void> {
  const rng = new Rng(seed);
  let oracle = values["no-oracle"] ? undefined : new OracleClient();
  await oracle?.ready();
  if (oracle) console.error(`oracle: ${JSON.stringify(oracle.versions)}`);
  const started = performance.now();
  let done = 0;
  let donor: Uint8Array | undefined;
  let lastPrint = started;
  while (done < total && Date.now() < deadline) {
    const n = Math.min(batchSize, total - done);
    const batch: FuzzCase[] = [];
    for (let i = 0; i < n; i++) {
      const c = generateCase(rng, donor);
      donor = c.bytes;
      batch.push(c);
    }
    const batchStart = performance.now();
    // Settled at once, so an oracle that dies while we scan is not an unhandled rejection.
    const pending = oracle?.examine(batch.map((c) => c.bytes)).then(
      (records) => ({ records }),
      (error: unknown) => ({ error }),
    );
    const scans = [];
    for (const c of batch) scans.push(await scan(c.bytes));
    const scanned = performance.now();
    let answer = pending ? await pending : undefined;
    if (oracle && answer && "records" in answer && exhausted(answer.records)) {
      // After a few hundred thousand hostile cases the oracle's capped address space is so
      // fragmented that every reader answers MemoryError: such a batch says nothing about the
      // cases. Start a fresh oracle and ask it again (once), so the batch is really compared.
      record("oracle-exhausted", batch[0] as FuzzCase, done, {});
      await oracle.close();
      oracle = new OracleClient();
      await oracle.ready();
      answer = await oracle.examine(batch.map((c) => c.bytes)).then(
        (records) => ({ records }),
        (error: unknown) => ({ error }),
      );
    }
    const records = answer && "records" in answer ? answer.records : undefined;
    if (answer && "error" in answer) {
      // The oracle died on a case (a reader ran out of its memory cap, or h5py crashed on a
      // damaged HDF5 file): record the batch, restart.
      record("oracle-crash", batch[0] as FuzzCase, done, {
        error: String(answer.error).slice(0, 2000),
      });
      oracle = new OracleClient();
      await oracle.ready();
    }
    scanMs += scanned - batchStart;
    waitMs += performance.now() - scanned;
    for (let i = 0; i < n; i++) {
      const c = batch[i] as FuzzCase;
      const s = scans[i] as Awaited<ReturnType<typeof scan>>;
      const index = done + i;
      const family = c.kind.split("/")[0] as string;
      kindsOfCases.set(family, (kindsOfCases.get(family) ?? 0) + 1);
      if (s.error !== undefined || s.node === undefined) {
        record(`throw/${c.kind}`, c, index, { error: s.error });
        continue;
      }
      if (s.ms > slowMs) record(`slow/${c.kind}`, c, index, { ms: s.ms });
      const danger = plantedDangerous(c.planted);
      if (!c.mutated && danger && s.node.verdict === "clean")
        record(`invariant/dangerous-clean/${c.kind}`, c, index, {
          planted: c.planted,
          node: s.node,
        });
      const o = records?.[i];
      if (o === undefined) continue;
      if (o.oracle_error) {
        record("oracle-error", c, index, { oracle: o });
        continue;
      }
      compared++;
      if (typeof o.ms === "number" && o.ms > 200)
        record(`oracle-slow/${c.kind}`, c, index, { oracle: o });
      const ds: Disagreement[] = [
        ...compare(o, s.node, policy.pickle),
        ...(c.kind.startsWith("hdf5/") ? compareHdf5(o, s.node, policy.keras) : []),
      ];
      const seen = new Set<string>();
      for (const d of ds) {
        if (seen.has(d.kind)) continue;
        seen.add(d.kind);
        record(d.kind, c, index, { disagreement: d, oracle: o, node: s.node });
      }
    }
    done += n;
    const now = performance.now();
    if (now - lastPrint > 10000) {
      lastPrint = now;
      mkdirSync(values.out, { recursive: true });
      writeFileSync(
        join(values.out, `summary-seed${seed}.json`),
        `${JSON.stringify({ ...summarize(done, started, oracle), partial: true }, null, 1)}\n`,
      );
      console.error(
        `${done} cases, ${((done * 1000) / (now - started)).toFixed(0)} cases/s, ${[...counts.values()].reduce((a, b) => a + b, 0)} disagreements`,
      );
    }
  }
  await oracle?.close();
  const summary = summarize(done, started, oracle);
  mkdirSync(values.out, { recursive: true });
  writeFileSync(
    join(values.out, `summary-seed${seed}.json`),
    `${JSON.stringify(summary, null, 1)}\n`,
  );
  console.log(JSON.stringify(summary, null, 1));
}

function summarize(done: number, started: number, oracle: OracleClient | undefined) {
  const seconds = (performance.now() - started) / 1000;
  return {
    seed,
    cases: done,
    compared,
    seconds: Number(seconds.toFixed(1)),
    casesPerSecond: Number((done / seconds).toFixed(0)),
    oracle: oracle ? oracle.versions : "off",
    families: Object.fromEntries(kindsOfCases),
    disagreements: Object.fromEntries([...counts.entries()].sort()),
    examplesWritten: written,
    scanSeconds: Number((scanMs / 1000).toFixed(1)),
    oracleWaitSeconds: Number((waitMs / 1000).toFixed(1)),
    out: values.out,
  };
}

await main();
