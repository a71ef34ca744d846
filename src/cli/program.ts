/**
 * The command line. Commands are functions that return an exit code; main.ts owns the catch.
 * Heavy modules are imported lazily inside actions so `--help` and `--version` start fast.
 */
import { Command, CommanderError, Option } from "commander";
import { VERSION } from "../version.js";
import type { ExitCode } from "./exit-codes.js";

const collect = (value: string, previous: string[]) => [...previous, value];

/** Options several commands share, defined once so their names and help cannot drift apart. */
const shared = {
  hubUrl: () =>
    new Option("--hub-url <url>", "Hub endpoint (default HF_ENDPOINT or https://huggingface.co)"),
  token: () =>
    new Option(
      "--token <token>",
      "Hub access token (default HF_TOKEN or the huggingface token file)",
    ),
  config: () =>
    new Option(
      "--config <file>",
      "project file (default ./modelvet.json; models.lock sits beside it)",
    ),
  cacheDir: () =>
    new Option("--cache-dir <dir>", "cache folder (default HF_HUB_CACHE or $HF_HOME/hub)"),
  include: () =>
    new Option("--include <glob>", "only these files (repeatable)")
      .argParser(collect)
      .default([], "all files"),
  exclude: () =>
    new Option("--exclude <glob>", "leave these files out (repeatable)")
      .argParser(collect)
      .default([], "none"),
};

