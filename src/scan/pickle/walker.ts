/**
 * The pickle interpreter: walks one pickle stream opcode by opcode with a symbolic stack, a mark
 * stack and a memo, the way CPython's `_pickle.c` unpickler does, and records every import and
 * every call. Nothing is executed and nothing large is held: constants are skipped by offset, the
 * source is read through a 1 MiB window, and every structure is bounded by the Budget.
 *
 * Errors never escape: a truncated, invalid or over-budget stream stops the walk with a finding,
 * and everything recorded before it is kept (a payload can run before the stream breaks).
 *
 * The interpreter is one object built in layers, each in its own file: reader.ts (the window over
 * the source, opcode arguments, halting), stack.ts (stack, marks; memo.ts holds the memo),
 * records.ts (imports, calls, persistent ids), constants.ts (str/bytes/int constants and pickles
 * nested in them), object-opcodes.ts (imports, calls, protocol-0 text and rare opcodes, BUILD
 * and loader hooks), data-opcodes.ts (the dispatch loop for the hot data opcodes), and this file
 * (the entry points: walk, probe, probe for imports).
 */
import { type Finding, finding } from "../../core/finding.js";
import type { Budget } from "../budget.js";
import type { ByteSource } from "../source.js";
import { SNIFF_PREFIX } from "./constants.js";
import { DataOpcodeLoop } from "./data-opcodes.js";
import { Halt, type HaltKind } from "./halt.js";
import { joblibHooks } from "./joblib.js";
import { opcodeName } from "./opcodes.js";
import type { WalkConfig } from "./reader.js";
import type { FrameReading, PickleHooks, PickleStreamResult } from "./types.js";
import { PICKLE_FIRST } from "./values.js";

export { joblibHooks, SNIFF_PREFIX };

export interface WalkPickleOptions {
  /** How FRAMEs are read (default: linear, recording where the pure-Python reader stops). */
  frames?: FrameReading;
  /** Where the stream starts (default 0). */
  offset?: number;
  /** Where readable bytes end (default source.size). */
  limit?: number;
  budget: Budget;
  /** Loader hooks; default `joblibHooks` (joblib's inline arrays). Pass `{}` for a plain `pickle.load`. */
  hooks?: PickleHooks;
}

/** Walks one pickle stream from `options.offset`. Never throws on hostile input. */
export function walkPickle(source: ByteSource, options: WalkPickleOptions): PickleStreamResult {
  const start = options.offset ?? 0;
  return runWalk(
    {
      source,
      limit: Math.min(options.limit ?? source.size, source.size),
      budget: options.budget,
      hooks: options.hooks ?? joblibHooks,
      depth: 0,
      sniff: false,
      maxOpcodes: options.budget.limits.maxPickleOpcodes,
      ...(options.frames === undefined ? {} : { frames: options.frames }),
    },
    start,
  );
}

export interface ProbeResult {
  /** Bytes parse as the start of a pickle (or a whole one). */
  pickle: boolean;
  protocol: number;
  complete: boolean;
  opcodes: number;
}

/**
 * Does the data at `start` parse as a pickle? Walks at most SNIFF_PREFIX bytes. It is a pickle
 * when the walk reaches STOP; or runs off the end of the window after a PROTO header or at least
 * four opcodes; or breaks (invalid opcode, underflow, missing memo key) after four opcodes that
 * include an import — a payload may already have run. Unless `strict`, a stream that starts with a
 * valid PROTO is a pickle however it continues (top-level detection: it is then scanned, and its
 * breakage reported). Nested constants use `strict`, so random data starting 0x80 0x02 is not one.
 */
export function probePickle(
  source: ByteSource,
  start: number,
  budget: Budget,
  end = source.size,
  strict = false,
): ProbeResult {
  const limit = Math.min(end, start + SNIFF_PREFIX, source.size);
  const first = start < limit ? source.read(start, 1)[0] : undefined;
  if (first === undefined || !PICKLE_FIRST[first])
    return { pickle: false, protocol: 0, complete: false, opcodes: 0 };
  const walker = new Walker(
    {
      source,
      limit,
      budget,
      hooks: joblibHooks,
      depth: 0,
      sniff: true,
      maxOpcodes: SNIFF_PREFIX + 1,
    },
    start,
  );
  let outcome: HaltKind | "stop" = "stop";
  try {
    walker.run();
  } catch (error) {
    if (!(error instanceof Halt)) throw error;
    outcome = error.kind;
  } finally {
    walker.release();
  }
  const r = walker.result;
  const completed = outcome === "stop" ? r.opcodes : r.opcodes - 1;
  let pickle = false;
  if (outcome === "stop") pickle = r.opcodes >= 2;
  else if (outcome === "eof") pickle = walker.sawProtoFirst || completed >= 4;
  // A stream that imports something and then breaks still ran its payload (C8, P3).
  else pickle = (completed >= 4 && walker.sniffImports > 0) || (walker.sawProtoFirst && !strict);
  return { pickle, protocol: r.protocol, complete: outcome === "stop", opcodes: r.opcodes };
}

