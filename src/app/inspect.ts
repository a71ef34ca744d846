/**
 * `modelvet inspect <org/name[@ref]>…`: what a model is, from Hub METADATA alone. For each model:
 * resolve the ref to a commit, apply the organization policy, list the files at that commit, and
 * judge each file by its name and the Hub's metadata; read only the small config files that
 * declare custom code (verified against their git blob ids first). No weight file is downloaded.
 *
 * Composes io/hub.ts and the pure core; never prints: progress goes out as events and the result
 * is a report the CLI renders.
 */
import {
  type CodeReference,
  CUSTOM_CODE_CONFIG_NAMES,
  extractCodeReferences,
} from "../core/auto-map.js";
import { HubError, ModelvetError } from "../core/errors.js";
import { type Finding, finding } from "../core/finding.js";
import { compileGlobFilter } from "../core/globs.js";
import { parseModelRef } from "../core/model-ref.js";
import { classifyName, type FormatRisk, RISK_REASON } from "../core/name-format.js";
import {
  evaluateOrgPolicy,
  type OrgAllowlist,
  type OrgDecision,
  policyFindings,
} from "../core/org-policy.js";
import type { ProjectPolicy } from "../core/project-policy.js";
import {
  type FileDigest,
  type GatedMode,
  publishedDigest,
  type RepoFile,
} from "../core/repo-file.js";
import type { ResolvedRevision } from "../core/revision.js";
import { type Verdict, worstVerdict } from "../core/verdict.js";
import type { HubClient } from "../io/hub.js";
import { VERSION } from "../version.js";
import {
  checkHubSignature,
  describeSignatureCheck,
  type ModelSignatureCheck,
  type SignaturePolicy,
} from "./model-signature.js";

export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_CONFIG_FILES = 32;

export interface InspectedFile {
  path: string;
  size: number;
  gitOid: string;
  lfs: boolean;
  /** sha256 for LFS files, git blob sha1 otherwise: what the Hub publishes for this commit. */
  digest: FileDigest;
  /** What the name says (see core/name-format.ts). */
  format: string;
  risk: FormatRisk;
  /** The Hub's own per-file scan status, advisory. */
  hubStatus?: string;
  verdict: Verdict;
  findings: Finding[];
}

export interface HubSecuritySummary {
  available: boolean;
  scansDone?: boolean;
  filesWithIssues?: Array<{ path: string; level: string | undefined }>;
  note?: string;
}

export interface ModelInspection {
  /** As typed by the user. */
  input: string;
  repo: string;
  policy: OrgDecision;
  revision?: ResolvedRevision;
  gated?: GatedMode;
  private?: boolean;
  hubSecurity?: HubSecuritySummary;
  customCode: { configFiles: string[]; references: CodeReference[] };
  files: InspectedFile[];
  /** Paths left out by --include/--exclude. */
  excluded: string[];
  /** The model signature (model.sig), when there is one or policy requires one. */
  signature?: Omit<ModelSignatureCheck, "findings"> & { summary: string };
  /** Model-level findings: policy, custom code, Hub status. */
  findings: Finding[];
  verdict: Verdict;
  /** Set when the Hub could not answer: the model is undecided. */
  error?: { code: string; message: string };
}

export interface InspectReport {
  tool: { name: "modelvet"; version: string };
  models: ModelInspection[];
  summary: { models: number; blocked: number; errors: number };
}

export type InspectEvent =
  | { type: "model-start"; input: string; index: number; total: number }
  | { type: "resolved"; repo: string; revision: ResolvedRevision }
  | { type: "listed"; repo: string; files: number; selected: number }
  | { type: "model-done"; model: ModelInspection };

export interface InspectOptions {
  refs: readonly string[];
  client: HubClient;
  orgAllowlist: OrgAllowlist;
  projectPolicy: ProjectPolicy;
  include?: readonly string[];
  exclude?: readonly string[];
  onEvent?: (event: InspectEvent) => void;
  /** policy.signatures: which models must be signed, and by whom. */
  signatures?: SignaturePolicy;
}

export async function inspectModels(options: InspectOptions): Promise<InspectReport> {
  // Parse every reference before any network call: a typo fails fast with exit 2.
  const parsed = options.refs.map((input) => ({ input, ref: parseModelRef(input) }));
  const select = compileGlobFilter({
    include: options.include ?? [],
    exclude: options.exclude ?? [],
  });
  const models: ModelInspection[] = [];
  for (const [index, { input, ref }] of parsed.entries()) {
    options.onEvent?.({ type: "model-start", input, index, total: parsed.length });
    const policy = evaluateOrgPolicy(ref.repo, options.orgAllowlist, options.projectPolicy);
    const model: ModelInspection = {
      input,
      repo: ref.repo,
      policy,
      // Set once known; listed here so the JSON keeps a readable key order.
      revision: undefined,
      gated: undefined,
      private: undefined,
      hubSecurity: undefined,
      customCode: { configFiles: [], references: [] },
      files: [],
      excluded: [],
      findings: policyFindings(ref.repo, policy),
      verdict: "clean",
    };
    try {
      await inspectOne(model, ref.ref, options, select);
    } catch (error) {
      if (
        !(error instanceof HubError) &&
        !(error instanceof ModelvetError && error.code === "OFFLINE")
      ) {
        throw error;
      }
      model.error = { code: error.code, message: error.message };
    }
    model.verdict = worstVerdict([
      ...model.findings.map((f) => f.verdict),
      ...model.files.map((f) => f.verdict),
    ]);
    models.push(model);
    options.onEvent?.({ type: "model-done", model });
  }
  return {
    tool: { name: "modelvet", version: VERSION },
    models,
    summary: {
      models: models.length,
      blocked: models.filter((m) => m.verdict !== "clean").length,
      errors: models.filter((m) => m.error !== undefined).length,
    },
  };
}

