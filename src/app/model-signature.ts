/**
 * Signatures of Hub models (OpenSSF Model Signing, `model.sig` at the repo root), for inspect,
 * pull/add/lock and ci. The signature and the signer are verified as `verify-signature` does; the
 * signed file list is compared with the Hub's tree at the commit (nothing missing, nothing
 * unlisted), and each listed digest with what is known of the file: the sha256 of bytes downloaded
 * and verified in this run (or pinned in the lock), else the Hub's published LFS sha256. A small
 * non-LFS file that was not downloaded cannot be compared yet: it is counted as unchecked.
 */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { InputError } from "../core/errors.js";
import { type Finding, finding } from "../core/finding.js";
import type { LockedSignature, Lockfile } from "../core/lockfile.js";
import type { RepoFile } from "../core/repo-file.js";
import { parseSignatureBundle } from "../core/signature/bundle.js";
import { SignatureCheckError } from "../core/signature/errors.js";
import {
  evaluateHashJobs,
  type HashJob,
  planSignatureCheck,
} from "../core/signature/manifest-check.js";
import { DEFAULT_IGNORED_PATHS, parseSignedManifest } from "../core/signature/payload.js";
import { type SignatureRule, signatureRuleFor } from "../core/signature/policy.js";
import { describeSigner, evaluateSigner, type SignerInfo } from "../core/signature/signer.js";
import { parsePemCertificates } from "../core/signature/verify-key.js";
import type { HubClient } from "../io/hub.js";
import { hashJob, MAX_SIGNATURE_BYTES } from "../io/signature-files.js";
import { embeddedTrustRoot, readTrustRoot } from "../io/signature-sigstore.js";
import { isSigstoreSigned, type SignatureTrust, verifyBundleSigner } from "./verify-signature.js";

export const SIGNATURE_FILE = "model.sig";

/** policy.signatures and where its key files are relative to. */
export interface SignaturePolicy {
  rules: readonly SignatureRule[];
  baseDir: string;
}

export interface ModelSignatureCheck {
  /** A rule in policy.signatures names this model. */
  required: boolean;
  /** model.sig is in the tree. */
  present: boolean;
  /** Signature, signer and every compared digest hold. */
  verified: boolean;
  signer?: SignerInfo;
  bundleSha256?: string;
  /** Files (or shards) compared with a digest; and those that could not be yet. */
  checked: number;
  unchecked: string[];
  /** What a reader should know when nothing blocks (e.g. a key-signed model with no key configured). */
  note?: string;
  findings: Finding[];
}

function readKey(path: string): KeyObject {
  try {
    return createPublicKey(readFileSync(path, "utf8"));
  } catch (error) {
    throw new InputError(
      "CONFIG_INVALID",
      `policy.signatures: cannot read the public key ${path}`,
      {
        cause: error,
      },
    );
  }
}

/** The trust a rule describes; with no rule, Sigstore's public-good root and no expected signer. */
export function trustForRule(
  rule: SignatureRule | undefined,
  baseDir: string,
): SignatureTrust | undefined {
  const at = (p: string) => (isAbsolute(p) ? p : join(baseDir, p));
  if (rule === undefined) return undefined;
  if (rule.publicKey !== undefined) return { kind: "key", publicKey: readKey(at(rule.publicKey)) };
  if (rule.certificateChain !== undefined) {
    const anchors = rule.certificateChain.flatMap((p) => {
      let text: string;
      try {
        text = readFileSync(at(p), "utf8");
      } catch (error) {
        throw new InputError("CONFIG_INVALID", `policy.signatures: cannot read ${at(p)}`, {
          cause: error,
        });
      }
      try {
        return parsePemCertificates(text, at(p));
      } catch (error) {
        throw new InputError("CONFIG_INVALID", `policy.signatures: ${(error as Error).message}`);
      }
    });
    return { kind: "certificate", anchors };
  }
  return {
    kind: "sigstore",
    ...(rule.identity !== undefined ? { identity: rule.identity } : {}),
    ...(rule.issuer !== undefined ? { issuer: rule.issuer } : {}),
    trust: rule.trustRoot !== undefined ? readTrustRoot(at(rule.trustRoot)) : embeddedTrustRoot(),
  };
}

export interface HubSignatureOptions {
  repo: string;
  commit: string;
  /** The Hub's whole tree at the commit. */
  tree: readonly RepoFile[];
  client: HubClient;
  policy: SignaturePolicy | undefined;
  /** sha256 of bytes verified in this run or pinned in the lock, by path. */
  known?: ReadonlyMap<string, string>;
  /** For the shards method: where verified files can be read (a snapshot folder), and which. */
  localDir?: string;
  localFiles?: ReadonlySet<string>;
  /** model.sig bytes already downloaded and verified against the tree (saves a request). */
  signatureBytes?: Uint8Array;
}

