/**
 * Does a byte prefix look like a pickle stream? Used by format detection (detect.ts). Protocol 2+
 * streams start with PROTO; protocol 0/1 streams have no header, so the prefix is walked with the
 * real interpreter: it is a pickle when the walk reaches STOP, or the end of the prefix, without an
 * invalid opcode, stack underflow or missing memo key, after a PROTO header or at least four
 * opcodes. Text, JSON and Python source fail within their first few bytes.
 */
import { Budget } from "../budget.js";
import { bytesSource } from "../source.js";
import { probePickle } from "./walker.js";

const SNIFF_BUDGET = new Budget();

export function sniffPickle(prefix: Uint8Array): { protocol: number } | undefined {
  if (prefix.length === 0) return undefined;
  const probe = probePickle(bytesSource(prefix), 0, SNIFF_BUDGET);
  return probe.pickle ? { protocol: probe.protocol } : undefined;
}