async function inspectOne(
  model: ModelInspection,
  ref: string | undefined,
  options: InspectOptions,
  select: (path: string) => boolean,
): Promise<void> {
  const { client } = options;
  const { revision, info } = await client.resolveModel(model.repo, ref);
  model.revision = revision;
  model.gated = info.gated;
  model.private = info.private;
  options.onEvent?.({ type: "resolved", repo: model.repo, revision });

  const all = await client.listRepoFiles(model.repo, revision.commit, { expand: true });
  const selected = all.filter((f) => select(f.path));
  model.excluded = all.filter((f) => !select(f.path)).map((f) => f.path);
  options.onEvent?.({
    type: "listed",
    repo: model.repo,
    files: all.length,
    selected: selected.length,
  });

  model.hubSecurity = await readHubSecurity(client, model.repo, revision.commit);
  if (model.hubSecurity.available) {
    const issues = model.hubSecurity.filesWithIssues ?? [];
    model.findings.push(
      finding(
        "HUB_SECURITY_STATUS",
        "clean",
        `The Hub's own scan (advisory only, never a reason to pass): ${model.hubSecurity.scansDone ? "done" : "not finished"}, ${issues.length === 0 ? "no file flagged" : `flagged ${issues.map((i) => `${i.path}${i.level ? ` (${i.level})` : ""}`).join(", ")}`}.`,
        { evidence: { scansDone: model.hubSecurity.scansDone, filesWithIssues: issues } },
      ),
    );
  }

  // Custom code is decided from the whole tree: loaders read config.json even if it is excluded.
  const code = await readCustomCode(client, model.repo, revision.commit, all);
  model.customCode = { configFiles: code.configFiles, references: code.references };
  model.findings.push(...code.findings);

  // Signed? Verified from model.sig and the tree's published digests, before any weight is read.
  const signature = await checkHubSignature({
    repo: model.repo,
    commit: revision.commit,
    tree: all,
    client,
    policy: options.signatures,
  });
  if (signature !== undefined) {
    const { findings, ...rest } = signature;
    model.signature = { ...rest, summary: describeSignatureCheck(signature) };
    model.findings.push(...findings);
  }

  const referencedModules = new Set(code.modulePaths);
  model.files = selected.map((file) => inspectFile(file, referencedModules));
}

async function readHubSecurity(
  client: HubClient,
  repo: string,
  commit: string,
): Promise<HubSecuritySummary> {
  try {
    const status = await client.fetchSecurityStatus(repo, commit);
    if (status === undefined) return { available: false, note: "the Hub gave no security status" };
    return {
      available: true,
      scansDone: status.scansDone,
      filesWithIssues: status.filesWithIssues,
    };
  } catch (error) {
    // Advisory data: a failure to read it changes nothing, except access problems, which the
    // earlier calls would already have raised.
    if (error instanceof HubError) return { available: false, note: error.message };
    throw error;
  }
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash + 1);
}

