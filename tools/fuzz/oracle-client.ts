/**
 * The oracle as a long-running Python process (tools/oracle/oracle.py --serve): batches of cases
 * go in as length-prefixed bytes, one JSON line per case comes back.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { OracleRecord } from "./compare.js";

export const ORACLE_SCRIPT = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "oracle",
  "oracle.py",
);

export function defaultPython(): string {
  return (
    process.env.MODELVET_ORACLE_PYTHON ??
    (existsSync("/work/venv/bin/python") ? "/work/venv/bin/python" : "/usr/bin/python3")
  );
}

/** How long one case may take in the oracle before it is killed (its own alarm is 3 s). */
const LINE_TIMEOUT_MS = 20_000;
/** How long the oracle may take to start. */
const STARTUP_TIMEOUT_MS = 180_000;

export class OracleClient {
  private readonly child: ChildProcessWithoutNullStreams;
  private buffer = "";
  private lines: string[] = [];
  private waiter: (() => void) | undefined;
  private exited: string | undefined;
  versions: Record<string, unknown> = {};

  constructor(python = defaultPython()) {
    this.child = spawn(python, [ORACLE_SCRIPT, "--serve"], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (chunk: string) => {
      this.buffer += chunk;
      let nl = this.buffer.indexOf("\n");
      while (nl >= 0) {
        this.lines.push(this.buffer.slice(0, nl));
        this.buffer = this.buffer.slice(nl + 1);
        nl = this.buffer.indexOf("\n");
      }
      this.waiter?.();
    });
    let stderr = "";
    this.child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    // A reader that crashes the oracle (h5py segfaults on some damaged HDF5 files) closes its
    // input: the batch fails and the fuzzer restarts the oracle, instead of an unhandled EPIPE.
    this.child.stdin.on("error", (error) => {
      this.exited ??= `oracle input closed: ${error.message}`;
      this.waiter?.();
    });
    this.child.on("exit", (code, signal) => {
      this.exited = `oracle exited (${code ?? signal}): ${stderr}`;
      this.waiter?.();
    });
  }

  /**
   * The next answer. A reader stuck in C code (HDF5 loops forever on some damaged files, where
   * Python's alarm never fires) gets the oracle killed after `timeoutMs`, which fails the batch.
   */
  private async line(timeoutMs = LINE_TIMEOUT_MS): Promise<string> {
    while (this.lines.length === 0) {
      if (this.exited !== undefined) throw new Error(this.exited);
      const timer = setTimeout(() => {
        this.exited ??= `oracle gave no answer in ${timeoutMs} ms (a reader is stuck): killed`;
        this.child.kill("SIGKILL");
        this.waiter?.();
      }, timeoutMs);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      clearTimeout(timer);
      this.waiter = undefined;
    }
    return this.lines.shift() as string;
  }

  async ready(): Promise<void> {
    // Starting the oracle imports torch, numpy and h5py: slow on a busy machine.
    const hello = JSON.parse(await this.line(STARTUP_TIMEOUT_MS)) as {
      versions: Record<string, unknown>;
    };
    this.versions = hello.versions;
  }

  /** Sends a batch; resolves with one record per case, in order. */
  async examine(cases: readonly Uint8Array[]): Promise<OracleRecord[]> {
    const parts: Buffer[] = [];
    const head = Buffer.alloc(4);
    head.writeUInt32LE(cases.length);
    parts.push(head);
    for (const c of cases) {
      const len = Buffer.alloc(4);
      len.writeUInt32LE(c.length);
      parts.push(len, Buffer.from(c.buffer, c.byteOffset, c.byteLength));
    }
    this.child.stdin.write(Buffer.concat(parts));
    const out: OracleRecord[] = [];
    for (let i = 0; i < cases.length; i++) out.push(JSON.parse(await this.line()) as OracleRecord);
    return out;
  }

  async close(): Promise<void> {
    if (this.exited !== undefined) return;
    const done = new Promise<void>((resolve) => this.child.on("exit", () => resolve()));
    this.child.stdin.end(Buffer.alloc(4));
    await done;
  }
}
