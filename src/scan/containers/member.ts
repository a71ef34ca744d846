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
  scanFrameReadings,
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

/** Stacked pickles followed in one member before the rest counts as over budget. */
const MAX_STREAMS = 1000;

function isWhitespace(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09);
}

/** Every stacked pickle in `source`, walked as a plain `pickle.load` (no loader hooks), evaluated. */
function walkPlainStreams(
  ctx: ScanContext,
  source: ByteSource,
): { findings: Finding[]; streams: PickleStreamResult[] } {
  const findings: Finding[] = [];
  const streams: PickleStreamResult[] = [];
  let offset = 0;
  while (offset < source.size) {
    if (streams.length >= MAX_STREAMS) {
      findings.push(
        finding("BUDGET_EXCEEDED", "unscannable", `More than ${MAX_STREAMS} stacked pickles.`, {
          offset,
        }),
      );
      break;
    }
    const r = walkPickle(source, { offset, budget: ctx.budget, hooks: {} });
    const tail = source.size - offset;
    const pickleLike =
      streams.length === 0 || r.complete || r.imports.length > 0 || r.calls.length > 0;
    if (!pickleLike) {
      if (tail > 16 || !isWhitespace(source.read(offset, tail))) {
        findings.push(
          finding(
            "PICKLE_TRAILING_DATA",
            "suspicious",
            `${tail} byte(s) after the pickle's STOP at offset ${offset} are not another pickle; the loader stops before them.`,
            { offset },
          ),
        );
      }
      break;
    }
    streams.push(r);
    findings.push(...r.findings, ...evaluatePickle(r, ctx.policy.pickle));
    // torch.load reads data.pkl from an io.BytesIO: frames are read the read() way there.
    if (r.frames !== undefined) findings.push(...scanFrameReadings(source, r, ctx, {}, findings));
    if (!r.complete || r.end <= offset) break;
    offset = r.end;
  }
  return { findings, streams };
}

/**
 * Scans bytes that a loader hands to a plain `pickle.load` (torch.load's data.pkl, numpy object
 * arrays, the legacy stacks' members…), whatever the bytes look like: straight to the pickle
 * engine, without format detection, inside the same fail-closed boundary as the dispatcher.
 *
 * The walk uses NO loader hooks: the pickle scanner's default (joblib's inline arrays, which skip
 * the bytes after a NumpyArrayWrapper BUILD as array data) would let a payload hide in those
 * bytes, which a plain `pickle.load` executes as opcodes. Persistent ids go to `checkIds` when the
 * loader's `persistent_load` is known; otherwise they are reported as only a custom loader would
 * resolve them.
 */
export async function scanPlainPickle(
  ctx: ScanContext,
  source: ByteSource,
  name: string,
  checkIds?: (ids: readonly unknown[]) => Finding[],
): Promise<{ node: ScanNode; ids: readonly unknown[] }> {
  if (ctx.depth + 1 > ctx.budget.limits.maxDepth) {
    const node = leafNode(name, "pickle", source.size, [
      finding(
        "BUDGET_EXCEEDED",
        "unscannable",
        `Containers are nested more than ${ctx.budget.limits.maxDepth} deep; the inner pickle was not scanned.`,
      ),
    ]);
    return { node, ids: [] };
  }
  if (!ctx.budget.chargeMember()) {
    throw new ScanError(
      "SCAN_BUDGET",
      `more than ${ctx.budget.limits.maxMembers} members in one file`,
    );
  }
  try {
    const { findings, streams } = walkPlainStreams(ctx, source);
    const ids = streams.flatMap((s) => s.persistentIds);
    if (ids.length > 0) {
      findings.push(
        ...(checkIds
          ? checkIds(ids)
          : [
              finding(
                "PICKLE_PERSISTENT_ID",
                "suspicious",
                `The pickle uses ${ids.length} persistent id(s), which this loader cannot resolve; modelvet cannot see what a custom loader would do with them.`,
              ),
            ]),
      );
    }
    const imports = [
      ...new Set(streams.flatMap((s) => s.imports.map((i) => `${i.module}.${i.name}`))),
    ];
    const summary = {
      pickles: streams.length,
      imports: imports.slice(0, 200),
      calls: streams.reduce((n, s) => n + s.calls.length, 0),
    };
    return {
      node: makeNode({ path: name, format: "pickle", size: source.size, findings, summary }),
      ids,
    };
  } catch (error) {
    const budgetHit = error instanceof ScanError && error.code === "SCAN_BUDGET";
    const node = leafNode(name, "pickle", source.size, [
      finding(
        budgetHit ? "BUDGET_EXCEEDED" : "UNSCANNABLE",
        "unscannable",
        `Could not finish scanning: ${describeError(error)}`,
      ),
    ]);
    return { node, ids: [] };
  }
}

