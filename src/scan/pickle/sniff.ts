/**
 * Does a byte prefix look like a pickle stream? Used by format detection (detect.ts). Protocol 2+
 * streams start with PROTO; protocol 0/1 streams have no header, so the prefix is walked with the
 * real interpreter: it is a pickle when the walk reaches STOP, or the end of the prefix, without an
 * invalid opcode, stack underflow or missing memo key, after a PROTO header or at least four
 * opcodes. Text, JSON and Python source fail within their first few bytes.
 */
import { Budget } from "../budget.js";
import { type ByteSource, bytesSource } from "../source.js";
import { probePickle, probePickleImports } from "./walker.js";

const SNIFF_BUDGET = new Budget();

export function sniffPickle(prefix: Uint8Array): { protocol: number } | undefined {
  if (prefix.length === 0) return undefined;
  const probe = probePickle(bytesSource(prefix), 0, SNIFF_BUDGET);
  return probe.pickle ? { protocol: probe.protocol } : undefined;
}

/** Opcodes the import probe runs before it calls a reading that is still going "undecided". */
const IMPORT_PROBE_OPCODES = 1_000_000;

/**
 * Does `pickle.load` (or torch.load's legacy path, joblib.load, numpy.load with allow_pickle) reach
 * an import when it reads these bytes? Bytes detected as text, JSON, Python or another format may
 * still be a pickle to a loader: protocol 0 is printable, and no loader needs a PROTO header. The
 * whole source is read (not just the sniff window: a long first line cannot hide what follows).
 * A reading still going after IMPORT_PROBE_OPCODES opcodes counts as a pickle (fail closed).
 */
export function pickleReadingImports(source: ByteSource): { protocol: number } | undefined {
  const probe = probePickleImports(source, new Budget(), IMPORT_PROBE_OPCODES);
  return probe.imports > 0 || probe.undecided ? { protocol: probe.protocol } : undefined;
}
