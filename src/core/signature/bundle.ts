/**
 * A Sigstore bundle as the OpenSSF Model Signing tool writes it (`model.sig`): parsed and checked
 * for shape only. No cryptography here; see verify-key.ts, verify-chain.ts and the sigstore adapter.
 *
 * Media types v0.1 to v0.3 are accepted. The DSSE envelope must carry exactly one signature.
 */
import { z } from "zod";
import { describeSchemaError } from "../schema-error.js";
import { SignatureFormatError } from "./errors.js";

export const BUNDLE_MEDIA_TYPES = [
  "application/vnd.dev.sigstore.bundle+json;version=0.1",
  "application/vnd.dev.sigstore.bundle+json;version=0.2",
  "application/vnd.dev.sigstore.bundle+json;version=0.3",
  "application/vnd.dev.sigstore.bundle.v0.3+json",
] as const;

/** How the bundle says it was signed. */
export type SigningMaterial =
  | { kind: "sigstore"; certificate: Buffer }
  | { kind: "certificate"; chain: Buffer[] }
  | { kind: "key"; hint: string | undefined; rawKey: Buffer | undefined };

export interface DsseEnvelope {
  payloadType: string;
  payload: Buffer;
  signature: Buffer;
}

export interface SignatureBundle {
  mediaType: string;
  material: SigningMaterial;
  envelope: DsseEnvelope;
  /** Transparency-log entries the bundle carries (Sigstore-signed bundles have one). */
  tlogEntries: number;
  /** The parsed JSON, for the Sigstore verifier. */
  json: unknown;
}

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, "must be base64")
  .transform((s) => Buffer.from(s, "base64"));
const rawBytes = z.looseObject({ rawBytes: base64 });

const bundleSchema = z.looseObject({
  mediaType: z.enum(BUNDLE_MEDIA_TYPES),
  verificationMaterial: z.looseObject({
    certificate: rawBytes.optional(),
    x509CertificateChain: z
      .looseObject({ certificates: z.array(rawBytes).min(1).max(16) })
      .optional(),
    publicKey: z
      .looseObject({ hint: z.string().max(1024).optional(), rawBytes: base64.optional() })
      .optional(),
    tlogEntries: z.array(z.unknown()).max(64).optional(),
  }),
  dsseEnvelope: z.looseObject({
    payload: base64,
    payloadType: z.string(),
    signatures: z
      .array(z.looseObject({ sig: base64, keyid: z.string().nullable().optional() }))
      .length(1, "must hold exactly one signature"),
  }),
});

/** Parse the bytes of a `model.sig`. Throws SignatureFormatError with the field at fault. */
export function parseSignatureBundle(bytes: Uint8Array): SignatureBundle {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch (error) {
    throw new SignatureFormatError(`the signature is not JSON (${(error as Error).message})`);
  }
  if (typeof json === "object" && json !== null && "messageSignature" in json) {
    throw new SignatureFormatError(
      "the bundle signs a message digest, not a DSSE envelope: it is not an OpenSSF Model Signing signature",
    );
  }
  const parsed = bundleSchema.safeParse(json);
  if (!parsed.success) {
    throw new SignatureFormatError(`not a Sigstore bundle: ${describeSchemaError(parsed.error)}`);
  }
  const b = parsed.data;
  const vm = b.verificationMaterial;
  const kinds = [vm.certificate, vm.x509CertificateChain, vm.publicKey].filter(
    (m) => m !== undefined,
  ).length;
  if (kinds !== 1) {
    throw new SignatureFormatError(
      "verificationMaterial must hold exactly one of certificate, x509CertificateChain, publicKey",
    );
  }
  let material: SigningMaterial;
  if (vm.certificate) material = { kind: "sigstore", certificate: vm.certificate.rawBytes };
  else if (vm.x509CertificateChain)
    material = {
      kind: "certificate",
      chain: vm.x509CertificateChain.certificates.map((c) => c.rawBytes),
    };
  else material = { kind: "key", hint: vm.publicKey?.hint, rawKey: vm.publicKey?.rawBytes };
  const sig = b.dsseEnvelope.signatures[0]!;
  if (sig.sig.length === 0) throw new SignatureFormatError("the DSSE signature is empty");
  return {
    mediaType: b.mediaType,
    material,
    envelope: {
      payloadType: b.dsseEnvelope.payloadType,
      payload: b.dsseEnvelope.payload,
      signature: sig.sig,
    },
    tlogEntries: vm.tlogEntries?.length ?? 0,
    json,
  };
}

/** DSSE pre-authentication encoding: what the signature is over. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([
    Buffer.from(`DSSEv1 ${type.length} `, "utf8"),
    type,
    Buffer.from(` ${payload.length} `, "utf8"),
    payload,
  ]);
}
