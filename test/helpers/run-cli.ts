/**
 * Runs the built CLI (bin/modelvet.js → dist/) as a user would: a child process with its own
 * environment, capturing exit code, stdout and stderr. `npm test` builds before running tests.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(REPO_ROOT, "bin", "modelvet.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI run's environment: this process's, no colour, CI set, then the run's own variables. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, NO_COLOR: "1", CI: "true", ...extra };
}

export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: cliEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** A fresh temporary folder, removed by the returned cleanup function. */
export function tempDir(prefix = "modelvet-test-"): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * The environment a CLI run against a fixture Hub gets: that Hub, no token, and a cache and
 * HF_HOME of its own inside `dir` (so nothing reads the real ~/.cache or token file).
 */
export function hubEnv(hubUrl: string, dir: string): NodeJS.ProcessEnv {
  return {
    HF_ENDPOINT: hubUrl,
    HF_HUB_CACHE: join(dir, "cache"),
    HF_TOKEN: "",
    HF_HOME: join(dir, "hf-home"),
  };
}
