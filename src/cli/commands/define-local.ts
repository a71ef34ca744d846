/**
 * The commands that read local files only: `scan` and `verify-signature`. Each action imports its
 * command module when it runs, so `--help` and `--version` load none of them.
 */
import { Option } from "commander";
import {
  type DefineCommand,
  formatOption,
  helpAfter,
  outputOption,
  quietOption,
  repeatable,
  withOptions,
} from "../options.js";
import { REPORT_FORMATS } from "../render/formats.js";
import type { ScanCommandOptions } from "./scan.js";
import type { VerifySignatureCommandOptions } from "./verify-signature.js";

export const defineScan: DefineCommand = (program, setExit) => {
  const command = program
    .command("scan")
    .description("Scan local files and folders; exit 1 if anything could run code when loaded.")
    .argument("<path...>", "files or folders (folders are scanned recursively)");
  withOptions(
    command,
    formatOption(REPORT_FORMATS),
    outputOption("report"),
    quietOption("leave clean files out of the text report"),
    new Option(
      "-j, --jobs <n>",
      "threads that scan: a number, or auto (a thread per two idle cores, for 200+ files)",
    ).default("auto"),
    new Option(
      "--only-models",
      "scan only the given files that are model files (by their bytes, a weights-file name, or a model folder's config.json); for hooks that pass every staged file",
    ),
  );
  helpAfter(
    command,
    "Exit codes: 0 nothing blocks, 1 something blocks, 2 usage or input error, 4 internal error.",
    [
      "$ modelvet scan pytorch_model.bin",
      "$ modelvet scan ./my-model --format json --output report.json",
      "$ modelvet scan ~/.cache/huggingface/hub/models--org--name --quiet",
    ],
  );
  command.action(async (paths: string[], opts: ScanCommandOptions) => {
    const { runScan } = await import("./scan.js");
    setExit(await runScan(paths, opts));
  });
};

export const defineVerifySignature: DefineCommand = (program, setExit) => {
  const command = program
    .command("verify-signature")
    .description(
      "Verify an OpenSSF Model Signing signature (model.sig) for a local model, like `model_signing verify`.",
    )
    .argument("<model>", "the model folder (or a single-file model)");
  withOptions(
    command,
    new Option("--signature <file>", "the signature (default: model.sig in the folder)"),
    new Option(
      "--identity <identity>",
      "Sigstore: the signer's identity (e-mail or URI) to expect",
    ),
    new Option("--issuer <url>", "Sigstore: the OIDC issuer to expect"),
    new Option(
      "--trust-root <file>",
      "Sigstore: a trusted_root.json for a private instance (default: public-good, built in)",
    ),
    new Option("--public-key <file>", "key-signed models: the signer's PEM public key"),
    repeatable(
      "--certificate-chain <file>",
      "certificate-signed models: PEM CA certificate(s) to trust (repeatable)",
      "none",
    ),
    repeatable(
      "--ignore-paths <path>",
      "also leave out this path of the model (repeatable)",
      "none",
    ),
    formatOption(["text", "json"]),
    outputOption("result"),
  );
  helpAfter(
    command,
    `Exit codes: 0 the signature verifies and every file matches it, 10 missing, not verifying, another
signer or files that do not match, 2 usage error, 4 internal error.`,
    [
      "$ modelvet verify-signature ./model --identity alice@example.com --issuer https://accounts.google.com",
      "$ modelvet verify-signature ./model --public-key signer.pub",
      "$ modelvet verify-signature ./model --certificate-chain ca.pem --signature ./model.sig",
    ],
  );
  command.action(async (model: string, opts: VerifySignatureCommandOptions) => {
    const { runVerifySignature } = await import("./verify-signature.js");
    setExit(await runVerifySignature(model, opts));
  });
};
