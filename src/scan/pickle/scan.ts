/**
 * The Scanner for format "pickle": walks every pickle in the file (stacked pickles are read one
 * after another, as a loader calling `pickle.load` repeatedly would), evaluates each against the
 * pickle policy, and reports bytes after the last STOP that do not start another pickle.
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { sliceSource } from "../source.js";
import { scanFrameReadings } from "./frames.js";
import { evaluatePickle } from "./rules.js";
import { summarizeContent } from "./summary.js";
import type { PickleStreamResult } from "./types.js";
import { probePickle, walkPickle } from "./walker.js";

/** Stacked pickles read from one file before the rest counts as over budget. */
const MAX_STREAMS = 10_000;
/** Trailing bytes that are only this much whitespace are reported as info. */
const WHITESPACE_TAIL = 16;

function isWhitespace(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09);
}

const JOBLIB_MODULE = "joblib.numpy_pickle";
/** Policy findings a plain reading always keeps, and those it keeps when its stream reached STOP. */
const PLAIN_ALWAYS = new Set(["PICKLE_DANGEROUS_GLOBAL", "PICKLE_DANGEROUS_CALL"]);
const PLAIN_WHEN_COMPLETE = new Set([
  ...PLAIN_ALWAYS,
  "PICKLE_UNKNOWN_GLOBAL",
  "PICKLE_UNSAFE_NAME",
  "PICKLE_EXTENSION",
]);

/**
 * The joblib hook skips the bytes after a NumpyArrayWrapper as array data, as joblib.load does;
 * but pickle.load and torch.load run those same bytes as opcodes. A file that names joblib's
 * wrapper is therefore also read the plain way, and what that reading imports or calls is added.
 * Malformed-stream findings of the plain reading are not kept: real array bytes are not opcodes.
 */
function plainReading(
  source: Parameters<Scanner>[0],
  ctx: Parameters<Scanner>[1],
  already: readonly Finding[],
): Finding[] {
  const seen = new Set(already.map((f) => `${f.code}@${f.offset ?? ""}`));
  const out: Finding[] = [];
  let offset = 0;
  for (let n = 0; n < MAX_STREAMS; n++) {
    const result = walkPickle(source, { offset, budget: ctx.budget, hooks: {} });
    const keep = result.complete ? PLAIN_WHEN_COMPLETE : PLAIN_ALWAYS;
    for (const f of evaluatePickle(result, ctx.policy.pickle)) {
      if (!keep.has(f.code) || seen.has(`${f.code}@${f.offset ?? ""}`)) continue;
      seen.add(`${f.code}@${f.offset ?? ""}`);
      out.push({
        ...f,
        message: `Read as plain pickle.load reads it (no joblib arrays): ${f.message}`,
      });
    }
    if (!result.complete || result.end >= source.size) break;
    offset = result.end;
    if (!probePickle(source, offset, ctx.budget).pickle) break;
  }
  return out;
}

export const scanPickleFile: Scanner = async (source, ctx, detection) => {
  const findings: Finding[] = [];
  const streams: PickleStreamResult[] = [];
  const members: ScanNode[] = [];
  let offset = 0;
  for (;;) {
    const result = walkPickle(source, { offset, budget: ctx.budget });
    streams.push(result);
    findings.push(...result.findings, ...evaluatePickle(result, ctx.policy.pickle));
    if (!result.complete || result.end >= source.size) break;
    offset = result.end;
    if (probePickle(source, offset, ctx.budget).pickle) {
      if (streams.length >= MAX_STREAMS) {
        findings.push(
          finding(
            "BUDGET_EXCEEDED",
            "unscannable",
            `The file holds more than ${MAX_STREAMS} stacked pickles; the rest (from offset ${offset}) was not scanned.`,
            { offset },
          ),
        );
        break;
      }
      continue;
    }
    const tail = source.size - offset;
    if (tail <= WHITESPACE_TAIL && isWhitespace(source.read(offset, tail))) {
      findings.push(
        finding(
          "PICKLE_TRAILING_DATA",
          "clean",
          `${tail} byte(s) of whitespace follow the last pickle's STOP at offset ${offset}.`,
          { offset },
        ),
      );
      break;
    }
    // An unpickler never runs these bytes (they do not parse as a pickle), but other readers may
    // see a different file in them (zip readers look at the end of a file): not something we can
    // vouch for, so it blocks, and the bytes are scanned as a member of their own.
    findings.push(
      finding(
        "PICKLE_TRAILING_DATA",
        "suspicious",
        `${tail} byte(s) after the last pickle's STOP at offset ${offset} are not another pickle; other readers may see a different file there.`,
        { offset },
      ),
    );
    members.push(
      await ctx.scanChild(sliceSource(source, offset, tail), `${ctx.path}#trailing@${offset}`),
    );
    break;
  }

  const persistentIds = streams.reduce((n, s) => n + s.persistentIds.length, 0);
  if (persistentIds > 0) {
    // `pickle.load` refuses persistent ids; a plain pickle file using them is read by some custom
    // loader whose persistent_load we cannot see.
    findings.push(
      finding(
        "PICKLE_PERSISTENT_ID",
        "suspicious",
        `The pickle uses ${persistentIds} persistent id(s), which only a custom loader resolves; modelvet cannot see what that loader does with them.`,
        { offset: 0 },
      ),
    );
  }

  // Frame boundaries the readers disagree on: a blocking finding, and every reading scanned.
  for (const stream of streams) {
    if (stream.frames !== undefined) {
      findings.push(...scanFrameReadings(source, stream, ctx, undefined, findings));
    }
  }

  if (streams.some((st) => st.imports.some((i) => i.module === JOBLIB_MODULE))) {
    findings.push(...plainReading(source, ctx, findings));
  }

  if (detection.also !== undefined && detection.also !== "unknown") {
    // The same bytes are also text, JSON… to other readers: scanned that way too (worst wins).
    // Imported lazily: the registry imports this module.
    const { SCANNERS } = await import("../registry.js");
    members.push(
      await SCANNERS[detection.also](
        source,
        { ...ctx, path: `${ctx.path}#as-${detection.also}` },
        { format: detection.also },
      ),
    );
  }

  const imports = [
    ...new Set(streams.flatMap((s) => s.imports.map((i) => `${i.module}.${i.name}`))),
  ];
  const summary: Record<string, unknown> = {
    pickles: streams.length,
    protocols: [...new Set(streams.map((s) => s.protocol))],
    imports: imports.slice(0, 200),
    calls: streams.reduce((n, s) => n + s.calls.length, 0),
    opcodes: streams.reduce((n, s) => n + s.opcodes, 0),
  };
  if (detection.detail !== undefined) summary.detected = detection.detail;
  if (detection.also !== undefined) summary.alsoRead = detection.also;
  const first = streams[0];
  if (findings.every((f) => f.verdict === "clean") && streams.length === 1 && first?.complete) {
    const content = summarizeContent(source, first.end);
    if (content !== undefined) summary.content = content;
  }
  return makeNode({
    path: ctx.path,
    format: "pickle",
    size: source.size,
    findings,
    summary,
    ...(members.length > 0 ? { members } : {}),
  });
};
