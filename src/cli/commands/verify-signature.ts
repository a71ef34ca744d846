/**
 * `modelvet verify-signature <model>`: check an OpenSSF Model Signing signature like
 * `model_signing verify`, for a local folder (or a single file).
 */
import { createPublicKey, type KeyObject, type X509Certificate } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { embeddedTrustRoot, readTrustRoot } from "../../app/session.js";
import {
  type SignatureTrust,
  type SignatureVerification,
  verifyModelSignature,
} from "../../app/verify-signature.js";
import { InputError, UsageError } from "../../core/errors.js";
import { SignatureCheckError } from "../../core/signature/errors.js";
import { describeSigner } from "../../core/signature/signer.js";
import { parsePemCertificates } from "../../core/signature/verify-key.js";
import { VERSION } from "../../version.js";
import { EXIT, type ExitCode } from "../exit-codes.js";
import { writeResult } from "../output.js";

export interface VerifySignatureCommandOptions {
  signature?: string;
  identity?: string;
  issuer?: string;
  trustRoot?: string;
  publicKey?: string;
  certificateChain: string[];
  ignorePaths: string[];
  format: string;
  output?: string;
}

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new InputError("INPUT_NOT_FOUND", `Cannot read ${what} ${path}`, { cause: error });
  }
}

function readPublicKey(path: string): KeyObject {
  const text = readText(path, "the public key");
  try {
    return createPublicKey(text);
  } catch (error) {
    throw new InputError("CONFIG_INVALID", `${path} is not a PEM public key`, { cause: error });
  }
}

function readAnchors(paths: readonly string[]): X509Certificate[] {
  try {
    return paths.flatMap((p) => parsePemCertificates(readText(p, "the certificate chain"), p));
  } catch (error) {
    if (error instanceof SignatureCheckError) {
      throw new InputError("CONFIG_INVALID", error.message, { cause: error });
    }
    throw error;
  }
}

/** Exactly one way to trust: Sigstore identity + issuer, a public key, or a CA chain. */
export function trustFromOptions(options: VerifySignatureCommandOptions): SignatureTrust {
  const sigstore = options.identity !== undefined || options.issuer !== undefined;
  const chosen = [sigstore, options.publicKey !== undefined, options.certificateChain.length > 0];
  if (chosen.filter(Boolean).length !== 1) {
    throw new UsageError(
      "Say whom to trust, one way: --identity and --issuer (Sigstore), --public-key FILE, or --certificate-chain FILE.",
    );
  }
  if (sigstore) {
    if (!options.identity || !options.issuer) {
      throw new UsageError("Sigstore verification needs both --identity and --issuer.");
    }
    return {
      kind: "sigstore",
      identity: options.identity,
      issuer: options.issuer,
      trust: options.trustRoot ? readTrustRoot(options.trustRoot) : embeddedTrustRoot(),
    };
  }
  if (options.trustRoot) throw new UsageError("--trust-root goes with --identity and --issuer.");
  if (options.publicKey) return { kind: "key", publicKey: readPublicKey(options.publicKey) };
  return { kind: "certificate", anchors: readAnchors(options.certificateChain) };
}

function defaultSignature(model: string): string {
  let isFile = false;
  try {
    isFile = statSync(model).isFile();
  } catch {
    // reported when the model is listed
  }
  return isFile ? join(dirname(model), "model.sig") : join(model, "model.sig");
}

function renderText(r: SignatureVerification): string {
  const lines = [
    `model:     ${r.model}`,
    `signature: ${r.signature}${r.bundleSha256 ? ` (sha256 ${r.bundleSha256})` : ""}`,
  ];
  if (r.signer) lines.push(`signer:    ${describeSigner(r.signer)} [${r.signer.method}]`);
  if (r.verified) {
    const ignored = r.ignored.length > 0 ? `; ignored: ${r.ignored.join(", ")}` : "";
    lines.push(
      `OK   the signature verifies and ${r.checked} ${r.serialization === "shards" ? "shard(s)" : "file(s)"} match it${ignored}`,
    );
  } else {
    lines.push("FAIL the model is not verifiably signed:");
    for (const f of r.findings) lines.push(`     - ${f.code}: ${f.message}`);
  }
  return `${lines.join("\n")}\n`;
}

export async function runVerifySignature(
  model: string,
  options: VerifySignatureCommandOptions,
): Promise<ExitCode> {
  if (!["text", "json"].includes(options.format))
    throw new UsageError(`Unknown --format "${options.format}": use text or json.`);
  const trust = trustFromOptions(options);
  const result = await verifyModelSignature({
    model,
    signature: options.signature ?? defaultSignature(model),
    trust,
    ignorePaths: options.ignorePaths,
  });
  const text =
    options.format === "json"
      ? `${JSON.stringify({ tool: { name: "modelvet", version: VERSION }, ...result }, null, 2)}\n`
      : renderText(result);
  writeResult(text, options.output);
  return result.verified ? EXIT.OK : EXIT.SIGNATURE;
}
