/**
 * The folder pass for `trust_remote_code` (threat R1). A model folder is more than its files one
 * by one: `auto_map` in its config files names Python modules that
 * `from_pretrained(..., trust_remote_code=True)` imports, and those modules' relative imports pull
 * in more files (transformers copies them all into its dynamic-module cache). This pass lists every
 * file that would run, analyses each as Python whatever its detected format, and reports:
 *
 * - REMOTE_CODE (suspicious) on each config that declares remote code. Custom code is arbitrary
 *   code by design and the analysis is a list of known-bad things, so it cannot prove code
 *   harmless: default deny. The per-file findings decide whether it is also malicious.
 * - REMOTE_CODE_MISSING (unscannable) for a referenced or imported file that is not in the
 *   folder, or a reference that leaves it: the loader would fetch or read code we never saw.
 * - REMOTE_CODE_CROSS_REPO (unscannable) for `org/repo--module.Class`: code from another repo.
 *
 * Pure: the caller supplies a map of folder-relative POSIX paths to bytes. It needs the config
 * files at the top of the folder and every `.py` file; other files may be left out.
 */

import { AUTO_MAP_CONFIGS, type RemoteReference, readAutoMap } from "../core/auto-map.js";
import { type Finding, finding } from "../core/finding.js";
import { makeNode, type ScanNode } from "../core/report.js";
import type { Verdict } from "../core/verdict.js";
import type { RelativeImport } from "./code/analyze.js";
import { analyzePythonSource } from "./code/python.js";
import type { ScanPolicy } from "./policy.js";
import { type ByteSource, readAll } from "./source.js";

/** Config files larger than this are not read for auto_map. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
/** Files followed through relative imports, per folder. */
const MAX_REMOTE_FILES = 500;

export interface RemoteCodeFile {
  path: string;
  verdict: Verdict;
  /** Why it runs: the auto_map key or the importing file. */
  reason: string;
  /** What it does, one short line per finding (or that nothing dangerous was found). */
  does: string[];
}

export interface RemoteCodeSummary {
  references: {
    config: string;
    key: string;
    reference: string;
    file?: string;
    repo?: string;
    problem?: string;
  }[];
  /** Every Python file trust_remote_code would import, in the order it would reach them. */
  files: RemoteCodeFile[];
  missing: string[];
  crossRepo: string[];
  /** Set on every config but the first that names remote code: where the full list is shown. */
  listedWith?: string;
}

export interface FolderAnalysis {
  /** Findings and the remote-code summary for each config file that declares remote code. */
  configs: Map<string, { findings: Finding[]; summary: RemoteCodeSummary }>;
  /** The analysis of each Python file trust_remote_code would import, by relative path. */
  files: Map<string, ScanNode>;
}

function posixDirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

function joinPath(dir: string, rest: string): string {
  return dir ? `${dir}/${rest}` : rest;
}

/** Candidate files a relative import makes Python execute, or a problem. */
function resolveRelative(
  importer: string,
  imp: RelativeImport,
  has: (path: string) => boolean,
): { files: string[]; missing: string[]; escapes: boolean } {
  let dir = posixDirname(importer);
  for (let i = 1; i < imp.level; i++) {
    if (dir === "") return { files: [], missing: [], escapes: true };
    dir = posixDirname(dir);
  }
  const files: string[] = [];
  const missing: string[] = [];
  const moduleFile = (base: string, dotted: string): string | undefined => {
    const rel = joinPath(base, dotted.split(".").join("/"));
    if (has(`${rel}.py`)) return `${rel}.py`;
    if (has(`${rel}/__init__.py`)) return `${rel}/__init__.py`;
    return undefined;
  };
  if (imp.module) {
    // Every package on the way runs its __init__.py.
    const parts = imp.module.split(".");
    for (let i = 1; i < parts.length; i++) {
      const init = joinPath(dir, `${parts.slice(0, i).join("/")}/__init__.py`);
      if (has(init)) files.push(init);
    }
    const found = moduleFile(dir, imp.module);
    if (found) files.push(found);
    else missing.push(`${joinPath(dir, parts.join("/"))}.py`);
    // `from .pkg import sub` may name a submodule file.
    for (const name of imp.names) {
      const sub = moduleFile(dir, `${imp.module}.${name}`);
      if (sub) files.push(sub);
    }
  } else {
    for (const name of imp.names) {
      const found = moduleFile(dir, name);
      if (found) files.push(found);
      else if (has(joinPath(dir, "__init__.py"))) files.push(joinPath(dir, "__init__.py"));
      else missing.push(joinPath(dir, `${name}.py`));
    }
  }
  return { files, missing, escapes: false };
}

