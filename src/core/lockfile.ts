/**
 * `models.lock`: the pinned state of every model a project uses. Pure: parse from text, serialize
 * to text, compare. Reading and (atomic) writing live in io/.
 *
 * Format (lockfileVersion 1.0.0):
 *   { "lockfileVersion": "1.0.0",
 *     "models": { "<org/name>": {
 *         "ref": "<what the user asked for>", "revision": "<40-hex commit>",
 *         "include": [globs], "exclude": [globs],
 *         "manifestDigest": "sha256:<hex over the raw per-file sha256 digests in path order>",
 *         "files": { "<posix path>": {
 *             "size": n, "gitOid": "<40-hex>", "lfs": bool, "sha256": "<64-hex>",
 *             "scan": { "format": "...", "verdict": "...", "scanner": "<modelvet version>",
 *                       "policy": "sha256:<digest of the scan policy>" } } } } } }
 *
 * Differences from the prior art in shared/hub-api.md §5.2, and why:
 * - `lockfileVersion` is a semver string, so readers can apply compatibility rules: same major is
 *   readable; a newer minor means fields we might not understand, so it is refused with a message
 *   to upgrade (a security lock must not silently ignore what it cannot read).
 * - `sha256` is a plain field (no `hashes` table): every file has exactly one strong digest; a
 *   second algorithm would be a new minor version.
 * - Each file carries the scan verdict with the scanner version and policy digest that produced
 *   it, so CI can tell "the bytes changed" from "the scanner or the policy changed".
 * - No generator, timestamp or endpoint: identity is (repo, revision, digests), the file is
 *   reproducible, and mirrors or the fixture Hub work with the same lock.
 */
import { createHash } from "node:crypto";
import semver from "semver";
import { z } from "zod";
import { canonicalJson } from "./canonical-json.js";
import { InputError } from "./errors.js";
import { HEX40 } from "./object-id.js";
import { isSafeRepoPath } from "./repo-file.js";
import { describeSchemaError } from "./schema-error.js";
import { VERDICTS } from "./verdict.js";

export const LOCKFILE_VERSION = "1.0.0";
/**
 * A lock that records a model signature is written as 1.1.0 (a modelvet that reads only 1.0.x
 * then asks to be upgraded instead of failing on an unknown field); others stay 1.0.0.
 */
export const SIGNED_LOCKFILE_VERSION = "1.1.0";

export function lockfileVersionFor(
  models: Readonly<Record<string, { signature?: unknown }>>,
): string {
  return Object.values(models).some((m) => m.signature !== undefined)
    ? SIGNED_LOCKFILE_VERSION
    : LOCKFILE_VERSION;
}

const HEX64 = /^[0-9a-f]{64}$/;
const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/;

const scanSchema = z.strictObject({
  format: z.string().min(1),
  verdict: z.enum(VERDICTS),
  scanner: z.string().min(1),
  policy: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>"),
});

const fileSchema = z.strictObject({
  size: z.number().int().nonnegative(),
  gitOid: z.string().regex(HEX40, "must be a 40-hex git object id"),
  lfs: z.boolean(),
  sha256: z.string().regex(HEX64, "must be a 64-hex sha256"),
  scan: scanSchema,
});

/** Who signed the model (OpenSSF Model Signing) when it was locked; lockfileVersion 1.1.0. */
const signatureSchema = z.strictObject({
  method: z.enum(["sigstore", "key", "certificate"]),
  identity: z.string().min(1),
  issuer: z.string().min(1).optional(),
  bundleSha256: z.string().regex(HEX64, "must be the 64-hex sha256 of model.sig"),
});

const modelSchema = z.strictObject({
  ref: z.string().min(1),
  revision: z.string().regex(HEX40, "must be a 40-hex commit id"),
  include: z.array(z.string()),
  exclude: z.array(z.string()),
  manifestDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/, "must be sha256:<64 hex>"),
  files: z.record(
    z.string().refine(isSafeRepoPath, "must be a relative POSIX path without '..'"),
    fileSchema,
  ),
  signature: signatureSchema.optional(),
});

const lockfileSchema = z.strictObject({
  lockfileVersion: z.string(),
  models: z.record(z.string().regex(REPO_ID, "must be an org/name repo id"), modelSchema),
});

export type LockedScan = z.infer<typeof scanSchema>;
export type LockedSignature = z.infer<typeof signatureSchema>;
export type LockedFile = z.infer<typeof fileSchema>;
export type LockedModel = z.infer<typeof modelSchema>;
export type Lockfile = z.infer<typeof lockfileSchema>;

function invalid(file: string, message: string, cause?: unknown): InputError {
  return new InputError("LOCKFILE_INVALID", `${file}: ${message}`, { cause });
}

/** Compatibility: same major, and not a newer minor than this modelvet writes. */
export function checkLockfileVersion(version: string, file = "models.lock"): void {
  const parsed = semver.valid(version);
  if (parsed === null) {
    throw invalid(file, `lockfileVersion "${version}" is not a semantic version`);
  }
  const ours = semver.parse(SIGNED_LOCKFILE_VERSION)!;
  if (semver.major(parsed) !== ours.major) {
    throw invalid(
      file,
      `lockfileVersion ${version} is not readable by this modelvet (it reads ${ours.major}.x); ${
        semver.major(parsed) > ours.major
          ? "upgrade modelvet"
          : "re-create the lock with `modelvet lock`"
      }`,
    );
  }
  if (semver.minor(parsed) > ours.minor) {
    throw invalid(
      file,
      `lockfileVersion ${version} was written by a newer modelvet (this one reads up to ${LOCKFILE_VERSION}); upgrade modelvet`,
    );
  }
}

export function parseLockfile(text: string, file = "models.lock"): Lockfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalid(file, `not valid JSON (${(error as Error).message})`, error);
  }
  if (raw !== null && typeof raw === "object" && "lockfileVersion" in raw) {
    const version = (raw as { lockfileVersion: unknown }).lockfileVersion;
    if (typeof version === "string") checkLockfileVersion(version, file);
  }
  const result = lockfileSchema.safeParse(raw);
  if (!result.success) {
    throw invalid(file, describeSchemaError(result.error));
  }
  const lock = result.data;
  for (const [id, model] of Object.entries(lock.models)) {
    const expected = computeManifestDigest(model.files);
    if (model.manifestDigest !== expected) {
      throw invalid(
        file,
        `models[${JSON.stringify(id)}].manifestDigest does not match its files (expected ${expected}); the lock was edited by hand or is corrupt`,
      );
    }
  }
  return lock;
}

export function serializeLockfile(lock: Lockfile): string {
  return canonicalJson(lock);
}

/** sha256 over the raw 32-byte sha256 digests of the files, concatenated in path order. */
export function computeManifestDigest(files: Readonly<Record<string, { sha256: string }>>): string {
  const hash = createHash("sha256");
  for (const path of Object.keys(files).sort()) {
    hash.update(Buffer.from(files[path]!.sha256, "hex"));
  }
  return `sha256:${hash.digest("hex")}`;
}

export function emptyLockfile(): Lockfile {
  return { lockfileVersion: LOCKFILE_VERSION, models: {} };
}
