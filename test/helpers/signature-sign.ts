/**
 * Signs a model the way model_signing does with a private key, for tests: an in-toto statement
 * (predicate https://model_signing/signature/v1.0) in a DSSE envelope, signed with node:crypto, in
 * a Sigstore bundle v0.3 with a public-key hint. Options produce hostile variants.
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { preAuthEncoding } from "../../src/core/signature/bundle.js";

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicPem: string;
}

export function makeTestKey(curve: "prime256v1" | "secp384r1" = "prime256v1"): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: curve });
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}

export interface SignedResource {
  /** path, or path:start:end for shards */
  name: string;
  sha256: string;
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Resources for the `files` method from { path: bytes }. */
export function fileResources(files: Record<string, Uint8Array | string>): SignedResource[] {
  return Object.keys(files)
    .sort()
    .map((name) => ({ name, sha256: sha256Hex(files[name]!) }));
}

/** Resources for the `shards` method, shard size `shardSize`. */
export function shardResources(
  files: Record<string, Uint8Array | string>,
  shardSize: number,
): SignedResource[] {
  const out: SignedResource[] = [];
  for (const name of Object.keys(files).sort()) {
    const bytes = Buffer.from(files[name]!);
    for (let start = 0; start < bytes.length; start += shardSize) {
      const end = Math.min(start + shardSize, bytes.length);
      out.push({ name: `${name}:${start}:${end}`, sha256: sha256Hex(bytes.subarray(start, end)) });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

export interface StatementOptions {
  method?: "files" | "shards";
  ignorePaths?: string[];
  /** Override the subject digest (to make the payload inconsistent). */
  subjectDigest?: string;
  modelName?: string;
}

export function makeStatement(resources: SignedResource[], options: StatementOptions = {}): object {
  const root = createHash("sha256");
  for (const r of resources) root.update(Buffer.from(r.sha256, "hex"));
  return {
    _type: "https://in-toto.io/Statement/v1",
    subject: [
      {
        name: options.modelName ?? "model",
        digest: { sha256: options.subjectDigest ?? root.digest("hex") },
      },
    ],
    predicateType: "https://model_signing/signature/v1.0",
    predicate: {
      serialization: {
        method: options.method ?? "files",
        hash_type: "sha256",
        allow_symlinks: false,
        ignore_paths: options.ignorePaths ?? [".git", ".gitattributes", "model.sig"],
        ...(options.method === "shards" ? { shard_size: 1_000_000_000 } : {}),
      },
      resources: resources.map((r) => ({ name: r.name, algorithm: "sha256", digest: r.sha256 })),
    },
  };
}

/** A model.sig (bundle JSON text) over `payload`, signed by `key`. */
export function makeKeyBundle(
  key: TestKey,
  payload: object | Buffer,
  options: { payloadType?: string } = {},
): string {
  const payloadType = options.payloadType ?? "application/vnd.in-toto+json";
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const hash = key.publicKey.asymmetricKeyDetails?.namedCurve === "secp384r1" ? "sha384" : "sha256";
  const sig = sign(hash, preAuthEncoding(payloadType, bytes), key.privateKey);
  return JSON.stringify({
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: { publicKey: { hint: "test-key" }, tlogEntries: [] },
    dsseEnvelope: {
      payload: bytes.toString("base64"),
      payloadType,
      signatures: [{ sig: sig.toString("base64"), keyid: "" }],
    },
  });
}

/** Sign a folder's files (given as { path: bytes }) and return model.sig's text. */
export function signFiles(
  key: TestKey,
  files: Record<string, Uint8Array | string>,
  options: StatementOptions & { shardSize?: number } = {},
): string {
  const resources =
    options.method === "shards"
      ? shardResources(files, options.shardSize ?? 4)
      : fileResources(files);
  return makeKeyBundle(key, makeStatement(resources, options));
}
