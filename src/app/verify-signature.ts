/**
 * Verify an OpenSSF Model Signing signature (`model.sig`) for a local model, like
 * `model_signing verify`: first the signature (Sigstore, key or certificate chain) and the signer,
 * then every file against the signed list. Returns a result with findings; never prints.
 */
import { createHash, type KeyObject, type X509Certificate } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { type Finding, finding } from "../core/finding.js";
import { parseSignatureBundle, type SignatureBundle } from "../core/signature/bundle.js";
import { SignatureCheckError } from "../core/signature/errors.js";
import { evaluateHashJobs, planSignatureCheck } from "../core/signature/manifest-check.js";
import {
  DEFAULT_IGNORED_PATHS,
  parseSignedManifest,
  type SignedManifest,
} from "../core/signature/payload.js";
import { evaluateSigner, type SignerInfo } from "../core/signature/signer.js";
import {
  keyFingerprint,
  verifyCertificatePath,
  verifyEnvelopeSignature,
} from "../core/signature/verify-key.js";
import {
  hashJob,
  listModelFiles,
  MAX_SIGNATURE_BYTES,
  readSmallFile,
} from "../io/signature-files.js";
import { type SigstoreTrust, verifySigstoreBundle } from "../io/signature-sigstore.js";

/** What the user trusts. */
export type SignatureTrust =
  /** identity/issuer undefined: any signer the trust root vouches for (recorded, not judged). */
  | { kind: "sigstore"; identity?: string; issuer?: string; trust: SigstoreTrust }
  | { kind: "key"; publicKey: KeyObject }
  | { kind: "certificate"; anchors: X509Certificate[] };

export interface VerifySignatureOptions {
  /** The model folder (or a single file). */
  model: string;
  /** Default: model.sig in the folder (beside the file for a single-file model). */
  signature: string;
  trust: SignatureTrust;
  /** More paths to leave out, relative to the model folder. */
  ignorePaths?: readonly string[];
}

export interface SignatureVerification {
  model: string;
  signature: string;
  verified: boolean;
  /** SHA-256 of the model.sig bytes. */
  bundleSha256?: string;
  signer?: SignerInfo;
  predicateType?: string;
  serialization?: SignedManifest["method"];
  /** Files (or shards) whose digest was checked. */
  checked: number;
  ignored: string[];
  findings: Finding[];
}

function problemFinding(error: SignatureCheckError): Finding {
  if (error.problem === "signer") {
    return finding(
      "SIGNATURE_SIGNER_MISMATCH",
      "suspicious",
      `Not the expected signer: ${error.message}`,
    );
  }
  if (error.problem === "format") {
    return finding(
      "SIGNATURE_INVALID",
      "unscannable",
      `The signature cannot be read: ${error.message}`,
    );
  }
  return finding(
    "SIGNATURE_INVALID",
    "malicious",
    `The signature does not verify: ${error.message}`,
  );
}

/**
 * Signed through Sigstore: a Fulcio certificate with a transparency-log entry. Bundles v0.1/v0.2
 * carry the certificate as a one-element x509CertificateChain.
 */
export function isSigstoreSigned(bundle: SignatureBundle): boolean {
  const m = bundle.material;
  return (
    m.kind === "sigstore" ||
    (m.kind === "certificate" && m.chain.length <= 3 && bundle.tlogEntries > 0)
  );
}

/** Check the signature and the signer. Returns who signed, or throws SignatureCheckError. */
export function verifyBundleSigner(bundle: SignatureBundle, trust: SignatureTrust): SignerInfo {
  const material = bundle.material;
  if (material.kind !== trust.kind && !(trust.kind === "sigstore" && isSigstoreSigned(bundle))) {
    const says = { sigstore: "Sigstore", key: "a private key", certificate: "a certificate chain" };
    throw new SignatureCheckError(
      "signer",
      `the model is signed with ${says[material.kind]}, but verification was asked for ${says[trust.kind]}`,
    );
  }
  if (trust.kind === "sigstore") {
    const signer = verifySigstoreBundle(bundle.json, trust.trust);
    const actual: SignerInfo = {
      method: "sigstore",
      identity: signer.identity ?? "(none)",
      ...(signer.issuer !== undefined ? { issuer: signer.issuer } : {}),
    };
    const why = evaluateSigner(
      {
        ...(trust.identity !== undefined ? { identity: trust.identity } : {}),
        ...(trust.issuer !== undefined ? { issuer: trust.issuer } : {}),
      },
      actual,
    );
    if (why) throw new SignatureCheckError("signer", why);
    return actual;
  }
  if (trust.kind === "key") {
    const fingerprint = `sha256:${keyFingerprint(trust.publicKey)}`;
    if (!verifyEnvelopeSignature(bundle.envelope, trust.publicKey)) {
      throw new SignatureCheckError(
        "crypto",
        `the DSSE signature does not verify under the public key ${fingerprint}`,
      );
    }
    return { method: "key", identity: fingerprint };
  }
  if (material.kind !== "certificate") throw new Error("unreachable");
  const { leaf, path } = verifyCertificatePath(material.chain, trust.anchors);
  if (!verifyEnvelopeSignature(bundle.envelope, leaf.publicKey)) {
    throw new SignatureCheckError(
      "crypto",
      `the DSSE signature does not verify under the signing certificate ${JSON.stringify(leaf.subject)}`,
    );
  }
  return { method: "certificate", identity: leaf.subject, issuer: path[path.length - 1]!.subject };
}

export async function verifyModelSignature(
  options: VerifySignatureOptions,
): Promise<SignatureVerification> {
  const model = resolve(options.model);
  const signature = resolve(options.signature);
  const result: SignatureVerification = {
    model,
    signature,
    verified: false,
    checked: 0,
    ignored: [],
    findings: [],
  };
  let bytes: Buffer;
  try {
    bytes = await readSmallFile(signature, "the signature", MAX_SIGNATURE_BYTES);
  } catch (error) {
    result.findings.push(
      finding(
        "SIGNATURE_MISSING",
        "suspicious",
        `No signature at ${signature}: ${(error as Error).message}`,
      ),
    );
    return result;
  }
  result.bundleSha256 = createHash("sha256").update(bytes).digest("hex");
  let manifest: SignedManifest;
  try {
    const bundle = parseSignatureBundle(bytes);
    result.signer = verifyBundleSigner(bundle, options.trust);
    manifest = parseSignedManifest(bundle.envelope.payloadType, bundle.envelope.payload);
  } catch (error) {
    if (!(error instanceof SignatureCheckError)) throw error;
    result.findings.push(problemFinding(error));
    return result;
  }
  result.predicateType = manifest.predicateType;
  result.serialization = manifest.method;

  const present = await listModelFiles(model);
  const ignore = [
    ...(manifest.ignorePaths ?? DEFAULT_IGNORED_PATHS),
    ...(options.ignorePaths ?? []),
  ];
  const sigRel = relative(model, signature);
  if (sigRel !== "" && !sigRel.startsWith("..") && !isAbsolute(sigRel)) {
    ignore.push(sigRel.split(sep).join("/"));
  }
  const plan = planSignatureCheck(manifest, present, ignore);
  const digests: string[] = [];
  for (const job of plan.jobs) digests.push(await hashJob(model, job));
  result.checked = plan.jobs.length;
  result.ignored = plan.ignored;
  result.findings.push(...plan.findings, ...evaluateHashJobs(plan.jobs, digests));
  result.verified = result.findings.length === 0;
  return result;
}