export interface ImportProbe {
  /** Imports of Python dotted names (or EXT codes) the reading reached before it broke. */
  imports: number;
  /** The reading ran out of opcodes (`maxOpcodes`) without breaking: undecided. */
  undecided: boolean;
  protocol: number;
}

/**
 * Reads the source from offset 0 as `pickle.load` would, as far as it goes (to the end of the
 * source, at most `maxOpcodes` opcodes), counting the imports it reaches before it breaks. Used by
 * detection to decide whether bytes that also look like text, JSON or another format have a pickle
 * reading that matters: one that imports something.
 */
export function probePickleImports(
  source: ByteSource,
  budget: Budget,
  maxOpcodes: number,
): ImportProbe {
  const first = source.size > 0 ? source.read(0, 1)[0] : undefined;
  if (first === undefined || !PICKLE_FIRST[first])
    return { imports: 0, undecided: false, protocol: 0 };
  const walker = new Walker(
    { source, limit: source.size, budget, hooks: {}, depth: 0, sniff: true, maxOpcodes },
    0,
  );
  // Frames are tracked here too: where readers part ways, the reading that imports may not be
  // this linear one, so such bytes count as a pickle (undecided).
  walker.trackFrames = true;
  let undecided = false;
  try {
    walker.run();
  } catch (error) {
    if (!(error instanceof Halt)) throw error;
    undecided = error.kind === "budget";
  } finally {
    walker.release();
  }
  undecided ||= walker.frameEvents.length > 0;
  return {
    imports: walker.sniffNamedImports,
    undecided: undecided && walker.sniffNamedImports === 0,
    protocol: walker.result.protocol,
  };
}

function runWalk(cfg: WalkConfig, start: number): PickleStreamResult {
  const walker = new Walker(cfg, start);
  try {
    walker.run();
  } catch (error) {
    const stopped = stopFinding(walker, error);
    if (stopped) walker.result.findings.push(stopped);
    walker.result.end = Math.min(walker.pos, cfg.limit);
  } finally {
    walker.release();
  }
  walker.finishAttributeGets();
  if (walker.frameEvents.length > 0 || walker.frameChoices.length > 0) {
    walker.result.frames = {
      events: walker.frameEvents,
      choices: walker.frameChoices,
      drops: walker.frameDrops,
    };
  }
  return walker.result;
}

/** The finding a walk that stopped early ends with (none for a nested pickle's clean stop). */
function stopFinding(walker: Walker, error: unknown): Finding | undefined {
  if (!(error instanceof Halt)) {
    // A bug in the walker must still fail closed, with what was found so far.
    return finding(
      "PICKLE_MALFORMED",
      "unscannable",
      `The pickle walker failed unexpectedly: ${String(error)}.`,
      { offset: walker.opStart },
    );
  }
  switch (error.kind) {
    case "budget":
      return finding("BUDGET_EXCEEDED", "unscannable", error.message, { offset: error.offset });
    case "malformed":
      return finding(
        "PICKLE_MALFORMED",
        "unscannable",
        `The pickle is malformed at offset ${error.offset} (${opcodeName(walker.opcodeAt(error.offset))}): ${error.message}.`,
        { offset: error.offset },
      );
    case "eof":
      return finding("PICKLE_MALFORMED", "unscannable", error.message, { offset: error.offset });
    default:
      return undefined;
  }
}

/** The interpreter, whole: nested pickles are probed and walked by the entry points above. */
class Walker extends DataOpcodeLoop {
  protected probeNested(source: ByteSource, start: number, end: number): boolean {
    return probePickle(source, start, this.cfg.budget, end, true).pickle;
  }

  protected walkNested(cfg: WalkConfig, start: number): PickleStreamResult {
    return runWalk(cfg, start);
  }
}
