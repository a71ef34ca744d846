/**
 * The HDF5 scanner: legacy Keras `.h5` models and plain HDF5 data.
 *
 * tf.keras 2.x `save_model(…, save_format="h5")` stores the architecture as a JSON string in the
 * root attribute `model_config` and the compile settings in `training_config`; `load_model`
 * rebuilds the model from them, which is where Lambda bytecode and foreign classes come alive.
 * Both attributes are read with h5wasm (the HDF5 C library compiled to WebAssembly) and handed to
 * the Keras config walker.
 *
 * A file without `model_config` is plain HDF5 data (h5py and Keras's weight loader only read
 * arrays and strings from it; nothing is deserialized into objects), so it is `clean` with a
 * summary. A `training_config` is scanned whenever present, to stay on the safe side.
 *
 * The reading itself (h5wasm, reads on demand, bounded by `maxInMemoryBytes`) is in hdf5-read.ts;
 * io/ supplies a runner that does it in a worker thread with a deadline (KerasPolicy.readHdf5).
 * Where HDF5's answers disagree (a damaged attribute message hides attributes from its list but
 * not from a lookup by name, or the metadata bytes name a Keras attribute HDF5 does not report),
 * other HDF5 versions (h5py's) may give Keras a config: the file is `unscannable`, never plain
 * data.
 */
import { describeError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import type { ByteSource } from "../source.js";
import { walkKerasConfig } from "./config.js";
import {
  Hdf5BudgetExceeded,
  type Hdf5Contents,
  hdf5Message,
  KERAS_ROOT_ATTRIBUTES,
  MAX_LISTED,
  PROBE_NAME,
  readHdf5Contents,
} from "./hdf5-read.js";
import type { KerasPolicy } from "./policy.js";

export {
  Hdf5BudgetExceeded,
  type Hdf5Contents,
  type Hdf5Reader,
  type Hdf5ReadLimits,
  readHdf5Contents,
} from "./hdf5-read.js";

function parseConfig(text: string, where: string, findings: Finding[]): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    findings.push(
      finding(
        "KERAS_INVALID",
        "unscannable",
        `${where} is not valid JSON: ${describeError(error)}`,
        {
          evidence: { where },
        },
      ),
    );
    return undefined;
  }
}

/**
 * Scans HDF5 contents already read: the Keras part of the verdict. Pure. `where` prefixes the
 * attribute names in messages (empty: just `model_config`, as the node already names the file).
 */
export function scanHdf5Contents(
  contents: Hdf5Contents,
  policy: KerasPolicy,
  where: string,
): { findings: Finding[]; summary: Record<string, unknown> } {
  const findings: Finding[] = [];
  const summary: Record<string, unknown> = {
    keras: contents.modelConfig !== undefined,
    rootAttributes: contents.attributes.slice(0, MAX_LISTED).map((n) => n.slice(0, 100)),
    rootKeys: contents.keys.slice(0, MAX_LISTED).map((n) => n.slice(0, 100)),
  };
  if (contents.kerasVersion !== undefined) summary.kerasVersion = contents.kerasVersion;
  if (contents.backend !== undefined) summary.backend = contents.backend;
  if (contents.modelConfig !== undefined) {
    const label = where === "" ? "model_config" : `${where}:model_config`;
    const config = parseConfig(contents.modelConfig, label, findings);
    if (config !== undefined) {
      const result = walkKerasConfig(config, policy, label);
      findings.push(...result.findings);
      summary.model = result.summary;
    }
  }
  if (contents.trainingConfig !== undefined) {
    const label = where === "" ? "training_config" : `${where}:training_config`;
    const config = parseConfig(contents.trainingConfig, label, findings);
    if (config !== undefined) {
      findings.push(...walkKerasConfig(config, policy, label, undefined, false).findings);
    }
  }
  findings.push(...disagreementFindings(contents, findings, where));
  return { findings, summary };
}

/**
 * Where HDF5's own answers disagree, or the bytes it read name a Keras attribute it does not
 * report: h5py (another HDF5 version, or a lookup by name) may still hand Keras a config, so the
 * file is `unscannable`, never plain data, and `malicious` when a Lambda layer shows in the raw
 * metadata bytes and the config walk did not already report one.
 */
