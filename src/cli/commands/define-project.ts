/**
 * The commands about a project's modelvet.json and models.lock: `add`, `accept`, `lock`, `ci`,
 * `audit` and `sbom`. Each action imports its command module when it runs, so `--help` and
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
  repeatable,
  withOptions,
} from "../options.js";
import { REPORT_FORMATS } from "../render/formats.js";
import type { AcceptCommandOptions } from "./accept.js";
import type { AddCommandOptions } from "./add.js";
import type { AuditCommandOptions } from "./audit.js";
import type { CiCommandOptions } from "./ci.js";
import type { LockCommandOptions } from "./lock.js";
import type { SbomCommandOptions } from "./sbom.js";

export const defineAdd: DefineCommand = (program, setExit) => {
  const command = program
    .command("add")
    .description(
      "Declare models in modelvet.json and pin them in models.lock (pulled, verified, scanned).",
    )
    .argument(
      "<model...>",
      "org/name[@ref]: ref is a branch, tag, commit or semver range (default: the default branch)",
    );
  withOptions(
    command,
    fileFilterOptions(),
    cacheDirOption(),
    hubOptions(),
    configOption(),
    quietOption("no progress on stderr"),
  );
  helpAfter(
    command,
    "Nothing is written when the model blocks. Exit codes: 0 added, 1 blocked, 2 usage/config error, 3 Hub or network error.",
    [
      "$ modelvet add google-bert/bert-base-uncased",
      '$ modelvet add acme/model@^1.2 --include "*.json" --include "*.safetensors"',
    ],
  );
  command.action(async (models: string[], opts: AddCommandOptions) => {
    const { runAdd } = await import("./add.js");
    setExit(await runAdd(models, opts));
  });
};

export const defineAccept: DefineCommand = (program, setExit) => {
  const command = program
    .command("accept")
    .description(
      "Accept a reviewed finding for one locked file (tied to its sha256 in models.lock) in modelvet.json.",
    )
    .argument("<model>", "org/name, as locked in models.lock")
    .argument("<path>", "the file's path in the model, as listed in models.lock");
  withOptions(
    command,
    new Option(
      "--code <CODE>",
      "the finding code to accept, e.g. PICKLE_UNKNOWN_GLOBAL",
    ).makeOptionMandatory(),
    new Option(
      "--reason <text>",
      "one line: who reviewed it and why it is safe",
    ).makeOptionMandatory(),
    new Option("--expires <YYYY-MM-DD>", "the acceptance lapses after this day"),
    configOption(),
  );
  helpAfter(
    command,
    "Malicious findings (and codes only malicious findings carry) are never accepted. Exit codes: 0 written, 2 usage/config error.",
    [
      "$ modelvet accept acme/model training_args.bin --code PICKLE_UNKNOWN_GLOBAL \\",
      '    --reason "reviewed by ML platform: custom dataclass" --expires 2027-06-30',
    ],
  );
  command.action(async (model: string, path: string, opts: AcceptCommandOptions) => {
    const { runAccept } = await import("./accept.js");
    setExit(await runAccept(model, path, opts));
  });
};

export const defineLock: DefineCommand = (program, setExit) => {
  const command = program
    .command("lock")
    .description(
      "Pin every model in modelvet.json to a commit, with per-file digests and verdicts, in models.lock.",
    );
  withOptions(
    command,
    new Option(
      "--update [model...]",
      "move these models (or, with no name, all) to what their refs point at now",
    ),
    cacheDirOption(),
    hubOptions(),
    configOption(),
    quietOption("no progress on stderr"),
  );
  helpAfter(
    command,
    "models.lock is written atomically, and only when nothing blocks. Exit codes: 0 written or up to date, 1 blocked, 2 usage/config error, 3 Hub or network error.",
    [
      "$ modelvet lock                      # pin what is new or changed; keep the other pins",
      "$ modelvet lock --update             # move every model forward and show what changed",
      "$ modelvet lock --update acme/model  # move one model",
    ],
  );
  command.action(async (opts: LockCommandOptions) => {
    const { runLock } = await import("./lock.js");
    setExit(await runLock(opts));
  });
};

export const defineCi: DefineCommand = (program, setExit) => {
  const command = program
    .command("ci")
    .description(
      "Check that models.lock still holds (never writes): sync with modelvet.json, policy, the Hub's tree, bytes.",
    );
  withOptions(
    command,
    formatOption(REPORT_FORMATS),
    outputOption("result"),
    new Option(
      "--download",
      "also download every locked file into the cache, verify every byte and rescan",
    ),
    new Option(
      "--rescan",
      "re-derive the locked verdicts without downloading large safetensors weights: download (verified against the lock) and rescan every other file",
    ),
    offlineOption("check the local cache only (also when HF_HUB_OFFLINE is set)"),
    new Option(
      "--require-complete",
      "with --offline: a locked file absent from the cache fails (by default it is a note)",
    ),
    cacheDirOption(),
    hubOptions(),
    configOption(),
    quietOption("no retry notes on stderr"),
  );
  helpAfter(
    command,
    `Exit codes: 0 the lock holds, 1 a rescan blocks, 2 usage or invalid files, 3 Hub or network error,
5 modelvet.json and models.lock disagree, 6 policy no longer admits a model, 7 the Hub's tree drifted
from the lock, 8 a pinned commit is gone, 9 bytes do not match the lock, 10 a required model signature
is missing, does not verify or names another signer. With several, the first of 5, 8, 7, 6, 10, 9, 1
wins; every problem is printed.`,
    [
      "$ modelvet ci                           # metadata only: fast, no weights downloaded; the",
      "                                        # verdicts in models.lock are listed as not re-derived",
      "$ modelvet ci --rescan                  # also rescan every file but large safetensors weights",
      "$ modelvet ci --download --format sarif --output modelvet.sarif",
      "$ modelvet ci --offline                 # a warm cache, no network",
    ],
  );
  command.action(async (opts: CiCommandOptions) => {
    const { runCiCommand } = await import("./ci.js");
    setExit(await runCiCommand(opts));
  });
};

export const defineAudit: DefineCommand = (program, setExit) => {
  const command = program
    .command("audit")
    .description(
      "Is anything pinned in models.lock now known to be bad? Advisories, and the Hub's current view (never writes).",
    );
  withOptions(
    command,
    repeatable(
      "--lockfile <glob>",
      "lock files to audit (repeatable; a glob is matched below the current folder, e.g. '**/models.lock')",
    ),
    repeatable(
      "--advisories <file-or-url>",
      "an advisory file (format in the README), local or http(s) (repeatable)",
    ),
    offlineOption("advisories against the lock files alone; nothing is fetched"),
    new Option("--audit-level <severity>", "exit non-zero only for findings at or above this")
      .choices(["info", "low", "medium", "high", "critical"])
      .default("low"),
    formatOption(["text", "json", "sarif"]),
    outputOption("result"),
    hubOptions(),
    configOption(),
    quietOption("no progress on stderr"),
  );
  helpAfter(
    command,
    `Exit codes: 0 nothing at or above --audit-level, 20 low, 21 medium, 22 high, 23 critical (the worst
finding), 2 usage or invalid files, 3 the Hub could not answer for some model (nothing worse found).`,
    [
      "$ modelvet audit                                        # ./models.lock against the Hub",
      "$ modelvet audit --advisories advisories.json           # and against an advisory file",
      "$ modelvet audit --lockfile '**/models.lock' --advisories https://example.org/adv.json",
      "$ modelvet audit --offline --advisories advisories.json # no network",
    ],
  );
  command.action(async (opts: AuditCommandOptions) => {
    const { runAuditCommand } = await import("./audit.js");
    setExit(await runAuditCommand(opts));
  });
};

export const defineSbom: DefineCommand = (program, setExit) => {
  const command = program
    .command("sbom")
    .description(
      "Write an ML bill of materials (CycloneDX 1.6 JSON) for what models.lock pins; never contacts the Hub.",
    );
  withOptions(command, formatOption(["cyclonedx"]), outputOption("document"), configOption());
  helpAfter(
    command,
    `One machine-learning-model component per model (purl pkg:huggingface/<org>/<name>@<commit>), its
files as sub-components with SHA-256 and the recorded scan verdicts. The same lock always gives the
same bytes. Exit codes: 0 written, 2 no or invalid models.lock.`,
    [
      "$ modelvet sbom --output models.cdx.json",
      "$ modelvet sbom --config services/api/modelvet.json",
    ],
  );
  command.action(async (opts: SbomCommandOptions) => {
    const { runSbom } = await import("./sbom.js");
    setExit(runSbom(opts));
  });
};