async function readCustomCode(
  client: HubClient,
  repo: string,
  commit: string,
  files: readonly RepoFile[],
): Promise<{
  configFiles: string[];
  references: CodeReference[];
  findings: Finding[];
  modulePaths: string[];
}> {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const configs = files.filter((f) =>
    CUSTOM_CODE_CONFIG_NAMES.has(f.path.slice(f.path.lastIndexOf("/") + 1)),
  );
  const findings: Finding[] = [];
  const references: CodeReference[] = [];
  const modulePaths: string[] = [];
  if (configs.length > MAX_CONFIG_FILES) {
    findings.push(
      finding(
        "UNSCANNABLE",
        "unscannable",
        `${configs.length} config files could declare custom code; inspect reads at most ${MAX_CONFIG_FILES}, so custom code cannot be ruled out.`,
      ),
    );
  }
  for (const file of configs.slice(0, MAX_CONFIG_FILES)) {
    if (file.size > MAX_CONFIG_BYTES) {
      findings.push(
        finding(
          "UNSCANNABLE",
          "unscannable",
          `${file.path} is ${file.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit for config files: custom code it may declare cannot be checked.`,
          { evidence: { path: file.path } },
        ),
      );
      continue;
    }
    const result = await client.fetchVerifiedFile(repo, commit, file);
    if (!result.ok) {
      findings.push(
        finding(
          result.algorithm === "size" ? "SIZE_MISMATCH" : "DIGEST_MISMATCH",
          "malicious",
          `${file.path}: the bytes served do not match the ${result.algorithm === "size" ? "size" : result.algorithm} the Hub's tree publishes for this commit.`,
          { expected: result.expected, actual: result.actual, evidence: { path: file.path } },
        ),
      );
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(result.bytes));
    } catch {
      findings.push(
        finding(
          "UNSCANNABLE",
          "unscannable",
          `${file.path} is not valid UTF-8 JSON, so the custom code it may declare cannot be read.`,
          { evidence: { path: file.path } },
        ),
      );
      continue;
    }
    const found = extractCodeReferences(file.path, json);
    const configDir = dirOf(file.path);
    for (const ref of found) {
      references.push(ref);
      findings.push(...referenceFindings(ref, configDir, byPath, repo, modulePaths));
    }
  }
  return { configFiles: configs.map((f) => f.path), references, findings, modulePaths };
}

function referenceFindings(
  ref: CodeReference,
  configDir: string,
  byPath: ReadonlyMap<string, RepoFile>,
  repo: string,
  modulePaths: string[],
): Finding[] {
  const evidence = { source: ref.source, reference: ref.reference };
  if (ref.problem !== undefined) {
    return [
      finding(
        "REMOTE_CODE",
        "unscannable",
        `${ref.source} names custom code "${ref.reference}" that cannot be followed (${ref.problem}).`,
        { evidence },
      ),
    ];
  }
  if (ref.repo !== undefined && ref.repo.toLowerCase() !== repo.toLowerCase()) {
    return [
      finding(
        "REMOTE_CODE_CROSS_REPO",
        "suspicious",
        `${ref.source} runs ${ref.moduleFile} from ANOTHER repo, ${ref.repo} (class ${ref.className}), with trust_remote_code; inspect that repo too.`,
        { evidence: { ...evidence, repo: ref.repo } },
      ),
    ];
  }
  const candidates = [`${configDir}${ref.moduleFile}`, ref.moduleFile!];
  const present = candidates.find((p) => byPath.has(p));
  if (present === undefined) {
    return [
      finding(
        "REMOTE_CODE_MISSING",
        "unscannable",
        `${ref.source} names ${ref.moduleFile} (class ${ref.className}), which is not in the repo at this commit: what would run cannot be checked.`,
        { evidence },
      ),
    ];
  }
  modulePaths.push(present);
  return [
    finding(
      "REMOTE_CODE",
      "suspicious",
      `${ref.source} makes loaders run ${present} (class ${ref.className}) with trust_remote_code; its code and whatever it imports must be reviewed or scanned.`,
      { evidence: { ...evidence, module: present } },
    ),
  ];
}

function inspectFile(file: RepoFile, referencedModules: ReadonlySet<string>): InspectedFile {
  const { format, risk } = classifyName(file.path);
  const findings: Finding[] = [];
  if (risk === "pickle" || risk === "maybe-pickle" || risk === "keras" || risk === "graph") {
    findings.push(
      finding(
        "FORMAT_RISKY",
        "suspicious",
        `${file.path}: ${RISK_REASON[risk]}. inspect does not read weight bytes: scan it (modelvet pull) or leave it out with --exclude.`,
      ),
    );
  } else if (risk === "unknown") {
    findings.push(
      finding(
        "UNKNOWN_FORMAT",
        "suspicious",
        `${file.path}: the name does not say what format this is, and inspect does not read the bytes: scan it (modelvet pull) or leave it out with --exclude.`,
      ),
    );
  } else if (risk === "code") {
    findings.push(
      referencedModules.has(file.path)
        ? finding(
            "REMOTE_CODE",
            "suspicious",
            `${file.path}: custom code a config tells loaders to run (trust_remote_code).`,
          )
        : finding(
            "REMOTE_CODE",
            "clean",
            `${file.path}: code that no config references; transformers does not run it unless a referenced module imports it.`,
          ),
    );
  }
  if (file.hubSecurity !== undefined && file.hubSecurity.status !== "safe") {
    findings.push(
      finding(
        "HUB_SECURITY_STATUS",
        "clean",
        `${file.path}: the Hub's own scan says "${file.hubSecurity.status}" (advisory only).`,
        { evidence: { hub: file.hubSecurity.detail } },
      ),
    );
  }
  const out: InspectedFile = {
    path: file.path,
    size: file.size,
    gitOid: file.gitOid,
    lfs: file.lfs !== undefined,
    digest: publishedDigest(file),
    format,
    risk,
    verdict: worstVerdict(findings.map((f) => f.verdict)),
    findings,
  };
  if (file.hubSecurity !== undefined) out.hubStatus = file.hubSecurity.status;
  return out;
}