export function buildProgram(setExit: (code: ExitCode) => void): Command {
  const program = new Command();
  program
    .name("modelvet")
    .description("Stop poisoned machine-learning models before they are loaded.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
    .showHelpAfterError("(run modelvet --help for usage)");

  program
    .command("scan")
    .description("Scan local files and folders; exit 1 if anything could run code when loaded.")
    .argument("<path...>", "files or folders (folders are scanned recursively)")
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "json", "sarif", "codequality"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .option("-q, --quiet", "leave clean files out of the text report")
    .option(
      "-j, --jobs <n>",
      "threads that scan: a number, or auto (a thread per two idle cores, for 200+ files)",
      "auto",
    )
    .option(
      "--only-models",
      "scan only the given files that are model files (by their bytes, a weights-file name, or a model folder's config.json); for hooks that pass every staged file",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet scan pytorch_model.bin
  $ modelvet scan ./my-model --format json --output report.json
  $ modelvet scan ~/.cache/huggingface/hub/models--org--name --quiet

Exit codes: 0 nothing blocks, 1 something blocks, 2 usage or input error, 4 internal error.`,
    )
    .action(async (paths: string[], opts: import("./commands/scan.js").ScanCommandOptions) => {
      const { runScan } = await import("./commands/scan.js");
      setExit(await runScan(paths, opts));
    });

  program
    .command("inspect")
    .description(
      "Show what Hub models are, from metadata alone (no weights downloaded); exit 1 if policy or risky content blocks.",
    )
    .argument(
      "<model...>",
      "org/name[@ref]: ref is a branch, tag, commit (full or short) or semver range over tags",
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .addOption(shared.include())
    .addOption(shared.exclude())
    .addOption(shared.hubUrl())
    .addOption(shared.token())
    .addOption(shared.config())
    .option("-q, --quiet", "no progress or retry notes on stderr")
    .addHelpText(
      "after",
      "\nExit codes: 0 nothing blocks, 1 policy or risky content blocks, 2 usage/config error, 3 Hub or network error.",
    )
    .action(
      async (models: string[], opts: import("./commands/inspect.js").InspectCommandOptions) => {
        const { runInspect } = await import("./commands/inspect.js");
        setExit(await runInspect(models, opts));
      },
    );

  program
    .command("pull")
    .description(
      "Download models into the huggingface_hub cache, verified and scanned; only admitted files are linked.",
    )
    .argument("[model...]", "org/name[@ref]; with none, install exactly what models.lock pins")
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the result to a file instead of stdout")
    .addOption(shared.include())
    .addOption(shared.exclude())
    .addOption(shared.cacheDir())
    .option("--concurrency <n>", "parallel downloads (1-16)", "4")
    .addOption(shared.hubUrl())
    .addOption(shared.token())
    .addOption(shared.config())
    .option("-q, --quiet", "no progress on stderr")
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet pull google-bert/bert-base-uncased
  $ modelvet pull acme/model@v1.2.0 --include "*.json" --include "*.safetensors"
  $ HF_HUB_OFFLINE=1 modelvet pull acme/model    # fetch nothing: verify the cached snapshot
  $ HF_HUB_OFFLINE=1 modelvet pull               # install models.lock from the cache alone

Exit codes: 0 every file verified and admitted, 1 something blocks or did not verify, 2 usage/config error, 3 Hub or network error
(with HF_HUB_OFFLINE and no model: a locked file is not in the cache), 9 bytes do not match models.lock.`,
    )
    .action(async (models: string[], opts: import("./commands/pull.js").PullCommandOptions) => {
      const { runPull } = await import("./commands/pull.js");
      setExit(await runPull(models, opts));
    });

  program
    .command("add")
    .description(
      "Declare models in modelvet.json and pin them in models.lock (pulled, verified, scanned).",
    )
    .argument(
      "<model...>",
      "org/name[@ref]: ref is a branch, tag, commit or semver range (default: the default branch)",
    )
    .addOption(shared.include())
    .addOption(shared.exclude())
    .addOption(shared.cacheDir())
    .addOption(shared.hubUrl())
    .addOption(shared.token())
    .addOption(shared.config())
    .option("-q, --quiet", "no progress on stderr")
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet add google-bert/bert-base-uncased
  $ modelvet add acme/model@^1.2 --include "*.json" --include "*.safetensors"

Nothing is written when the model blocks. Exit codes: 0 added, 1 blocked, 2 usage/config error, 3 Hub or network error.`,
    )
    .action(async (models: string[], opts: import("./commands/add.js").AddCommandOptions) => {
      const { runAdd } = await import("./commands/add.js");
      setExit(await runAdd(models, opts));
    });

  program
    .command("accept")
    .description(
      "Accept a reviewed finding for one locked file (tied to its sha256 in models.lock) in modelvet.json.",
    )
    .argument("<model>", "org/name, as locked in models.lock")
    .argument("<path>", "the file's path in the model, as listed in models.lock")
    .requiredOption("--code <CODE>", "the finding code to accept, e.g. PICKLE_UNKNOWN_GLOBAL")
    .requiredOption("--reason <text>", "one line: who reviewed it and why it is safe")
    .option("--expires <YYYY-MM-DD>", "the acceptance lapses after this day")
    .addOption(shared.config())
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet accept acme/model training_args.bin --code PICKLE_UNKNOWN_GLOBAL \\
      --reason "reviewed by ML platform: custom dataclass" --expires 2027-06-30

Malicious findings (and codes only malicious findings carry) are never accepted. Exit codes: 0 written, 2 usage/config error.`,
    )
    .action(
      async (
        model: string,
        path: string,
        opts: import("./commands/accept.js").AcceptCommandOptions,
      ) => {
        const { runAccept } = await import("./commands/accept.js");
        setExit(await runAccept(model, path, opts));
      },
    );

  program
    .command("lock")
    .description(
      "Pin every model in modelvet.json to a commit, with per-file digests and verdicts, in models.lock.",
    )
    .option(
      "--update [model...]",
      "move these models (or, with no name, all) to what their refs point at now",
    )
    .addOption(shared.cacheDir())
    .addOption(shared.hubUrl())
    .addOption(shared.token())
    .addOption(shared.config())
    .option("-q, --quiet", "no progress on stderr")
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet lock                      # pin what is new or changed; keep the other pins
  $ modelvet lock --update             # move every model forward and show what changed
  $ modelvet lock --update acme/model  # move one model

models.lock is written atomically, and only when nothing blocks. Exit codes: 0 written or up to date, 1 blocked, 2 usage/config error, 3 Hub or network error.`,
    )
    .action(async (opts: import("./commands/lock.js").LockCommandOptions) => {
      const { runLock } = await import("./commands/lock.js");
      setExit(await runLock(opts));
    });

  program
    .command("ci")
    .description(
      "Check that models.lock still holds (never writes): sync with modelvet.json, policy, the Hub's tree, bytes.",
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "json", "sarif", "codequality"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the result to a file instead of stdout")
    .option(
      "--download",
      "also download every locked file into the cache, verify every byte and rescan",
    )
    .option(
      "--rescan",
      "re-derive the locked verdicts without downloading large safetensors weights: download (verified against the lock) and rescan every other file",
    )
    .option("--offline", "check the local cache only (also when HF_HUB_OFFLINE is set)")
    .option(
      "--require-complete",
      "with --offline: a locked file absent from the cache fails (by default it is a note)",
    )
    .addOption(shared.cacheDir())
    .addOption(shared.hubUrl())
    .addOption(shared.token())
    .addOption(shared.config())
    .option("-q, --quiet", "no retry notes on stderr")
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet ci                           # metadata only: fast, no weights downloaded; the
                                          # verdicts in models.lock are listed as not re-derived
  $ modelvet ci --rescan                  # also rescan every file but large safetensors weights
  $ modelvet ci --download --format sarif --output modelvet.sarif
  $ modelvet ci --offline                 # a warm cache, no network

Exit codes: 0 the lock holds, 1 a rescan blocks, 2 usage or invalid files, 3 Hub or network error,
5 modelvet.json and models.lock disagree, 6 policy no longer admits a model, 7 the Hub's tree drifted
from the lock, 8 a pinned commit is gone, 9 bytes do not match the lock, 10 a required model signature
is missing, does not verify or names another signer. With several, the first of 5, 8, 7, 6, 10, 9, 1
wins; every problem is printed.`,
    )
    .action(async (opts: import("./commands/ci.js").CiCommandOptions) => {
      const { runCiCommand } = await import("./commands/ci.js");
      setExit(await runCiCommand(opts));
    });

  program
    .command("verify-cache")
    .description(
      "Re-hash cached snapshots against the Hub's metadata (offline: against the blob names).",
    )
    .argument("[model...]", "org/name[@commit or ref]; with none, every model in the cache")
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the result to a file instead of stdout")
    .addOption(shared.cacheDir())
    .option("--offline", "do not ask the Hub; check each blob against its own name")
    .option(
      "--require-complete",
      "a file the Hub lists that the cache lacks fails (by default it is a note)",
    )
    .addOption(shared.hubUrl())
    .addOption(shared.token())
    .option("-q, --quiet", "no retry notes on stderr")
    .addHelpText(
      "after",
      "\nExit codes: 0 the cache matches (files never fetched are noted), 1 extra or corrupted files (or, with --require-complete, missing ones), 2 usage error, 3 Hub or network error.",
    )
    .action(
      async (models: string[], opts: import("./commands/verify-cache.js").VerifyCacheOptions) => {
        const { runVerifyCache } = await import("./commands/verify-cache.js");
        setExit(await runVerifyCache(models, opts));
      },
    );

  program
    .command("verify-signature")
    .description(
      "Verify an OpenSSF Model Signing signature (model.sig) for a local model, like `model_signing verify`.",
    )
    .argument("<model>", "the model folder (or a single-file model)")
    .option("--signature <file>", "the signature (default: model.sig in the folder)")
    .option("--identity <identity>", "Sigstore: the signer's identity (e-mail or URI) to expect")
    .option("--issuer <url>", "Sigstore: the OIDC issuer to expect")
    .option(
      "--trust-root <file>",
      "Sigstore: a trusted_root.json for a private instance (default: public-good, built in)",
    )
    .option("--public-key <file>", "key-signed models: the signer's PEM public key")
    .addOption(
      new Option(
        "--certificate-chain <file>",
        "certificate-signed models: PEM CA certificate(s) to trust (repeatable)",
      )
        .argParser(collect)
        .default([], "none"),
    )
    .addOption(
      new Option("--ignore-paths <path>", "also leave out this path of the model (repeatable)")
        .argParser(collect)
        .default([], "none"),
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "json"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the result to a file instead of stdout")
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet verify-signature ./model --identity alice@example.com --issuer https://accounts.google.com
  $ modelvet verify-signature ./model --public-key signer.pub
  $ modelvet verify-signature ./model --certificate-chain ca.pem --signature ./model.sig

Exit codes: 0 the signature verifies and every file matches it, 10 missing, not verifying, another
signer or files that do not match, 2 usage error, 4 internal error.`,
    )
    .action(
      async (
        model: string,
        opts: import("./commands/verify-signature.js").VerifySignatureCommandOptions,
      ) => {
        const { runVerifySignature } = await import("./commands/verify-signature.js");
        setExit(await runVerifySignature(model, opts));
      },
    );

  program
    .command("audit")
    .description(
      "Is anything pinned in models.lock now known to be bad? Advisories, and the Hub's current view (never writes).",
    )
    .option(
      "--lockfile <glob>",
      "lock files to audit (repeatable; a glob is matched below the current folder, e.g. '**/models.lock')",
      collect,
      [],
    )
    .option(
      "--advisories <file-or-url>",
      "an advisory file (format in the README), local or http(s) (repeatable)",
      collect,
      [],
    )
    .option("--offline", "advisories against the lock files alone; nothing is fetched")
    .addOption(
      new Option("--audit-level <severity>", "exit non-zero only for findings at or above this")
        .choices(["info", "low", "medium", "high", "critical"])
        .default("low"),
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["text", "json", "sarif"])
        .default("text"),
    )
    .option("-o, --output <file>", "write the result to a file instead of stdout")
    .addOption(shared.hubUrl())
    .addOption(shared.token())
    .addOption(shared.config())
    .option("-q, --quiet", "no progress on stderr")
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet audit                                        # ./models.lock against the Hub
  $ modelvet audit --advisories advisories.json           # and against an advisory file
  $ modelvet audit --lockfile '**/models.lock' --advisories https://example.org/adv.json
  $ modelvet audit --offline --advisories advisories.json # no network

Exit codes: 0 nothing at or above --audit-level, 20 low, 21 medium, 22 high, 23 critical (the worst
finding), 2 usage or invalid files, 3 the Hub could not answer for some model (nothing worse found).`,
    )
    .action(async (opts: import("./commands/audit.js").AuditCommandOptions) => {
      const { runAuditCommand } = await import("./commands/audit.js");
      setExit(await runAuditCommand(opts));
    });

  program
    .command("sbom")
    .description(
      "Write an ML bill of materials (CycloneDX 1.6 JSON) for what models.lock pins; never contacts the Hub.",
    )
    .addOption(
      new Option("-f, --format <format>", "output format")
        .choices(["cyclonedx"])
        .default("cyclonedx"),
    )
    .option("-o, --output <file>", "write the document to a file instead of stdout")
    .addOption(shared.config())
    .addHelpText(
      "after",
      `
Examples:
  $ modelvet sbom --output models.cdx.json
  $ modelvet sbom --config services/api/modelvet.json

One machine-learning-model component per model (purl pkg:huggingface/<org>/<name>@<commit>), its
files as sub-components with SHA-256 and the recorded scan verdicts. The same lock always gives the
same bytes. Exit codes: 0 written, 2 no or invalid models.lock.`,
    )
    .action(async (opts: import("./commands/sbom.js").SbomCommandOptions) => {
      const { runSbom } = await import("./commands/sbom.js");
      setExit(runSbom(opts));
    });

  return program;
}

export { CommanderError };
