/**
 * The in-toto statement inside a model signature: which files (or file shards) the signer saw,
 * with their SHA-256, and how the model was serialized (method, ignored paths).
 *
 * Two predicate types exist: `https://model_signing/signature/v1.0` (model_signing >= 1.0: the
 * list is in `predicate.resources`, the single subject's digest is SHA-256 over the listed digests
 * in order) and the older `https://model_signing/Digests/v0.1` (model_signing 0.2: every file is a
 * subject). Only SHA-256 is accepted: anything else fails closed with a message that says so.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { describeSchemaError } from "../schema-error.js";
import { SignatureFormatError } from "./errors.js";

export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";
export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
export const PREDICATE_V1 = "https://model_signing/signature/v1.0";
export const PREDICATE_V0 = "https://model_signing/Digests/v0.1";

/** Paths model_signing leaves out by default when the signature does not list its own. */
export const DEFAULT_IGNORED_PATHS = [".git", ".gitattributes", ".github", ".gitignore"] as const;

export interface SignedEntry {
  /** Path relative to the model folder, `/`-separated ("." when the model is a single file). */
  path: string;
  /** For the `shards` method: the byte range [start, end). */
  range?: { start: number; end: number };
  sha256: string;
}

export interface SignedManifest {
  predicateType: typeof PREDICATE_V1 | typeof PREDICATE_V0;
  modelName: string;
  method: "files" | "shards";
  /** Paths the signer left out, as the signature declares them (undefined: not declared). */
  ignorePaths: string[] | undefined;
  allowSymlinks: boolean;
  entries: SignedEntry[];
}

const MAX_ENTRIES = 1_000_000;
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");

const subjectSchema = z.looseObject({
  name: z.string(),
  digest: z.looseObject({ sha256: hex64 }),
});

const v1Schema = z.looseObject({
  subject: z.array(subjectSchema).length(1, "must name exactly one subject (the model)"),
  predicate: z.looseObject({
    serialization: z.looseObject({
      method: z.string(),
      hash_type: z.string(),
      allow_symlinks: z.union([z.boolean(), z.enum(["true", "false"])]).optional(),
      ignore_paths: z.array(z.string()).max(10_000).optional(),
      shard_size: z.number().int().positive().optional(),
    }),
    resources: z
      .array(z.looseObject({ name: z.string(), algorithm: z.string(), digest: z.string() }))
      .max(MAX_ENTRIES),
  }),
});

const v0Schema = z.looseObject({
  subject: z.array(subjectSchema).max(MAX_ENTRIES),
});

function checkPath(name: string): string {
  if (name === ".") return name;
  const parts = name.split("/");
  if (
    name.length === 0 ||
    name.includes("\\") ||
    name.includes("\0") ||
    name.startsWith("/") ||
    parts.some((p) => p === "" || p === "." || p === "..")
  ) {
    throw new SignatureFormatError(`the signature lists an unsafe path ${JSON.stringify(name)}`);
  }
  return name;
}

function parseShardName(name: string): SignedEntry["range"] & { path: string } {
  const m = /^(.*):(\d{1,15}):(\d{1,15})$/.exec(name);
  if (!m) {
    throw new SignatureFormatError(
      `shard entry ${JSON.stringify(name)} is not of the form path:start:end`,
    );
  }
  const start = Number(m[2]);
  const end = Number(m[3]);
  if (end <= start) {
    throw new SignatureFormatError(
      `shard entry ${JSON.stringify(name)} has an empty or reversed range`,
    );
  }
  return { path: checkPath(m[1]!), start, end };
}

