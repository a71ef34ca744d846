/**
 * The pickle engine's public API. Other scanners import from here only.
 *
 * - `walkPickle(source, { offset, budget, hooks })` walks ONE pickle stream from `offset` like
 *   CPython's unpickler and returns what it would import and call. It never throws on hostile
 *   input: problems are findings in the result. Call it again at `result.end` for stacked pickles.
 * - `evaluatePickle(result, policy)` turns imports/calls (recursing into nested pickles) into
 *   policy findings. Structural findings stay in `result.findings`; callers usually want both.
 * - `sniffPickle(prefix)` decides whether bytes start a pickle (a real walk of the prefix).
 * - `scanPickleFile` is the Scanner for format "pickle".
 */
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
