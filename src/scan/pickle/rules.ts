import type { Finding } from "../../core/finding.js";
import type { PicklePolicy } from "./policy.js";
import type { PickleStreamResult } from "./types.js";

/** TEMPORARY signature-only commit so other engineers can code against the API; the rules land next. */
export function evaluatePickle(_result: PickleStreamResult, _policy: PicklePolicy): Finding[] {
  throw new Error("evaluatePickle: not implemented yet");
}