function describe(node: ScanNode): string[] {
  const lines: string[] = [];
  for (const f of node.findings) {
    const where = f.line !== undefined ? ` (line ${f.line})` : "";
    lines.push(`${f.verdict}: ${f.message}${where}`);
  }
  const imports = (node.summary?.imports as string[] | undefined) ?? [];
  const other = (node.summary?.otherImports as string[] | undefined) ?? [];
  if (lines.length === 0) lines.push("no dangerous calls found");
  const all = [...imports, ...other];
  if (all.length > 0) lines.push(`imports ${all.join(", ")}`);
  const shown = lines.slice(0, 12);
  if (lines.length > shown.length) shown.push(`… and ${lines.length - shown.length} more`);
  return shown;
}

function readConfig(source: ByteSource): { json?: unknown; problem?: string } {
  if (source.size > MAX_CONFIG_BYTES)
    return { problem: `${source.size} bytes is too large to read` };
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(readAll(source));
    return { json: JSON.parse(text) };
  } catch (error) {
    return {
      problem: `not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    };
  }
}

export async function analyzeRepoFolder(
  files: ReadonlyMap<string, ByteSource>,
  policy: ScanPolicy,
): Promise<FolderAnalysis> {
  const result: FolderAnalysis = { configs: new Map(), files: new Map() };
  const references: RemoteReference[] = [];
  const configFindings = new Map<string, Finding[]>();

  for (const name of AUTO_MAP_CONFIGS) {
    const source = files.get(name);
    if (!source) continue;
    const { json, problem } = readConfig(source);
    const own: Finding[] = [];
    if (problem) {
      // Only a config that names remote code matters here; an unreadable one might.
      const head = new TextDecoder().decode(source.read(0, 1 << 20));
      if (name === "modules.json" || /auto_map|custom_pipelines/.test(head)) {
        own.push(
          finding("UNSCANNABLE", "unscannable", `Cannot read auto_map from ${name}: ${problem}.`),
        );
        configFindings.set(name, own);
      }
      continue;
    }
    const read = readAutoMap(name, json);
    references.push(...read);
    if (read.length > 0) configFindings.set(name, own);
  }
  if (configFindings.size === 0) return result;

  // Breadth-first over auto_map targets and their relative imports.
  const has = (path: string) => files.has(path);
  const order: { path: string; reason: string }[] = [];
  const queued = new Set<string>();
  const missing: string[] = [];
  const crossRepo: string[] = [];
  /** Classes the loader instantiates, per file: their constructors run at load time. */
  const loaded = new Map<string, string[]>();
  const enqueue = (path: string, reason: string) => {
    if (queued.has(path)) return;
    queued.add(path);
    order.push({ path, reason });
  };
  for (const ref of references) {
    const list = configFindings.get(ref.config) as Finding[];
    if (ref.repo) {
      crossRepo.push(ref.repo);
      list.push(
        finding(
          "REMOTE_CODE_CROSS_REPO",
          "unscannable",
          `${ref.key} = "${ref.reference}" runs code from another repository, ${ref.repo}, which this scan cannot see.`,
          { evidence: { repo: ref.repo, reference: ref.reference } },
        ),
      );
    } else if (ref.problem || !ref.file) {
      list.push(
        finding(
          "REMOTE_CODE_MISSING",
          "unscannable",
          `${ref.key} = "${ref.reference}" cannot be followed: ${ref.problem ?? "no module"}.`,
        ),
      );
    } else if (!has(ref.file)) {
      missing.push(ref.file);
      list.push(
        finding(
          "REMOTE_CODE_MISSING",
          "unscannable",
          `${ref.key} = "${ref.reference}" needs ${ref.file}, which is not among the scanned files: the loader would read or fetch code this scan never saw.`,
          { evidence: { file: ref.file } },
        ),
      );
    } else {
      enqueue(ref.file, `${ref.config} ${ref.key}`);
      if (ref.className) loaded.set(ref.file, [...(loaded.get(ref.file) ?? []), ref.className]);
    }
  }

  for (let i = 0; i < order.length; i++) {
    const { path } = order[i] as { path: string; reason: string };
    if (i >= MAX_REMOTE_FILES) {
      const first = configFindings.values().next().value as Finding[];
      first.push(
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `Remote code imports more than ${MAX_REMOTE_FILES} files; the rest were not analysed.`,
        ),
      );
      order.length = MAX_REMOTE_FILES;
      break;
    }
    const source = files.get(path) as ByteSource;
    const own: Finding[] = [];
    let node: ScanNode;
    const limit = policy.python.rules.limits.maxSourceBytes;
    if (source.size > limit) {
      node = makeNode({
        path,
        format: "python",
        size: source.size,
        findings: [
          ...own,
          finding(
            "BUDGET_EXCEEDED",
            "unscannable",
            `Python source of ${source.size} bytes is over the ${limit}-byte limit: not analysed.`,
          ),
        ],
      });
      result.files.set(path, node);
      continue;
    }
    let analysis: Awaited<ReturnType<typeof analyzePythonSource>>;
    try {
      analysis = await analyzePythonSource(readAll(source), policy.python, {
        loadedClasses: loaded.get(path) ?? [],
      });
    } catch (error) {
      // Fail closed per file (e.g. the grammar could not be loaded): never a clean node.
      const message = error instanceof Error ? error.message : String(error);
      result.files.set(
        path,
        makeNode({
          path,
          format: "python",
          size: source.size,
          findings: [
            ...own,
            finding("UNSCANNABLE", "unscannable", `Could not analyse: ${message}`),
          ],
        }),
      );
      continue;
    }
    for (const imp of analysis.relativeImports) {
      const resolved = resolveRelative(path, imp, has);
      const spelled = `from ${".".repeat(imp.level)}${imp.module} import ${imp.names.join(", ") || "*"}`;
      if (resolved.escapes) {
        own.push(
          finding(
            "REMOTE_CODE_MISSING",
            "unscannable",
            `"${spelled}" climbs out of the repository: code this scan cannot see.`,
            { line: imp.line },
          ),
        );
      }
      for (const m of resolved.missing) {
        missing.push(m);
        own.push(
          finding(
            "REMOTE_CODE_MISSING",
            "unscannable",
            `"${spelled}" needs ${m}, which is not among the scanned files.`,
            { line: imp.line, evidence: { file: m } },
          ),
        );
      }
      for (const f of resolved.files) enqueue(f, `imported by ${path} line ${imp.line}`);
    }
    node = makeNode({
      path,
      format: "python",
      size: source.size,
      findings: [...analysis.findings, ...own],
      summary: analysis.summary,
    });
    result.files.set(path, node);
  }

  const summary: RemoteCodeSummary = {
    references: references.map((r) => {
      const out: RemoteCodeSummary["references"][number] = {
        config: r.config,
        key: r.key,
        reference: r.reference,
      };
      if (r.file) out.file = r.file;
      if (r.repo) out.repo = r.repo;
      if (r.problem) out.problem = r.problem;
      return out;
    }),
    files: order
      .filter((o) => result.files.has(o.path))
      .map((o) => {
        const node = result.files.get(o.path) as ScanNode;
        return { path: o.path, verdict: node.verdict, reason: o.reason, does: describe(node) };
      }),
    missing: [...new Set(missing)],
    crossRepo: [...new Set(crossRepo)],
  };

  for (const [config, findings] of configFindings) {
    const mine = references.filter((r) => r.config === config);
    if (mine.length > 0) {
      const names = summary.files.map((f) => f.path);
      findings.unshift(
        finding(
          "REMOTE_CODE",
          "suspicious",
          names.length > 0
            ? `trust_remote_code=True would run ${names.length} Python file(s) from this folder: ${names.join(", ")}.`
            : `Declares custom code (${mine.map((r) => r.reference).join(", ")}) that trust_remote_code=True would run.`,
          { evidence: { files: names, references: mine.map((r) => r.reference) } },
        ),
      );
    }
    const first = result.configs.keys().next();
    result.configs.set(config, {
      findings,
      summary: first.done ? summary : { ...summary, listedWith: first.value },
    });
  }
  return result;
}
