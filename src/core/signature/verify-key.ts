/**
 * Key- and certificate-signed model signatures, checked with node:crypto (computation only, no
 * I/O): the DSSE signature against a public key the user trusts, or against the leaf of a
 * certificate chain that must lead to a CA the user trusts.
 *
 * ECDSA uses the hash that goes with the curve (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512), as
 * model_signing signs; Ed25519 needs none. Without a trusted timestamp (these bundles carry none),
 * certificates are checked at the leaf's notBefore: every certificate of the path must be valid then.
 * Signatures made by model_signing 0.2.0 are over a buggy encoding (see compatPreAuthEncoding),
 * accepted as model_signing itself accepts them.
 */
import { createHash, type KeyObject, verify, X509Certificate } from "node:crypto";
import { type DsseEnvelope, preAuthEncoding } from "./bundle.js";
import { SignatureCheckError, SignatureFormatError } from "./errors.js";
import { IN_TOTO_PAYLOAD_TYPE } from "./payload.js";

const CODE_SIGNING = "1.3.6.1.5.5.7.3.3";
const MAX_PATH = 8;

function hashFor(key: KeyObject): string | null {
  const type = key.asymmetricKeyType;
  if (type === "ed25519" || type === "ed448") return null;
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === "prime256v1") return "sha256";
    if (curve === "secp384r1") return "sha384";
    if (curve === "secp521r1") return "sha512";
    throw new SignatureCheckError("crypto", `unsupported elliptic curve ${curve ?? "(unknown)"}`);
  }
  if (type === "rsa" || type === "rsa-pss") return "sha256";
  throw new SignatureCheckError("crypto", `unsupported key type ${type ?? "(unknown)"}`);
}

/** Python's repr() of a bytes value: b'...' with \\, quote, \t \n \r and \xNN escapes. */
export function pythonBytesRepr(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes);
  const quote = buf.includes(0x27) && !buf.includes(0x22) ? '"' : "'";
  let out = `b${quote}`;
  for (const b of buf) {
    if (b === 0x5c) out += "\\\\";
    else if (b === quote.charCodeAt(0)) out += `\\${quote}`;
    else if (b === 0x09) out += "\\t";
    else if (b === 0x0a) out += "\\n";
    else if (b === 0x0d) out += "\\r";
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, "0")}`;
    else out += String.fromCharCode(b);
  }
  return `${out}${quote}`;
}

/**
 * What model_signing 0.2.0 signed instead of the DSSE PAE (a bug kept for compatibility by
 * model_signing itself): "DSSEV1 <len> <type> <len> " followed by Python's repr() of the payload.
 */
export function compatPreAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  return Buffer.from(
    `DSSEV1 ${payloadType.length} ${payloadType} ${payload.length} ${pythonBytesRepr(payload)}`,
    "utf8",
  );
}

/** model_signing 0.2.0 signed with ECDSA over SHA-256 whatever the curve. */
function compatHash(key: KeyObject): string | null {
  return key.asymmetricKeyType === "ec" ? "sha256" : hashFor(key);
}

function verifyOver(
  data: Buffer,
  key: KeyObject,
  signature: Buffer,
  hash: string | null = hashFor(key),
): boolean {
  try {
    return verify(hash, data, key, signature);
  } catch (error) {
    if (error instanceof SignatureCheckError) throw error;
    return false;
  }
}

/**
 * True when the envelope's one signature verifies under `key`: over the DSSE PAE, or, for key and
 * certificate signatures made by model_signing 0.2.0, over its compat encoding.
 */
export function verifyEnvelopeSignature(envelope: DsseEnvelope, key: KeyObject): boolean {
  const { payloadType, payload, signature } = envelope;
  return (
    verifyOver(preAuthEncoding(payloadType, payload), key, signature) ||
    (payloadType === IN_TOTO_PAYLOAD_TYPE &&
      verifyOver(compatPreAuthEncoding(payloadType, payload), key, signature, compatHash(key)))
  );
}

/** SHA-256 of the key's SubjectPublicKeyInfo: how a key is named in reports and in the lock. */
export function keyFingerprint(key: KeyObject): string {
  return createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("hex");
}

/** Every certificate in a PEM text (a CA file can hold several). */
export function parsePemCertificates(text: string, what: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new SignatureFormatError(`${what} holds no PEM certificate`);
  return blocks.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw new SignatureFormatError(`${what}: certificate ${i + 1} cannot be parsed`, {
        cause: error,
      });
    }
  });
}

function parseDer(der: Buffer, index: number): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (error) {
    throw new SignatureFormatError(`certificate ${index} of the bundle cannot be parsed`, {
      cause: error,
    });
  }
}

function validAt(cert: X509Certificate, time: Date): boolean {
  return new Date(cert.validFrom) <= time && time <= new Date(cert.validTo);
}

export interface CertificateSigner {
  leaf: X509Certificate;
  /** leaf … trust anchor. */
  path: X509Certificate[];
}

/**
 * Build a path from the bundle's leaf through the bundle's intermediates to one of `trusted`,
 * checking every signature, CA flag and validity period. Throws SignatureCheckError("signer")
 * when the chain leads nowhere the user trusts, ("crypto") when a link does not verify.
 */
export function verifyCertificatePath(
  chainDer: readonly Buffer[],
  trusted: readonly X509Certificate[],
): CertificateSigner {
  const chain = chainDer.map((der, i) => parseDer(der, i));
  const leaf = chain[0];
  if (leaf === undefined) throw new SignatureFormatError("the certificate chain is empty");
  const at = new Date(leaf.validFrom);
  const eku = leaf.keyUsage;
  if (eku !== undefined && eku.length > 0 && !eku.includes(CODE_SIGNING)) {
    throw new SignatureCheckError(
      "signer",
      `the signing certificate (${leaf.subject}) is not for code signing`,
    );
  }
  const isTrusted = (c: X509Certificate) => trusted.some((t) => t.raw.equals(c.raw));
  const path = [leaf];
  let current = leaf;
  while (!isTrusted(current)) {
    if (path.length > MAX_PATH) {
      throw new SignatureCheckError("signer", "the certificate chain is longer than 8 links");
    }
    const candidates = [...trusted, ...chain.slice(1)].filter(
      (c) => c !== current && !c.raw.equals(current.raw) && c.ca && c.subject === current.issuer,
    );
    const issuer = candidates.find((c) => {
      try {
        return current.verify(c.publicKey);
      } catch {
        return false;
      }
    });
    if (issuer === undefined) {
      throw new SignatureCheckError(
        "signer",
        `the certificate ${JSON.stringify(current.subject)} (issuer ${JSON.stringify(current.issuer)}) does not chain to a trusted CA`,
      );
    }
    path.push(issuer);
    current = issuer;
  }
  for (const cert of path) {
    if (!validAt(cert, at)) {
      throw new SignatureCheckError(
        "crypto",
        `the certificate ${JSON.stringify(cert.subject)} was not valid when the signing certificate was issued (${at.toISOString()})`,
      );
    }
  }
  return { leaf, path };
}
