/**
 * The decisions of `modelvet inspect`, pure: what a file's name and the Hub's metadata say about
 * it, what the Hub's own scan status is worth, which config files could declare custom code and
 * what the custom code they name means. app/inspect.ts fetches (tree, status, config bytes) and
 * hands the answers here; nothing here reads the network or the disk.
 */
import { type CodeReference, CUSTOM_CODE_CONFIG_NAMES, extractCodeReferences } from "./auto-map.js";
import { type Finding, finding } from "./finding.js";
import { classifyName, type FormatRisk, RISK_REASON } from "./name-format.js";
import { type FileDigest, publishedDigest, type RepoFile } from "./repo-file.js";
import { type Verdict, worstVerdict } from "./verdict.js";

/** Config files larger than this are not read: what they declare stays unknown (unscannable). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** At most this many config files are read per model; more makes custom code undecidable. */
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

/** A config file's bytes as read from the Hub: verified against the tree, or what did not match. */
export type FetchedConfig =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; algorithm: string; expected: string | number; actual: string | number };

/** What the config files of one model declare: references to custom code and their findings. */
export interface CustomCode {
  references: CodeReference[];
  findings: Finding[];
  /** Module files in the repo that a config tells loaders to run. */
  modulePaths: string[];
}

/** The Hub's own scan as one advisory (`clean`) finding; none when the Hub gave no status. */
export function hubSecurityFinding(summary: HubSecuritySummary): Finding | undefined {
  if (!summary.available) return undefined;
  const issues = summary.filesWithIssues ?? [];
  const flagged =
    issues.length === 0
      ? "no file flagged"
      : `flagged ${issues.map((i) => `${i.path}${i.level ? ` (${i.level})` : ""}`).join(", ")}`;
  return finding(
    "HUB_SECURITY_STATUS",
    "clean",
    `The Hub's own scan (advisory only, never a reason to pass): ${summary.scansDone ? "done" : "not finished"}, ${flagged}.`,
    { evidence: { scansDone: summary.scansDone, filesWithIssues: issues } },
  );
}

/**
 * The files of a tree that could declare custom code (config.json and its kin, in any folder),
 * the ones inspect reads (at most MAX_CONFIG_FILES), and the finding when there are more.
 */
export function selectCustomCodeConfigs(files: readonly RepoFile[]): {
  configFiles: string[];
  toRead: RepoFile[];
  findings: Finding[];
} {
  const configs = files.filter((f) =>
    CUSTOM_CODE_CONFIG_NAMES.has(f.path.slice(f.path.lastIndexOf("/") + 1)),
  );
  const findings: Finding[] = [];
  if (configs.length > MAX_CONFIG_FILES) {
    findings.push(
      finding(
        "UNSCANNABLE",
        "unscannable",
        `${configs.length} config files could declare custom code; inspect reads at most ${MAX_CONFIG_FILES}, so custom code cannot be ruled out.`,
      ),
    );
  }
  return {
    configFiles: configs.map((f) => f.path),
    toRead: configs.slice(0, MAX_CONFIG_FILES),
    findings,
  };
}

/** Why a config file is not read at all (too large), or undefined when it is to be read. */
export function oversizeConfigFinding(file: RepoFile): Finding | undefined {
  if (file.size <= MAX_CONFIG_BYTES) return undefined;
  return finding(
    "UNSCANNABLE",
    "unscannable",
    `${file.path} is ${file.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit for config files: custom code it may declare cannot be checked.`,
    { evidence: { path: file.path } },
  );
}

/**
 * What one config file declares, from its bytes as fetched: a mismatch with the tree is
 * malicious, bytes that are not UTF-8 JSON are unscannable, and each code reference is judged
 * against the tree (`byPath`) of `repo`.
 */