function failed(base: ModelSignatureCheck, f: Finding): ModelSignatureCheck {
  return { ...base, verified: false, findings: [...base.findings, f] };
}

/** undefined: the model is not signed and no rule asks for a signature. */
export async function checkHubSignature(
  options: HubSignatureOptions,
): Promise<ModelSignatureCheck | undefined> {
  const { repo, commit, tree } = options;
  const rule = signatureRuleFor(repo, options.policy?.rules ?? []);
  const sigFile = tree.find((f) => f.path === SIGNATURE_FILE);
  const base: ModelSignatureCheck = {
    required: rule !== undefined,
    present: sigFile !== undefined,
    verified: false,
    checked: 0,
    unchecked: [],
    findings: [],
  };
  if (sigFile === undefined) {
    if (rule === undefined) return undefined;
    return failed(
      base,
      finding(
        "SIGNATURE_MISSING",
        "suspicious",
        `${repo} must be signed (policy.signatures: ${rule.models}) but has no ${SIGNATURE_FILE} at ${commit.slice(0, 12)}.`,
      ),
    );
  }
  if (sigFile.size > MAX_SIGNATURE_BYTES) {
    return failed(
      base,
      finding(
        "SIGNATURE_INVALID",
        "unscannable",
        `${repo}/${SIGNATURE_FILE} is too large to read.`,
      ),
    );
  }
  let bytes = options.signatureBytes;
  if (bytes === undefined) {
    const got = await options.client.fetchVerifiedFile(repo, commit, sigFile);
    if (!got.ok) {
      return failed(
        base,
        finding(
          "DIGEST_MISMATCH",
          "malicious",
          `${repo}/${SIGNATURE_FILE}: the bytes do not match the Hub's tree at this commit.`,
          { expected: String(got.expected), actual: String(got.actual) },
        ),
      );
    }
    bytes = got.bytes;
  }
  const bundleSha256 = createHash("sha256").update(bytes).digest("hex");
  const withDigest = { ...base, bundleSha256 };
  const blocking = rule !== undefined;
  const problem = (error: SignatureCheckError): ModelSignatureCheck => {
    const code = error.problem === "signer" ? "SIGNATURE_SIGNER_MISMATCH" : "SIGNATURE_INVALID";
    const f = finding(
      code,
      // Unsigned-by-policy models only learn what is wrong; a required signature blocks.
      blocking ? (error.problem === "crypto" ? "malicious" : "suspicious") : "clean",
      `${repo}/${SIGNATURE_FILE}: ${error.message}`,
    );
    return failed(withDigest, blocking ? f : { ...f, severity: "info" });
  };
  try {
    const bundle = parseSignatureBundle(bytes);
    const trust = trustForRule(rule, options.policy?.baseDir ?? ".");
    let signer: SignerInfo;
    if (trust !== undefined) signer = verifyBundleSigner(bundle, trust);
    else if (isSigstoreSigned(bundle))
      signer = verifyBundleSigner(bundle, { kind: "sigstore", trust: embeddedTrustRoot() });
    else {
      return {
        ...withDigest,
        note: `signed with ${bundle.material.kind === "key" ? "a private key" : "a certificate"}; not verified (no rule in policy.signatures says whose it must be)`,
      };
    }
    const manifest = parseSignedManifest(bundle.envelope.payloadType, bundle.envelope.payload);
    const ignore = [...(manifest.ignorePaths ?? DEFAULT_IGNORED_PATHS), SIGNATURE_FILE];
    const plan = planSignatureCheck(
      manifest,
      tree.map((f) => ({ path: f.path, size: f.size })),
      ignore,
    );
    const byPath = new Map(tree.map((f) => [f.path, f]));
    const jobs: HashJob[] = [];
    const actual: string[] = [];
    const unchecked: string[] = [];
    for (const job of plan.jobs) {
      let digest: string | undefined;
      if (job.range === undefined) {
        digest = options.known?.get(job.path) ?? byPath.get(job.path)?.lfs?.sha256;
      } else if (options.localDir !== undefined && options.localFiles?.has(job.path)) {
        digest = await hashJob(options.localDir, job);
      }
      if (digest === undefined) unchecked.push(job.label);
      else {
        jobs.push(job);
        actual.push(digest);
      }
    }
    const findings = [...plan.findings, ...evaluateHashJobs(jobs, actual)].map((f) =>
      blocking ? f : { ...f, verdict: "clean" as const, severity: "info" as const },
    );
    return {
      ...withDigest,
      signer,
      verified: findings.length === 0,
      checked: jobs.length,
      unchecked,
      findings,
    };
  } catch (error) {
    if (error instanceof SignatureCheckError) return problem(error);
    throw error;
  }
}

