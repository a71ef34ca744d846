/**
 * Progress on stderr. A spinner (ora) with bytes, rate and time left when stderr is a terminal
 * and CI is not set; one plain line per file otherwise; nothing with --quiet. stdout carries only
 * the result.
 *
 * `HF_HUB_DISABLE_PROGRESS_BARS` (1/ON/YES/TRUE, as huggingface_hub reads it) turns the spinner
 * off: plain lines, as on a pipe. `NO_COLOR` (any non-empty value, no-color.org) draws the
 * spinner without colour; modelvet prints colour nowhere else.
 */
import type { Ora } from "ora";
import type { PullEvent } from "../app/pull.js";
import { isTrueEnvValue } from "../core/env-flag.js";

export interface Progress {
  onPullEvent(event: PullEvent): void;
  note(line: string): void;
  stop(): void;
}

/**
 * Hub retry notes for commands without a progress display: one line each on stderr, unless quiet.
 * (Commands with one pass `progress.note` instead.)
 */
export function retryNotes(quiet: boolean | undefined): ((line: string) => void) | undefined {
  if (quiet) return undefined;
  return (line) => process.stderr.write(`modelvet: ${line}\n`);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** What stderr is, for the choice of progress display. */
export interface ProgressTerminal {
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

/** A spinner, or one plain line per file. */
export function progressStyle(
  env: NodeJS.ProcessEnv,
  terminal: ProgressTerminal,
): "spinner" | "lines" {
  // A terminal that reports no width (some pseudo-terminals) would make the spinner redraw
  // thousands of lines: plain lines there too.
  const interactive =
    terminal.isTTY === true &&
    !env.CI &&
    env.TERM !== "dumb" &&
    (terminal.columns ?? 0) > 0 &&
    !isTrueEnvValue(env.HF_HUB_DISABLE_PROGRESS_BARS);
  return interactive ? "spinner" : "lines";
}

/** `NO_COLOR` set to anything but the empty string: no colour (https://no-color.org). */
export function colourAllowed(env: NodeJS.ProcessEnv): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === "";
}

export async function createProgress(options: { quiet?: boolean } = {}): Promise<Progress> {
  if (options.quiet) return { onPullEvent() {}, note() {}, stop() {} };
  if (progressStyle(process.env, process.stderr) === "lines") {
    return {
      onPullEvent(e) {
        if (e.type === "resolved")
          process.stderr.write(`${e.repo}: ${e.requested ?? "default branch"} -> ${e.commit}\n`);
        else if (e.type === "denied")
          process.stderr.write(`${e.repo}: denied by policy (${e.decision.rule})\n`);
        else if (e.type === "file-done")
          process.stderr.write(`  ${e.status.padEnd(8)} ${e.repo}/${e.path} [${e.verdict}]\n`);
      },
      note(line) {
        process.stderr.write(`${line}\n`);
      },
      stop() {},
    };
  }
  const { default: ora } = await import("ora");
  const spinner: Ora = ora({
    stream: process.stderr,
    ...(colourAllowed(process.env) ? {} : { color: false }),
  }).start("resolving…");
  let total = 0;
  let done = 0;
  let started = Date.now();
  const files = new Map<string, { size: number; got: number }>();
  const render = () => {
    const seconds = Math.max(0.001, (Date.now() - started) / 1000);
    const rate = done / seconds;
    const left = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
    const current = [...files.entries()]
      .map(([p, f]) => `${p} ${formatBytes(f.got)}/${formatBytes(f.size)}`)
      .slice(0, 2);
    spinner.text = `${formatBytes(done)}/${formatBytes(total)} at ${formatBytes(rate)}/s, ${Math.ceil(left)} s left  ${current.join("  ")}`;
  };
  return {
    onPullEvent(e) {
      switch (e.type) {
        case "resolved":
          spinner.text = `${e.repo} -> ${e.commit.slice(0, 12)}`;
          break;
        case "files":
          total += e.bytes;
          started = Date.now();
          break;
        case "file-start":
          files.set(e.path, { size: e.size, got: 0 });
          break;
        case "bytes": {
          done += e.bytes;
          const f = files.get(e.path);
          if (f) f.got += e.bytes;
          render();
          break;
        }
        case "file-done":
          files.delete(e.path);
          spinner.stopAndPersist({
            symbol: e.status === "linked" ? "✓" : "✗",
            text: `${e.repo}/${e.path} [${e.verdict}]`,
          });
          spinner.start();
          render();
          break;
        case "denied":
          spinner.stopAndPersist({
            symbol: "✗",
            text: `${e.repo}: denied by policy (${e.decision.rule})`,
          });
          spinner.start();
          break;
      }
    },
    note(line) {
      spinner.stopAndPersist({ text: line });
      spinner.start();
    },
    stop() {
      spinner.stop();
    },
  };
}