function parseJson(payload: Uint8Array): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString("utf8"));
  } catch (error) {
    throw new SignatureFormatError(`the signed payload is not JSON (${(error as Error).message})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SignatureFormatError("the signed payload is not a JSON object");
  }
  return value as Record<string, unknown>;
}

/** Parse and check the DSSE payload of a model signature. Throws SignatureFormatError. */
export function parseSignedManifest(payloadType: string, payload: Uint8Array): SignedManifest {
  if (payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new SignatureFormatError(
      `the DSSE payload type is ${JSON.stringify(payloadType)}, expected ${IN_TOTO_PAYLOAD_TYPE}`,
    );
  }
  const statement = parseJson(payload);
  if (statement._type !== IN_TOTO_STATEMENT_V1) {
    throw new SignatureFormatError(
      `the payload is not an in-toto ${IN_TOTO_STATEMENT_V1} statement (_type ${JSON.stringify(statement._type)})`,
    );
  }
  const predicateType = statement.predicateType;
  if (predicateType === PREDICATE_V0) return parseV0(statement);
  if (predicateType !== PREDICATE_V1) {
    throw new SignatureFormatError(
      `unknown predicate type ${JSON.stringify(predicateType)} (expected ${PREDICATE_V1})`,
    );
  }
  const parsed = v1Schema.safeParse(statement);
  if (!parsed.success) {
    throw new SignatureFormatError(
      `invalid model signature payload: ${describeSchemaError(parsed.error)}`,
    );
  }
  const { subject, predicate } = parsed.data;
  const ser = predicate.serialization;
  if (ser.method !== "files" && ser.method !== "shards") {
    throw new SignatureFormatError(
      `serialization method ${JSON.stringify(ser.method)} is not supported (files or shards)`,
    );
  }
  if (ser.hash_type !== "sha256") {
    throw new SignatureFormatError(
      `hash type ${JSON.stringify(ser.hash_type)} is not supported: only sha256 is verified`,
    );
  }
  const root = createHash("sha256");
  const entries: SignedEntry[] = [];
  const seen = new Set<string>();
  for (const r of predicate.resources) {
    if (r.algorithm !== "sha256") {
      throw new SignatureFormatError(
        `resource ${JSON.stringify(r.name)} uses ${JSON.stringify(r.algorithm)}: only sha256 is verified`,
      );
    }
    if (!/^[0-9a-f]{64}$/.test(r.digest)) {
      throw new SignatureFormatError(
        `resource ${JSON.stringify(r.name)} has an invalid sha256 digest`,
      );
    }
    if (seen.has(r.name)) {
      throw new SignatureFormatError(`resource ${JSON.stringify(r.name)} is listed twice`);
    }
    seen.add(r.name);
    root.update(Buffer.from(r.digest, "hex"));
    if (ser.method === "shards") {
      const { path, start, end } = parseShardName(r.name);
      entries.push({ path, range: { start, end }, sha256: r.digest });
    } else {
      entries.push({ path: checkPath(r.name), sha256: r.digest });
    }
  }
  const expected = subject[0]!.digest.sha256;
  const actual = root.digest("hex");
  if (actual !== expected) {
    throw new SignatureFormatError(
      `the payload is inconsistent: its subject digest is ${expected} but the listed resources hash to ${actual}`,
    );
  }
  return {
    predicateType: PREDICATE_V1,
    modelName: subject[0]!.name,
    method: ser.method,
    ignorePaths: ser.ignore_paths,
    allowSymlinks: ser.allow_symlinks === true || ser.allow_symlinks === "true",
    entries,
  };
}

function parseV0(statement: Record<string, unknown>): SignedManifest {
  const parsed = v0Schema.safeParse(statement);
  if (!parsed.success) {
    throw new SignatureFormatError(
      `invalid model signature payload: ${describeSchemaError(parsed.error)}`,
    );
  }
  const seen = new Set<string>();
  const entries = parsed.data.subject.map((s) => {
    if (seen.has(s.name))
      throw new SignatureFormatError(`file ${JSON.stringify(s.name)} is listed twice`);
    seen.add(s.name);
    return { path: checkPath(s.name), sha256: s.digest.sha256 };
  });
  return {
    predicateType: PREDICATE_V0,
    modelName: "",
    method: "files",
    ignorePaths: undefined,
    allowSymlinks: false,
    entries,
  };
}
