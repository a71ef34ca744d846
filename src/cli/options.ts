/**
 * What the commands' declarations share, defined once so names, flags and help cannot drift apart:
 * the common options (`--format`, `--output`, `--quiet`, `--offline`, the Hub and project flags,
 * file filters, repeatable lists), the help epilogue (examples, exit codes) and the lazy action.
 * Only commander's types and values are used here; nothing heavy is imported, so `--help` stays
 * fast.
 */
import { type Command, Option } from "commander";
import type { ExitCode } from "./exit-codes.js";

/** Receives the exit code a command's action returns; main.ts owns what happens with it. */
export type SetExit = (code: ExitCode) => void;

/** Declares one command (or a few) on the program. */
export type DefineCommand = (program: Command, setExit: SetExit) => void;

const collect = (value: string, previous: string[]) => [...previous, value];

/** A list option: each use adds a value. `none`: how the empty default reads in the help. */
export function repeatable(flags: string, help: string, none?: string): Option {
  return new Option(flags, help).argParser(collect).default([], none);
}

/** `-f, --format`: one of `choices`, the first by default. */
export function formatOption(choices: readonly string[]): Option {
  return new Option("-f, --format <format>", "output format").choices(choices).default(choices[0]);
}

/** `-o, --output <file>`: where `what` ("report", "result", …) goes instead of stdout. */
export function outputOption(what: string): Option {
  return new Option("-o, --output <file>", `write the ${what} to a file instead of stdout`);
}

/** `-q, --quiet`, with what it leaves out for this command. */
export function quietOption(help: string): Option {
  return new Option("-q, --quiet", help);
}

/** `--offline`, with what offline means for this command. */
export function offlineOption(help: string): Option {
  return new Option("--offline", help);
}

/** `--hub-url` and `--token`: every command that talks to the Hub takes both. */
export function hubOptions(): Option[] {
  return [
    new Option("--hub-url <url>", "Hub endpoint (default HF_ENDPOINT or https://huggingface.co)"),
    new Option(
      "--token <token>",
      "Hub access token (default HF_TOKEN or the huggingface token file)",
    ),
  ];
}

/** `--config`: the project file. */
export function configOption(): Option {
  return new Option(
    "--config <file>",
    "project file (default ./modelvet.json; models.lock sits beside it)",
  );
}

/** `--cache-dir`: the huggingface_hub cache. */
export function cacheDirOption(): Option {
  return new Option("--cache-dir <dir>", "cache folder (default HF_HUB_CACHE or $HF_HOME/hub)");
}

/** `--include` and `--exclude`: which files of a model. */
export function fileFilterOptions(): Option[] {
  return [
    repeatable("--include <glob>", "only these files (repeatable)", "all files"),
    repeatable("--exclude <glob>", "leave these files out (repeatable)", "none"),
  ];
}

/** Adds `options` (single or in groups) to `command` in the order given, which is the help's. */
export function withOptions(command: Command, ...options: (Option | Option[])[]): Command {
  for (const option of options.flat()) command.addOption(option);
  return command;
}

/**
 * The text after a command's options: its examples (each line indented, commands with `$ `
 * already written), then `notes` (exit codes and what else the user should know).
 */
export function helpAfter(command: Command, notes: string, examples: string[] = []): Command {
  const shown =
    examples.length === 0 ? "" : `\nExamples:\n${examples.map((e) => `  ${e}`).join("\n")}\n`;
  return command.addHelpText("after", `${shown}\n${notes}`);
}
