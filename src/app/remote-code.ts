/**
 * Runs the trust_remote_code folder pass (scan/folder.ts) for every folder in the scan that has a
 * config file at its top, and folds its results into the per-file nodes: config files get the
 * REMOTE_CODE* findings and `summary.remoteCode`; each Python file the loader would import gets
 * the Python analysis, even when its bytes were sniffed as plain text.
 */
import { basename, dirname, relative, sep } from "node:path";
import { AUTO_MAP_CONFIGS } from "../core/auto-map.js";
import { makeNode, type ScanNode } from "../core/report.js";
import { openFileSource, type WalkEntry } from "../io/files.js";
import { analyzeRepoFolder, type FolderAnalysis } from "../scan/folder.js";
import type { ScanPolicy } from "../scan/policy.js";
import type { ByteSource } from "../scan/source.js";

const CONFIGS = new Set(AUTO_MAP_CONFIGS);

function merge(existing: ScanNode | undefined, added: ScanNode): ScanNode {
  if (!existing || existing.format === "python")
    return { ...added, path: existing?.path ?? added.path };
  // The sniffer called it something else (text, or even a pickle): keep both readings.
  return makeNode({
    path: existing.path,
    format: existing.format,
    findings: [...existing.findings, ...added.findings],
    ...(existing.size !== undefined ? { size: existing.size } : {}),
    ...(existing.members !== undefined ? { members: existing.members } : {}),
    ...(added.summary !== undefined ? { summary: { ...existing.summary, ...added.summary } } : {}),
  });
}

/** Returns `nodes` (in the same order) with the remote-code analysis of each model folder applied. */
export async function applyRemoteCodeAnalysis(
  entries: readonly WalkEntry[],
  nodes: readonly ScanNode[],
  policy: ScanPolicy,
): Promise<ScanNode[]> {
  const files = entries.filter((e): e is Extract<WalkEntry, { kind: "file" }> => e.kind === "file");
  const roots = [
    ...new Set(files.filter((e) => CONFIGS.has(basename(e.path))).map((e) => dirname(e.path))),
  ].sort();
  const out = [...nodes];
  const indexOf = new Map(out.map((n, i) => [n.path, i]));
  for (const root of roots) {
    const inRoot = new Map<string, { display: string; absolute: string }>();
    for (const e of files) {
      const rel = relative(root, e.path).split(sep).join("/");
      if (rel.startsWith("../") || rel === "") continue;
      if (rel.endsWith(".py") || CONFIGS.has(rel))
        inRoot.set(rel, { display: e.path, absolute: e.absolute });
    }
    const opened: (ByteSource & { close(): void })[] = [];
    const sources = new Map<string, ByteSource>();
    try {
      for (const [rel, file] of inRoot) {
        const source = openFileSource(file.absolute);
        opened.push(source);
        sources.set(rel, source);
      }
      const analysis = await analyzeRepoFolder(sources, policy);
      const byRel = new Map<string, ScanNode>();
      for (const [rel, file] of inRoot) {
        const i = indexOf.get(file.display);
        if (i !== undefined && out[i]) byRel.set(rel, out[i]);
      }
      for (const [rel, node] of foldFolderAnalysis(byRel, analysis)) {
        const display = inRoot.get(rel)?.display;
        const i = display === undefined ? undefined : indexOf.get(display);
        if (i !== undefined) out[i] = { ...node, path: display as string };
      }
    } finally {
      for (const s of opened) s.close();
    }
  }
  return out;
}

/**
 * Folds a folder analysis into the scanned nodes of that folder, keyed by repo-relative path:
 * Python files the loader would import get their analysis; config files that name remote code
 * get the REMOTE_CODE* findings and `summary.remoteCode`. Returns only the nodes that changed.
 * Pure; shared by `scan` (files on disk) and `pull` (verified blobs).
 */
export function foldFolderAnalysis(
  nodes: ReadonlyMap<string, ScanNode>,
  analysis: FolderAnalysis,
): Map<string, ScanNode> {
  const changed = new Map<string, ScanNode>();
  for (const [rel, node] of analysis.files) {
    const existing = nodes.get(rel);
    changed.set(rel, merge(existing, { ...node, path: existing?.path ?? rel }));
  }
  for (const [rel, { findings, summary }] of analysis.configs) {
    const node = changed.get(rel) ?? nodes.get(rel);
    if (!node) continue;
    changed.set(
      rel,
      makeNode({
        ...node,
        findings: [...node.findings, ...findings],
        summary: { ...node.summary, remoteCode: summary },
      }),
    );
  }
  return changed;
}
