/**
 * How verified files of one model are scanned and judged, shared by `pull` (and `ci --download`,
 * which pulls) and `ci --offline` (which re-reads the cache), so the two can never decide
 * differently about the same bytes:
 *
 * 1. each file on its own (`scanBlob`);
 * 2. what needs the whole repo (`scanRepoLevel`): the trust_remote_code pass over config files and
 *    the Python modules they make the loader import, and raw tensor data named by ONNX or
 *    SavedModel files;
 * 3. the project's accepted findings for that exact digest (`withAccepted`).
 */
import { AUTO_MAP_CONFIGS } from "../core/auto-map.js";
import { type AcceptedFinding, applyAcceptedFindings } from "../core/project.js";
import { makeNode, type ScanNode } from "../core/report.js";
import { openFileSource } from "../io/files.js";
import { applyCompanionData } from "../scan/companions.js";
import { analyzeRepoFolder } from "../scan/folder.js";
import type { ScanPolicy } from "../scan/policy.js";
import type { ByteSource } from "../scan/source.js";
import { foldFolderAnalysis } from "./remote-code.js";
import { scanFileTask } from "./scan-worker-task.js";

/** One verified blob on its own, reported under its repo path. Throws if it cannot be opened. */
export function scanBlob(
  blobPath: string,
  displayPath: string,
  policy: ScanPolicy,
): Promise<ScanNode> {
  return scanFileTask({ path: displayPath, absolute: blobPath }, policy);
}

/** One file of a model: its repo path, its verified blob (absent when it did not verify), its scan. */
export interface ScannedRepoFile {
  path: string;
  blobPath: string | undefined;
  scan: ScanNode;
}

/**
 * The repo-level pass over a model's files. Returns one node per input, in the same order; files
 * that did not verify keep their own node and are never read.
 */
export async function scanRepoLevel(
  files: readonly ScannedRepoFile[],
  policy: ScanPolicy,
): Promise<ScanNode[]> {
  const sources = new Map<string, ByteSource & { close(): void }>();
  try {
    for (const f of files) {
      if (f.blobPath !== undefined && (f.path.endsWith(".py") || AUTO_MAP_CONFIGS.includes(f.path)))
        sources.set(f.path, openFileSource(f.blobPath));
    }
    const byPath = new Map(files.map((f) => [f.path, f.scan]));
    const changed =
      sources.size === 0
        ? new Map<string, ScanNode>()
        : foldFolderAnalysis(byPath, await analyzeRepoFolder(sources, policy));
    return applyCompanionData(
      files.map((f) => (f.blobPath !== undefined ? (changed.get(f.path) ?? f.scan) : f.scan)),
    );
  } finally {
    for (const s of sources.values()) s.close();
  }
}

export interface Acceptance {
  model: string;
  accepted: readonly AcceptedFinding[];
  /** YYYY-MM-DD, for expiring exceptions. */
  today: string;
}

/** The node with the project's accepted findings for these exact bytes applied, members included. */
export function withAccepted(node: ScanNode, sha256: string, acceptance: Acceptance): ScanNode {
  const accept = (n: ScanNode, path: string): ScanNode => {
    const members = n.members?.map((m) => accept(m, path));
    return makeNode({
      ...n,
      findings: applyAcceptedFindings({
        model: acceptance.model,
        path,
        sha256,
        findings: n.findings,
        accepted: acceptance.accepted,
        today: acceptance.today,
      }),
      ...(members !== undefined ? { members } : {}),
    });
  };
  return accept(node, node.path);
}