/** `scanPlainPickle` for loaders without a `persistent_load`. */
export async function scanAsPickle(
  ctx: ScanContext,
  source: ByteSource,
  name: string,
): Promise<ScanNode> {
  return (await scanPlainPickle(ctx, source, name)).node;
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
  const own = [...result.findings, ...evaluatePickle(result, ctx.policy.pickle)];
  if (result.frames !== undefined) own.push(...scanFrameReadings(source, result, ctx, {}, own));
  const findings = own.map((f) => ({
    ...f,
    message: `${label}: ${f.message}`,
  }));
  return { result, findings };
}

/**
 * A pickle read by a loader whose `persistent_load` is known (torch.load's zip and tar formats,
 * TorchScript): its persistent ids are checked by `checkIds`. `scope` may drop findings about
 * names the loader resolves itself (TorchScript); they are listed in the node's summary as
 * `loaderNames`.
 */
export async function scanLoaderPickle(
  ctx: ScanContext,
  source: ByteSource,
  name: string,
  checkIds: (ids: readonly unknown[]) => Finding[],
  scope: (f: Finding) => string | undefined = () => undefined,
): Promise<{ node: ScanNode; ids: readonly unknown[] }> {
  const { node, ids } = await scanPlainPickle(ctx, source, name, checkIds);
  const loaderNames = new Set<string>();
  const findings = node.findings.filter((f) => {
    const resolved = scope(f);
    if (resolved !== undefined) loaderNames.add(resolved);
    return resolved === undefined;
  });
  if (loaderNames.size === 0) return { node, ids };
  const { verdict: _verdict, ...rest } = node;
  const summary = { ...(node.summary ?? {}), loaderNames: [...loaderNames].slice(0, 50) };
  return { node: makeNode({ ...rest, findings, summary }), ids };
}

const ALWAYS = new Set(["PICKLE_DANGEROUS_GLOBAL", "PICKLE_DANGEROUS_CALL"]);
const WHEN_COMPLETE = new Set([
  ...ALWAYS,
  "PICKLE_UNKNOWN_GLOBAL",
  "PICKLE_UNSAFE_NAME",
  "PICKLE_EXTENSION",
]);

/**
 * Scans a member through the dispatcher (format from its bytes). When it turns out to be a pickle
 * whose loader is not known (a pickle named data.txt in a zip, a gzip-wrapped pickle), it is also
 * walked as a plain `pickle.load` reads it: the pickle scanner's default walk follows joblib's
 * inline arrays, and the bytes joblib reads as array data are opcodes to every other loader.
 * Array bytes of a benign joblib file are junk as opcodes, so only what junk cannot produce is
 * merged: known-dangerous imports and calls always, other policy findings only from a plain
 * stream that reached STOP.
 */
export async function scanChildBothWays(
  ctx: ScanContext,
  source: ByteSource,
  name: string,
): Promise<ScanNode> {
  const node = await ctx.scanChild(source, name);
  if (node.format !== "pickle" || ctx.depth + 1 > ctx.budget.limits.maxDepth) return node;
  let extra: Finding[] = [];
  try {
    for (const stream of walkPlainStreams(ctx, source).streams) {
      const keep = stream.complete ? WHEN_COMPLETE : ALWAYS;
      extra.push(...evaluatePickle(stream, ctx.policy.pickle).filter((f) => keep.has(f.code)));
    }
  } catch (error) {
    extra = [
      finding(
        "UNSCANNABLE",
        "unscannable",
        `Could not finish the plain pickle walk: ${describeError(error)}`,
      ),
    ];
  }
  const seen = new Set(node.findings.map((f) => `${f.code}@${f.offset ?? ""}`));
  const added = extra.filter((f) => !seen.has(`${f.code}@${f.offset ?? ""}`));
  if (added.length === 0) return node;
  return withFindings(
    node,
    added.map((f) => ({
      ...f,
      message: `Read as a plain pickle.load reads it (no joblib arrays): ${f.message}`,
    })),
  );
}
