import type { Budget } from "../budget.js";
import type { ByteSource } from "../source.js";
import type { PickleHooks, PickleStreamResult } from "./types.js";

export interface WalkPickleOptions {
  /** Where the stream starts (default 0). */
  offset?: number;
  /** Where readable bytes end (default source.size). */
  limit?: number;
  budget: Budget;
  /** Loader hooks; default `joblibHooks`. Pass `{}` for a plain `pickle.load`. */
  hooks?: PickleHooks;
}

export const joblibHooks: PickleHooks = {};

/** TEMPORARY signature-only commit so other engineers can code against the API; the walker lands next. */
export function walkPickle(_source: ByteSource, _options: WalkPickleOptions): PickleStreamResult {
  throw new Error("walkPickle: not implemented yet");
}
