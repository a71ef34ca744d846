/**
 * The pickle engine's public API. Other scanners import from here only.
 *
 * - `walkPickle(source, { offset, limit, budget, hooks })` walks ONE pickle stream from `offset`
 *   like CPython's unpickler and returns what it would import and call. It never throws on hostile
 *   input: problems are findings in `result.findings`, and everything found before them is kept.
 *   Call it again at `result.end` for stacked pickles (`result.complete` says STOP was reached).
 *   `hooks` defaults to `joblibHooks` (joblib's inline arrays are skipped as joblib reads them);
 *   pass `{}` for a loader that is plain `pickle.load`.
 * - `evaluatePickle(result, policy)` turns imports and calls into policy findings, recursing into
 *   nested pickles (whose structural findings it also returns). A caller wants
 *   `[...result.findings, ...evaluatePickle(result, policy)]`.
 * - `sniffPickle(prefix)` decides whether bytes start a pickle (a real walk of the prefix).
 * - `scanFrameReadings(source, result, ctx, hooks, already)`: when `result.frames` is set, the
 *   readers disagree on its FRAMEs: PICKLE_READER_DISAGREEMENT plus what the other readings import.
 * - `scanPickleFile` is the Scanner for format "pickle" (all stacked pickles, trailing data,
 *   persistent ids flagged as PICKLE_PERSISTENT_ID, summary).
 */
export { scanFrameReadings } from "./frames.js";
export { evaluatePickle } from "./rules.js";
export { scanPickleFile } from "./scan.js";
export { sniffPickle } from "./sniff.js";
export type {
  NestedPickle,
  PickleBuildEvent,
  PickleCall,
  PickleHookIO,
  PickleHooks,
  PickleImport,
  PickleStreamResult,
  PickleValue,
} from "./types.js";
export { joblibHooks, type WalkPickleOptions, walkPickle } from "./walker.js";
