/**
 * The command line, assembled: the program's own settings, then every command in the order the
 * help lists them. Commands are declared in cli/commands/define-*.ts (options shared through
 * cli/options.ts) and run by functions that return an exit code; main.ts owns the catch. Heavy
 * modules are imported lazily inside actions so `--help` and `--version` start fast.
 */
import { Command, CommanderError } from "commander";
import { VERSION } from "../version.js";
import { defineInspect, definePull, defineVerifyCache } from "./commands/define-hub.js";
import { defineScan, defineVerifySignature } from "./commands/define-local.js";
import {
  defineAccept,
  defineAdd,
  defineAudit,
  defineCi,
  defineLock,
  defineSbom,
} from "./commands/define-project.js";
import type { DefineCommand, SetExit } from "./options.js";

/** In the order `modelvet --help` lists them. */
const COMMANDS: readonly DefineCommand[] = [
  defineScan,
  defineInspect,
  definePull,
  defineAdd,
  defineAccept,
  defineLock,
  defineCi,
  defineVerifyCache,
  defineVerifySignature,
  defineAudit,
  defineSbom,
];

export function buildProgram(setExit: SetExit): Command {
  const program = new Command();
  program
    .name("modelvet")
    .description("Stop poisoned machine-learning models before they are loaded.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .showHelpAfterError("(run modelvet --help for usage)");
  for (const define of COMMANDS) define(program, setExit);
  return program;
}

export { CommanderError };
