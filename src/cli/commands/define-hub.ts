/**
 * The commands about Hub models and the huggingface_hub cache, outside a project's lock: `inspect`,
 * `pull` and `verify-cache`. Each action imports its command module when it runs, so `--help` and
 * `--version` load none of them.
 */
import { Option } from "commander";
import {
  cacheDirOption,
  configOption,
  type DefineCommand,
  fileFilterOptions,
  formatOption,
  helpAfter,
  hubOptions,
  offlineOption,
  outputOption,
  quietOption,
  withOptions,
} from "../options.js";
import type { InspectCommandOptions } from "./inspect.js";
import type { PullCommandOptions } from "./pull.js";
import type { VerifyCacheOptions } from "./verify-cache.js";

export const defineInspect: DefineCommand = (program, setExit) => {
  const command = program
    .command("inspect")
    .description(
      "Show what Hub models are, from metadata alone (no weights downloaded); exit 1 if policy or risky content blocks.",
    )
    .argument(
      "<model...>",
      "org/name[@ref]: ref is a branch, tag, commit (full or short) or semver range over tags",
    );
  withOptions(
    command,
    formatOption(["text", "json"]),
    outputOption("report"),
    fileFilterOptions(),
    hubOptions(),
    configOption(),
    quietOption("no progress or retry notes on stderr"),
  );
  helpAfter(
    command,
    "Exit codes: 0 nothing blocks, 1 policy or risky content blocks, 2 usage/config error, 3 Hub or network error.",
  );
  command.action(async (models: string[], opts: InspectCommandOptions) => {
    const { runInspect } = await import("./inspect.js");
    setExit(await runInspect(models, opts));
  });
};

export const definePull: DefineCommand = (program, setExit) => {
  const command = program
    .command("pull")
    .description(
      "Download models into the huggingface_hub cache, verified and scanned; only admitted files are linked.",
    )
    .argument("[model...]", "org/name[@ref]; with none, install exactly what models.lock pins");
  withOptions(
    command,
    formatOption(["text", "json"]),
    outputOption("result"),
    fileFilterOptions(),
    cacheDirOption(),
    new Option("--concurrency <n>", "parallel downloads (1-16)").default("4"),
    hubOptions(),
    configOption(),
    quietOption("no progress on stderr"),
  );
  helpAfter(
    command,
    `Exit codes: 0 every file verified and admitted, 1 something blocks or did not verify, 2 usage/config error, 3 Hub or network error
(with HF_HUB_OFFLINE and no model: a locked file is not in the cache), 9 bytes do not match models.lock.`,
    [
      "$ modelvet pull google-bert/bert-base-uncased",
      '$ modelvet pull acme/model@v1.2.0 --include "*.json" --include "*.safetensors"',
      "$ HF_HUB_OFFLINE=1 modelvet pull acme/model    # fetch nothing: verify the cached snapshot",
      "$ HF_HUB_OFFLINE=1 modelvet pull               # install models.lock from the cache alone",
    ],
  );
  command.action(async (models: string[], opts: PullCommandOptions) => {
    const { runPull } = await import("./pull.js");
    setExit(await runPull(models, opts));
  });
};

export const defineVerifyCache: DefineCommand = (program, setExit) => {
  const command = program
    .command("verify-cache")
    .description(
      "Re-hash cached snapshots against the Hub's metadata (offline: against the blob names).",
    )
    .argument("[model...]", "org/name[@commit or ref]; with none, every model in the cache");
  withOptions(
    command,
    formatOption(["text", "json"]),
    outputOption("result"),
    cacheDirOption(),
    offlineOption("do not ask the Hub; check each blob against its own name"),
    new Option(
      "--require-complete",
      "a file the Hub lists that the cache lacks fails (by default it is a note)",
    ),
    hubOptions(),
    quietOption("no retry notes on stderr"),
  );
  helpAfter(
    command,
    "Exit codes: 0 the cache matches (files never fetched are noted), 1 extra or corrupted files (or, with --require-complete, missing ones), 2 usage error, 3 Hub or network error.",
  );
  command.action(async (models: string[], opts: VerifyCacheOptions) => {
    const { runVerifyCache } = await import("./verify-cache.js");
    setExit(await runVerifyCache(models, opts));
  });
};
