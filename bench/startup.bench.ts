/**
 * Start-up time of the built CLI (issue #2: `--version` and `--help` in under 150 ms).
 *
 * A bare `node -e 0` is measured in the same loop, interleaved with our commands, because on a
 * shared machine Node's own start-up swings with load: the figure we control is our overhead on
 * top of that floor. Each command runs ROUNDS times; the median and the fastest run are reported.
 *
 * When NODE_EXTRA_CA_CERTS is set (this machine sets it globally), Node parses that CA bundle at
 * every start, before any of our code runs: tens of milliseconds on the floor itself. The figures
 * are then given twice, with the environment as it is and without that variable.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROUNDS = 25;
const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = join(root, "bin", "modelvet.js");

interface Case {
  label: string;
  args: string[];
}

const cases: Case[] = [
  { label: "node -e 0 (floor)", args: ["-e", "0"] },
  { label: "modelvet --version", args: [bin, "--version"] },
  { label: "modelvet --help", args: [bin, "--help"] },
  { label: "modelvet scan --help", args: [bin, "scan", "--help"] },
];

function timeOnce(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) {
    throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr.toString()}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function measure(label: string, env: NodeJS.ProcessEnv): void {
  const before = loadavg()[0]?.toFixed(2);
  const samples = new Map<string, number[]>(cases.map((c) => [c.label, []]));
  // Warm the file cache, then interleave so every command sees the same load.
  for (const c of cases) timeOnce(c.args, env);
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of cases) samples.get(c.label)?.push(timeOnce(c.args, env));
  }
  const floor = samples.get(cases[0]?.label ?? "") ?? [];
  const floorMedian = median(floor);
  console.log(`\n${label}: ${ROUNDS} interleaved runs each; load average ${before} before`);
  console.log(
    `${"command".padEnd(24)}${"median".padStart(10)}${"fastest".padStart(10)}${"over node".padStart(12)}`,
  );
  for (const c of cases) {
    const values = samples.get(c.label) ?? [];
    const med = median(values);
    const over = c === cases[0] ? "" : `+${(med - floorMedian).toFixed(0)} ms`;
    console.log(
      `${c.label.padEnd(24)}${`${med.toFixed(0)} ms`.padStart(10)}${`${Math.min(...values).toFixed(0)} ms`.padStart(10)}${over.padStart(12)}`,
    );
  }
}

export async function run(): Promise<void> {
  if (!existsSync(join(root, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` first");
  }
  measure("start-up, environment as it is", process.env);
  if (process.env.NODE_EXTRA_CA_CERTS !== undefined) {
    const { NODE_EXTRA_CA_CERTS: _, ...env } = process.env;
    measure(
      `start-up without NODE_EXTRA_CA_CERTS (${process.env.NODE_EXTRA_CA_CERTS} is parsed by Node itself at every start)`,
      env,
    );
  }
  console.log("\ntarget (issue #2): --version and --help in under 150 ms");
}
