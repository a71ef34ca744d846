/**
 * The differential assertions: what the real readers resolved (the oracle's JSON) against what
 * modelvet's scanner reported for the same bytes. Pure; used by the fuzzer and by the regression
 * test (which reads the oracle output recorded in fixtures/differential/manifest.json).
 */
import type { ScanNode } from "../../src/core/report.js";
import { kerasKey } from "../../src/scan/keras/policy.js";
import { py2Mapped } from "../../src/scan/pickle/compat.js";
import { globalKey, type PicklePolicy } from "../../src/scan/pickle/policy.js";

export type Pair = [string, string];

/** One reader's record in the oracle output (tools/oracle/oracle.py). */
export interface ReaderRecord {
  globals?: Pair[];
  error?: string | null;
  [key: string]: unknown;
}

export interface OracleRecord {
  readers: Record<string, ReaderRecord | unknown>;
  globals: Pair[];
  oracle_error?: string;
  /** Milliseconds the oracle spent on the case. */
  ms?: number;
}

export interface Disagreement {
  /** Dedup key: what went wrong, the verdict class and which readers saw the global. */
  kind: string;
  global?: Pair;
  readers?: string[];
  verdict: string;
  detail: string;
}

/** Every (module, name) modelvet names in a finding, in the node and its members. */
export function reportedGlobals(node: ScanNode, into = new Set<string>()): Set<string> {
  for (const f of node.findings) if (f.global) into.add(globalKey(f.global.module, f.global.name));
  const imports = node.summary?.imports;
  if (Array.isArray(imports)) for (const i of imports) if (typeof i === "string") into.add(i);
  for (const m of node.members ?? []) reportedGlobals(m, into);
  return into;
}

/** Allowed by the policy, as written or as the loader maps it below protocol 3. */
export function allowed(policy: PicklePolicy, [module, name]: Pair): boolean {
  if (policy.safe.has(globalKey(module, name))) return true;
  const mapped = py2Mapped(module, name);
  return policy.safe.has(globalKey(mapped.module, mapped.name));
}

function readersOf(oracle: OracleRecord, pair: Pair): string[] {
  const out: string[] = [];
  for (const [reader, record] of Object.entries(oracle.readers)) {
    const globals = (record as ReaderRecord | undefined)?.globals;
    if (Array.isArray(globals) && globals.some((g) => g[0] === pair[0] && g[1] === pair[1]))
      out.push(reader);
  }
  return out.sort();
}

/** The disagreements between one oracle record and one scan report. */
export function compare(
  oracle: OracleRecord,
  node: ScanNode,
  policy: PicklePolicy,
  format = node.format,
): Disagreement[] {
  const out: Disagreement[] = [];
  const reported = reportedGlobals(node);
  const verdictClass = node.verdict === "clean" ? "clean" : "blocked";
  for (const pair of oracle.globals) {
    const key = globalKey(pair[0], pair[1]);
    const dotted = `${pair[0]}.${pair[1]}`;
    if (reported.has(key)) continue;
    if (allowed(policy, pair)) {
      // Safe imports carry no finding; they must still be in the summary's import list when
      // modelvet read that stream at all. A missing one means modelvet read different bytes.
      if (reported.has(dotted) || node.verdict !== "clean") continue;
      const readers = readersOf(oracle, pair);
      out.push({
        kind: `unseen-safe-global/${readers.join("+")}/${format}`,
        global: pair,
        readers,
        verdict: node.verdict,
        detail: `the readers import ${dotted} (allowlisted) but modelvet's clean report does not list it`,
      });
      continue;
    }
    const readers = readersOf(oracle, pair);
    out.push({
      kind: `missed-global/${verdictClass}/${readers.join("+")}/${format}`,
      global: pair,
      readers,
      verdict: node.verdict,
      detail: `${readers.join(", ")} import ${dotted}; modelvet (${node.verdict}) has no finding naming it`,
    });
  }
  return out;
}

/** The Keras classes h5py found in a file's model_config / training_config (oracle `h5py`). */
function h5pyKerasNames(oracle: OracleRecord): Pair[] {
  const h5 = oracle.readers.h5py as { keras?: unknown } | undefined;
  return Array.isArray(h5?.keras) ? (h5.keras as Pair[]) : [];
}

/**
 * HDF5: when h5py reads a Keras config that names a Lambda layer, or a class the Keras allowlist
 * does not hold, or a config that is not JSON, modelvet must not call the file clean.
 */
export function compareHdf5(
  oracle: OracleRecord,
  node: ScanNode,
  keras: { allowed: ReadonlySet<string>; legacyNames: ReadonlySet<string> },
): Disagreement[] {
  if (node.verdict !== "clean") return [];
  for (const [module, name] of h5pyKerasNames(oracle)) {
    const why =
      module === "<invalid json>"
        ? "a model_config h5py reads but cannot parse"
        : name === "Lambda"
          ? "a Lambda layer"
          : module === ""
            ? keras.legacyNames.has(name)
              ? undefined
              : `the unknown bare class ${name}`
            : keras.allowed.has(kerasKey(module, name))
              ? undefined
              : `the class ${module}.${name}, not on the allowlist`;
    if (why === undefined) continue;
    return [
      {
        kind: `hdf5-missed/${name === "Lambda" ? "lambda" : module === "<invalid json>" ? "invalid-json" : "unknown-class"}`,
        readers: ["h5py"],
        verdict: node.verdict,
        detail: `h5py reads ${why}; modelvet says clean`,
      },
    ];
  }
  return [];
}
