/**
 * Runs the CLI (src/cli/run.ts, the function bin/modelvet.js runs from dist/) inside the test's
 * own process: the same argv, environment, working directory and exit code as `runCli`
 * (run-cli.ts), with stdout and stderr captured, but without a Node start and a module load per
 * run (about half a second of CPU each, most of what a short CLI test costs). From the sources,
 * as the test's other imports: a dist/ module loaded here would go through tsx's loader, which
 * rewrites it, and its coverage would no longer map onto the sources.
 *
 * What it does not give, a test of the process must spawn (`runCli`): standard input, signals,
 * EPIPE, process.exitCode, a fresh module state, and two runs at once (a run here swaps
 * process.env, the working directory and process.stdout/stderr for its whole length, so a second
 * run while one is going is refused, never queued: a race test must spawn).
 *
 * The output is masked as bin/modelvet.js masks it (cli/output.ts `maskProcessOutput` is put in
 * front of the capture once). node:test's report must not go to this process's stdout while a
 * run captures it: scripts/run-tests.mjs sends it to a file.
 */
import { join } from "node:path";
import type * as RunModule from "../../src/cli/run.js";
import type { CliResult } from "./run-cli.js";
import { cliEnv, REPO_ROOT } from "./run-cli.js";

type Writer = typeof process.stdout.write;

interface Capture {
  stdout: string;
  stderr: string;
}

let current: Capture | undefined;
let loaded: Promise<typeof RunModule> | undefined;

function text(chunk: unknown, encoding?: unknown): string {
  if (typeof chunk === "string") return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString(
      typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8",
    );
  return String(chunk);
}

/** Puts a capture in front of process.stdout/stderr: while a run is on, writes go to its buffers. */
function captureStream(stream: NodeJS.WriteStream, field: keyof Capture): void {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (current === undefined) return original(chunk, ...rest);
    current[field] += text(chunk, typeof rest[0] === "string" ? rest[0] : undefined);
    const callback = rest.find((r) => typeof r === "function") as (() => void) | undefined;
    if (callback) process.nextTick(callback);
    return true;
  }) as Writer;
}

async function load(): Promise<typeof RunModule> {
  const run = await import("../../src/cli/run.js");
  const output = await import("../../src/cli/output.js");
  captureStream(process.stdout, "stdout");
  captureStream(process.stderr, "stderr");
  output.maskProcessOutput();
  return run;
}

/** Runs `modelvet <args>` in this process; see the file's comment for what differs from runCli. */
export async function runCliInProcess(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  if (current !== undefined)
    throw new Error(
      "runCliInProcess: another run is going on; runs that overlap must spawn (runCli)",
    );
  const capture: Capture = { stdout: "", stderr: "" };
  current = capture;
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  try {
    loaded ??= load();
    const { runCommandLine } = await loaded;
    // The environment runCli gives a child; a variable set to undefined is unset, as spawn does.
    replaceEnv(cliEnv(options.env));
    process.chdir(options.cwd ?? REPO_ROOT);
    const code = await runCommandLine([
      process.execPath,
      join(REPO_ROOT, "bin", "modelvet.js"),
      ...args,
    ]);
    return { code, stdout: capture.stdout, stderr: capture.stderr };
  } finally {
    process.chdir(savedCwd);
    replaceEnv(savedEnv);
    current = undefined;
  }
}

function replaceEnv(next: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in next)) delete process.env[key];
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}
