/**
 * `modelvet inspect <org/name[@ref]>…`: what a model is, from Hub METADATA alone. For each model:
 * resolve the ref to a commit, apply the organization policy, list the files at that commit, and
 * judge each file by its name and the Hub's metadata; read only the small config files that
 * declare custom code (verified against their git blob ids first). No weight file is downloaded.
 *
 * Composes io/hub.ts and the pure decisions of core/inspection.ts (what each file, config and code
 * reference means); never prints: progress goes out as events and the result is a report the CLI
 * renders.
 */
import type { CodeReference } from "../core/auto-map.js";
import { HubError, ModelvetError } from "../core/errors.js";
import type { Finding } from "../core/finding.js";
import { compileGlobFilter } from "../core/globs.js";
import {
  evaluateCustomCodeConfig,
  type HubSecuritySummary,
  hubSecurityFinding,
  type InspectedFile,
  inspectFile,
  oversizeConfigFinding,
  selectCustomCodeConfigs,
  summarizeInspections,
} from "../core/inspection.js";
import { parseModelRef } from "../core/model-ref.js";
import {
  evaluateOrgPolicy,
  type OrgAllowlist,
  type OrgDecision,
  policyFindings,
} from "../core/org-policy.js";
import type { ProjectPolicy } from "../core/project-policy.js";
import type { GatedMode, RepoFile } from "../core/repo-file.js";
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

export type { HubSecuritySummary, InspectedFile } from "../core/inspection.js";

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
    summary: summarizeInspections(models),
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
  const hubStatus = hubSecurityFinding(model.hubSecurity);
  if (hubStatus !== undefined) model.findings.push(hubStatus);

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

/** Reads the config files that could declare custom code (each verified against the tree). */
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
  const { configFiles, toRead, findings } = selectCustomCodeConfigs(files);
  const references: CodeReference[] = [];
  const modulePaths: string[] = [];
  for (const file of toRead) {
    const oversize = oversizeConfigFinding(file);
    if (oversize !== undefined) {
      findings.push(oversize);
      continue;
    }
    const fetched = await client.fetchVerifiedFile(repo, commit, file);
    const code = evaluateCustomCodeConfig({ file, fetched, byPath, repo });
    references.push(...code.references);
    findings.push(...code.findings);
    modulePaths.push(...code.modulePaths);
  }
  return { configFiles, references, findings, modulePaths };
}
