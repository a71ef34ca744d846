/**
 * Bench-only helpers for the download/hashing/ci benchmarks: machine facts, child processes timed
 * by /usr/bin/time (wall, CPU, peak RSS), and figure formatting. Measures; never judges.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statfsSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";

export const MB = 1e6;
export const MiB = 1 << 20;

export interface ChildStats {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time seen by this process around the spawn, ms. */
  wallMs: number;
  /** From /usr/bin/time when available: user+sys CPU seconds and peak RSS in KiB. */
  cpuS: number | undefined;
  maxRssKiB: number | undefined;
}

const TIME = "/usr/bin/time";

/** Runs `cmd args` as a child (under /usr/bin/time when present) and collects its figures. */
export async function runTimed(
  cmd: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<ChildStats> {
  const useTime = existsSync(TIME);
  const scratch = useTime ? mkdtempSync(join(tmpdir(), "modelvet-bench-time-")) : undefined;
  const timeFile = scratch === undefined ? undefined : join(scratch, "time.txt");
  const [file, argv] =
    timeFile === undefined
      ? [cmd, [...args]]
      : [TIME, ["-o", timeFile, "-f", "%e %U %S %M", cmd, ...args]];
  const start = process.hrtime.bigint();
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (ok, fail) => {
      const child = spawn(file, argv, {
        env: env ?? process.env,
        ...(cwd !== undefined ? { cwd } : {}),
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        stdout += d;
      });
      child.stderr.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
      });
      child.on("error", fail);
      child.on("close", (code) => ok({ code, stdout, stderr }));
    },
  );
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  let cpuS: number | undefined;
  let maxRssKiB: number | undefined;
  if (timeFile !== undefined) {
    const last = readFileSync(timeFile, "utf8").trim().split("\n").pop() ?? "";
    const [, user, sys, rss] = last.split(/\s+/).map(Number);
    if (user !== undefined && sys !== undefined && Number.isFinite(user + sys)) cpuS = user + sys;
    if (rss !== undefined && Number.isFinite(rss)) maxRssKiB = rss;
    rmSync(scratch!, { recursive: true, force: true });
  }
  return { ...result, wallMs, cpuS, maxRssKiB };
}

/** Free bytes on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export function machineFacts(): string {
  let openssl = "openssl: not found";
  try {
    openssl = execFileSync("openssl", ["version"], { encoding: "utf8" }).trim();
  } catch {
    // reported as not found
  }
  let shaNi = "unknown";
  try {
    shaNi = /\bsha_ni\b/.test(readFileSync("/proc/cpuinfo", "utf8")) ? "yes" : "no";
  } catch {
    // not Linux
  }
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  return [
    `machine: nproc ${availableParallelism()}, ${cpu}, SHA-NI ${shaNi}`,
    `node ${process.version} (OpenSSL ${process.versions.openssl}), ${openssl}`,
    `tmp: ${tmpdir()}, ${(freeBytes(tmpdir()) / 1e9).toFixed(1)} GB free`,
  ].join("\n");
}

export const mbps = (bytes: number, ms: number) => bytes / MB / (ms / 1000);

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`;
}

/** A plain text table: the first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: readonly string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)]
    .join("\n")
    .concat("\n");
}