function disagreementFindings(
  contents: Hdf5Contents,
  already: readonly Finding[],
  where: string,
): Finding[] {
  const prefix = where === "" ? "" : `${where}: `;
  const out: Finding[] = [];
  for (const { name, message } of contents.lookupErrors) {
    const what =
      name === PROBE_NAME
        ? "a root attribute message cannot be decoded (looking up an absent name fails)"
        : `looking up root attribute '${name}' fails`;
    out.push(
      finding(
        "UNSCANNABLE",
        "unscannable",
        `${prefix}HDF5 says ${what}: ${message}. Other HDF5 versions read damaged headers differently, so what Keras would load cannot be told.`,
        { evidence: { attribute: name === PROBE_NAME ? null : name } },
      ),
    );
  }
  if (contents.unlisted.length > 0) {
    out.push(
      finding(
        "UNSCANNABLE",
        "unscannable",
        `${prefix}HDF5 lists ${contents.attributes.length} root attributes but opens ${contents.unlisted.join(", ")} by name, as h5py and Keras do: the attribute list is damaged, so this file cannot be called plain data.`,
        {
          evidence: {
            listed: contents.attributes.slice(0, MAX_LISTED),
            unlisted: contents.unlisted,
          },
        },
      ),
    );
  }
  const hidden = (["model_config", "training_config"] as const).filter(
    (name) =>
      contents.rawMarkers.includes(name) &&
      (name === "model_config" ? contents.modelConfig : contents.trainingConfig) === undefined,
  );
  if (hidden.length > 0) {
    out.push(
      finding(
        "UNSCANNABLE",
        "unscannable",
        `${prefix}The file's metadata holds an attribute named ${hidden.join(" and ")}, which HDF5 does not report: another HDF5 version (h5py's) may read it and Keras load it, so this is not plain data.`,
        { evidence: { hidden } },
      ),
    );
  }
  const kerasRoot = contents.attributes.some((n) => KERAS_ROOT_ATTRIBUTES.includes(n));
  const foreign = contents.attributes.filter(
    (n) => !KERAS_ROOT_ATTRIBUTES.includes(n) && !/^layer_names\d*$/.test(n),
  );
  if (kerasRoot && foreign.length > 0) {
    out.push(
      finding(
        "KERAS_INVALID",
        "suspicious",
        `${prefix}Root attributes ${foreign.map((n) => `'${n.slice(0, 40)}'`).join(", ")} sit beside Keras's own: Keras writes no such attribute, and a renamed or damaged one can hide a config from this scan.`,
        { evidence: { foreign: foreign.slice(0, MAX_LISTED).map((n) => n.slice(0, 100)) } },
      ),
    );
  }
  if (contents.rawMarkers.includes("lambda") && !already.some((f) => f.code === "KERAS_LAMBDA")) {
    const damaged = out.some((f) => f.verdict === "unscannable");
    out.push(
      finding(
        "KERAS_LAMBDA",
        damaged ? "malicious" : "suspicious",
        damaged
          ? `${prefix}A Keras Lambda layer is visible in the raw bytes of the file's damaged metadata; a loader that reads it runs its code.`
          : `${prefix}A Keras Lambda layer is visible in the raw bytes of the file's metadata, but not in a config this scan could walk: it may be hidden from this scan and not from every loader.`,
        { evidence: { raw: true } },
      ),
    );
  }
  return out;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Where the HDF5 superblock starts: 0, or after a user block of 512, 1024, 2048 … bytes. The HDF5
 * library (and so h5py and Keras) looks at exactly these offsets, so a file whose first bytes are
 * JSON, text or a pickle can still open as an HDF5 model.
 */
export function findHdf5Signature(source: ByteSource): number | undefined {
  for (
    let offset = 0;
    offset + HDF5_SIGNATURE.length <= source.size;
    offset = offset === 0 ? 512 : offset * 2
  ) {
    const head = source.read(offset, HDF5_SIGNATURE.length);
    if (HDF5_SIGNATURE.every((b, i) => head[i] === b)) return offset;
  }
  return undefined;
}

/** Reads and checks HDF5 bytes; never throws (failures are findings). */
export async function scanHdf5Source(
  source: ByteSource,
  policy: KerasPolicy,
  limit: number,
): Promise<{ findings: Finding[]; summary?: Record<string, unknown> }> {
  let contents: Hdf5Contents;
  try {
    const read = policy.readHdf5 ?? readHdf5Contents;
    contents = await read(source, { maxAttributeBytes: limit, maxReadBytes: limit });
  } catch (error) {
    if (error instanceof Hdf5BudgetExceeded) {
      return {
        findings: [
          finding("BUDGET_EXCEEDED", "unscannable", error.message, { expected: error.limit }),
        ],
      };
    }
    return {
      findings: [
        finding("UNSCANNABLE", "unscannable", `HDF5 could not be read: ${hdf5Message(error)}`),
      ],
    };
  }
  return scanHdf5Contents(contents, policy, "");
}

export const scanHdf5: Scanner = async (source, ctx, detection) => {
  const result = await scanHdf5Source(source, ctx.policy.keras, ctx.budget.limits.maxInMemoryBytes);
  return makeNode({ path: ctx.path, format: detection.format, size: source.size, ...result });
};

/**
 * For the JSON and text scanners: an HDF5 file hidden behind a user block that looks like JSON or
 * text. Undefined when there is none; otherwise a FORMAT_MISMATCH finding plus the HDF5 scan.
 */
export async function scanHiddenHdf5(
  source: ByteSource,
  policy: KerasPolicy,
  limit: number,
  looksLike: string,
): Promise<{ findings: Finding[]; summary?: Record<string, unknown> } | undefined> {
  const offset = findHdf5Signature(source);
  if (offset === undefined || offset === 0) return undefined;
  const result = await scanHdf5Source(source, policy, limit);
  return {
    findings: [
      finding(
        "FORMAT_MISMATCH",
        "suspicious",
        `The file starts like ${looksLike} but is an HDF5 file behind a ${offset}-byte user block; h5py and Keras open it as HDF5.`,
        { offset, expected: looksLike, actual: "hdf5" },
      ),
      ...result.findings,
    ],
    summary: { hdf5UserBlock: offset, hdf5: result.summary },
  };
}
