/**
 * Helpers shared by the container scanners: attaching container-level findings to a member's
 * node, scanning a member as a pickle because the loader unpickles it (whatever its bytes look
 * like), and the stacked-pickle walk used by the legacy PyTorch formats.
 */
import { describeError, ScanError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { ScanContext } from "../context.js";
import {
  evaluatePickle,
  type PickleStreamResult,
  scanPickleFile,
  walkPickle,
} from "../pickle/index.js";
import type { ByteSource } from "../source.js";

/** The same node with more findings in front (verdict recomputed). */
export function withFindings(node: ScanNode, extra: readonly Finding[]): ScanNode {
  if (extra.length === 0) return node;
  const { verdict: _verdict, ...rest } = node;
  return makeNode({ ...rest, findings: [...extra, ...node.findings] });
}

/** A member node for bytes that were not handed to any scanner. */
export function leafNode(
  path: string,
  format: string,
  size: number,
  findings: Finding[],
  summary?: Record<string, unknown>,
): ScanNode {
  return makeNode({ path, format, size, findings, ...(summary ? { summary } : {}) });
}

/**
 * Scans a member that the loader hands to `pickle.load` no matter what its bytes look like
 * (data.pkl, constants.pkl, numpy object arrays, joblib payloads…). Goes straight to the pickle
 * scanner instead of format detection, inside the same fail-closed boundary as the dispatcher.
 */
export async function scanAsPickle(
  ctx: ScanContext,
  source: ByteSource,
  name: string,
): Promise<ScanNode> {
  if (ctx.depth + 1 > ctx.budget.limits.maxDepth) {
    return leafNode(name, "pickle", source.size, [
      finding(
        "BUDGET_EXCEEDED",
        "unscannable",
        `Containers are nested more than ${ctx.budget.limits.maxDepth} deep; the inner pickle was not scanned.`,
      ),
    ]);
  }
  if (!ctx.budget.chargeMember()) {
    throw new ScanError(
      "SCAN_BUDGET",
      `more than ${ctx.budget.limits.maxMembers} members in one file`,
    );
  }
  const childCtx: ScanContext = { ...ctx, path: name, depth: ctx.depth + 1 };
  try {
    return await scanPickleFile(source, childCtx, { format: "pickle" });
  } catch (error) {
    const budgetHit = error instanceof ScanError && error.code === "SCAN_BUDGET";
    return leafNode(name, "pickle", source.size, [
      finding(
        budgetHit ? "BUDGET_EXCEEDED" : "UNSCANNABLE",
        "unscannable",
        `Could not finish scanning: ${describeError(error)}`,
      ),
    ]);
  }
}

export interface StackedPickle {
  result: PickleStreamResult;
  findings: Finding[];
}

/**
 * Walks one pickle of a stack at `offset` (as one `pickle.load(f)` call would) and evaluates it.
 * The caller continues at `result.end` when `result.complete`.
 */
export function walkStacked(
  source: ByteSource,
  ctx: ScanContext,
  offset: number,
  label: string,
): StackedPickle {
  const result = walkPickle(source, { offset, budget: ctx.budget, hooks: {} });
  const findings = [...result.findings, ...evaluatePickle(result, ctx.policy.pickle)].map((f) => ({
    ...f,
    message: `${label}: ${f.message}`,
  }));
  return { result, findings };
}

/**
 * A pickle read by a loader whose `persistent_load` is known (torch.load's zip and tar formats,
 * TorchScript). The pickle scanner flags persistent ids as "resolved by an unknown loader"; here
 * the loader is known, so that finding is replaced by `checkIds`' verdict on each id. `scope` may
 * drop findings about names the loader resolves itself (TorchScript); they are listed in the
 * node's summary as `loaderNames`.
 */
export async function scanLoaderPickle(
  ctx: ScanContext,
  source: ByteSource,
  name: string,
  checkIds: (ids: readonly unknown[]) => Finding[],
  scope: (f: Finding) => string | undefined = () => undefined,
): Promise<{ node: ScanNode; ids: readonly unknown[] }> {
  const node = await scanAsPickle(ctx, source, name);
  const loaderNames = new Set<string>();
  let findings = node.findings.filter((f) => {
    const resolved = scope(f);
    if (resolved !== undefined) loaderNames.add(resolved);
    return resolved === undefined;
  });
  let ids: readonly unknown[] = [];
  if (findings.some((f) => f.code === "PICKLE_PERSISTENT_ID")) {
    ids = walkPickle(source, { offset: 0, budget: ctx.budget, hooks: {} }).persistentIds;
    findings = [...findings.filter((f) => f.code !== "PICKLE_PERSISTENT_ID"), ...checkIds(ids)];
  }
  const { verdict: _verdict, ...rest } = node;
  const summary =
    loaderNames.size > 0
      ? { ...(node.summary ?? {}), loaderNames: [...loaderNames].slice(0, 50) }
      : node.summary;
  return { node: makeNode({ ...rest, findings, ...(summary ? { summary } : {}) }), ids };
}