/** One line for reports: "signed by … (sigstore), 12 files match" or why not. */
export function describeSignatureCheck(check: ModelSignatureCheck | undefined): string {
  if (check === undefined) return "not signed";
  if (!check.present) return "not signed (a signature is required)";
  if (check.note !== undefined) return check.note;
  if (check.signer === undefined) return "signature does not verify";
  const who = `signed by ${describeSigner(check.signer)} [${check.signer.method}]`;
  const files = `${check.checked} digest(s) match${check.unchecked.length > 0 ? `, ${check.unchecked.length} checked on download` : ""}`;
  return check.verified ? `${who}; ${files}` : `${who}; files do not match the signature`;
}

/** The lock's record of a verified signature (nothing for an unverified or absent one). */
export function lockedSignatureOf(
  check: ModelSignatureCheck | undefined,
): { signature: LockedSignature } | Record<string, never> {
  if (!check?.verified || check.signer === undefined || check.bundleSha256 === undefined) return {};
  return {
    signature: {
      method: check.signer.method,
      identity: check.signer.identity,
      ...(check.signer.issuer !== undefined ? { issuer: check.signer.issuer } : {}),
      bundleSha256: check.bundleSha256,
    },
  };
}

export interface LockedSignatureProblem {
  model: string;
  finding: Finding;
}

/**
 * `ci`: for each locked model that policy requires to be signed or that the lock records as
 * signed, the signature at the pinned commit must still verify, name the signer the lock names,
 * and list the locked digests. A rule with no recorded signature fails too (lock again).
 */
export async function checkLockedSignatures(options: {
  client: HubClient;
  lock: Lockfile;
  repos: readonly string[];
  policy: SignaturePolicy | undefined;
}): Promise<LockedSignatureProblem[]> {
  const out: LockedSignatureProblem[] = [];
  for (const repo of options.repos) {
    const entry = options.lock.models[repo];
    if (entry === undefined) continue;
    const rules = options.policy?.rules ?? [];
    let rule = signatureRuleFor(repo, rules);
    const locked = entry.signature;
    if (rule === undefined && locked === undefined) continue;
    const push = (f: Finding) => out.push({ model: repo, finding: f });
    if (rule !== undefined && locked === undefined) {
      push(
        finding(
          "SIGNATURE_MISSING",
          "suspicious",
          `${repo}: policy.signatures requires a signature, but models.lock records none; run \`modelvet lock --update ${repo}\`.`,
        ),
      );
      continue;
    }
    // No rule: the lock's own record is the expectation (Sigstore identities can be re-checked).
    if (rule === undefined && locked?.method === "sigstore" && locked.issuer !== undefined) {
      rule = { models: repo, identity: locked.identity, issuer: locked.issuer };
    }
    const tree = await options.client.listRepoFiles(repo, entry.revision);
    const known = new Map(Object.entries(entry.files).map(([p, f]) => [p, f.sha256]));
    const check = await checkHubSignature({
      repo,
      commit: entry.revision,
      tree,
      client: options.client,
      policy:
        rule === undefined ? undefined : { rules: [rule], baseDir: options.policy?.baseDir ?? "." },
      known,
    });
    if (check === undefined || !check.present) {
      push(
        finding(
          "SIGNATURE_MISSING",
          "suspicious",
          `${repo}: models.lock records a signature by ${locked ? describeSigner(locked) : "(none)"}, but ${SIGNATURE_FILE} is gone at ${entry.revision.slice(0, 12)}.`,
        ),
      );
      continue;
    }
    for (const f of check.findings) if (f.verdict !== "clean") push(f);
    if (locked !== undefined && check.bundleSha256 !== locked.bundleSha256) {
      push(
        finding(
          "SIGNATURE_INVALID",
          "malicious",
          `${repo}/${SIGNATURE_FILE} is not the signature models.lock recorded.`,
          { expected: `sha256:${locked.bundleSha256}`, actual: `sha256:${check.bundleSha256}` },
        ),
      );
    }
    if (locked !== undefined && check.signer !== undefined) {
      const why = evaluateSigner(
        {
          method: locked.method,
          identity: locked.identity,
          ...(locked.issuer !== undefined ? { issuer: locked.issuer } : {}),
        },
        check.signer,
      );
      if (why !== undefined) {
        push(
          finding(
            "SIGNATURE_SIGNER_MISMATCH",
            "suspicious",
            `${repo}: ${why}, as models.lock records.`,
          ),
        );
      }
    }
  }
  return out;
}