export function evaluateCustomCodeConfig(options: {
  file: RepoFile;
  fetched: FetchedConfig;
  byPath: ReadonlyMap<string, RepoFile>;
  repo: string;
}): CustomCode {
  const { file, fetched } = options;
  const out: CustomCode = { references: [], findings: [], modulePaths: [] };
  if (!fetched.ok) {
    out.findings.push(
      finding(
        fetched.algorithm === "size" ? "SIZE_MISMATCH" : "DIGEST_MISMATCH",
        "malicious",
        `${file.path}: the bytes served do not match the ${fetched.algorithm} the Hub's tree publishes for this commit.`,
        { expected: fetched.expected, actual: fetched.actual, evidence: { path: file.path } },
      ),
    );
    return out;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(fetched.bytes));
  } catch {
    out.findings.push(
      finding(
        "UNSCANNABLE",
        "unscannable",
        `${file.path} is not valid UTF-8 JSON, so the custom code it may declare cannot be read.`,
        { evidence: { path: file.path } },
      ),
    );
    return out;
  }
  const configDir = dirOf(file.path);
  for (const ref of extractCodeReferences(file.path, json)) {
    out.references.push(ref);
    const judged = evaluateCodeReference(ref, configDir, options.byPath, options.repo);
    out.findings.push(judged.finding);
    if (judged.module !== undefined) out.modulePaths.push(judged.module);
  }
  return out;
}

function dirOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash === -1 ? "" : path.slice(0, slash + 1);
}

/**
 * One reference to custom code, judged against the tree: malformed (unscannable), in another repo
 * (suspicious), missing from this one (unscannable), or present: `module` is the file that would run.
 */
export function evaluateCodeReference(
  ref: CodeReference,
  configDir: string,
  byPath: ReadonlyMap<string, RepoFile>,
  repo: string,
): { finding: Finding; module?: string } {
  const evidence = { source: ref.source, reference: ref.reference };
  if (ref.problem !== undefined) {
    return {
      finding: finding(
        "REMOTE_CODE",
        "unscannable",
        `${ref.source} names custom code "${ref.reference}" that cannot be followed (${ref.problem}).`,
        { evidence },
      ),
    };
  }
  if (ref.repo !== undefined && ref.repo.toLowerCase() !== repo.toLowerCase()) {
    return {
      finding: finding(
        "REMOTE_CODE_CROSS_REPO",
        "suspicious",
        `${ref.source} runs ${ref.moduleFile} from ANOTHER repo, ${ref.repo} (class ${ref.className}), with trust_remote_code; inspect that repo too.`,
        { evidence: { ...evidence, repo: ref.repo } },
      ),
    };
  }
  const candidates = [`${configDir}${ref.moduleFile}`, ref.moduleFile!];
  const present = candidates.find((p) => byPath.has(p));
  if (present === undefined) {
    return {
      finding: finding(
        "REMOTE_CODE_MISSING",
        "unscannable",
        `${ref.source} names ${ref.moduleFile} (class ${ref.className}), which is not in the repo at this commit: what would run cannot be checked.`,
        { evidence },
      ),
    };
  }
  return {
    module: present,
    finding: finding(
      "REMOTE_CODE",
      "suspicious",
      `${ref.source} makes loaders run ${present} (class ${ref.className}) with trust_remote_code; its code and whatever it imports must be reviewed or scanned.`,
      { evidence: { ...evidence, module: present } },
    ),
  };
}

/**
 * One file judged by its name and the Hub's metadata alone (no bytes read): formats that can run
 * code or that the name does not identify are suspicious until scanned; code files are suspicious
 * when a config makes loaders run them (`referencedModules`); the Hub's own scan is advisory.
 */
export function inspectFile(file: RepoFile, referencedModules: ReadonlySet<string>): InspectedFile {
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

/** The report's counts: models, those that block (any verdict but clean), those undecided. */
export function summarizeInspections(models: readonly { verdict: Verdict; error?: unknown }[]): {
  models: number;
  blocked: number;
  errors: number;
} {
  return {
    models: models.length,
    blocked: models.filter((m) => m.verdict !== "clean").length,
    errors: models.filter((m) => m.error !== undefined).length,
  };
}
