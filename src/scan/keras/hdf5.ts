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
 * h5wasm keeps files in Emscripten's in-memory file system: the bytes are copied into that
 * memory, never written to disk. The module (≈4 MB of WebAssembly) is loaded on first use only.
 * The whole file has to be in memory, so it is bounded by `maxInMemoryBytes`: over budget is
 * `unscannable`.
 */
import { describeError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { type ByteSource, readAll } from "../source.js";
import { walkKerasConfig } from "./config.js";
import type { KerasPolicy } from "./policy.js";

/** The slice of h5wasm this scanner uses. */
interface H5Attribute {
  metadata: {
    type: number;
    cset?: number;
    size: number;
    total_size: number;
    shape: number[] | null;
  };
  value: unknown;
}
interface H5File {
  file_id: bigint;
  keys(): string[];
  close(): unknown;
}
interface H5Api {
  FS: { writeFile(path: string, data: Uint8Array): void; unlink(path: string): void };
  File: new (path: string, mode: "r") => H5File;
  Attribute: new (fileId: bigint, path: string, name: string) => H5Attribute;
  attributeNames(fileId: bigint, path: string): string[];
}

const H5T_STRING = 3;
const MAX_LISTED = 32;

let api: Promise<H5Api> | undefined;

/** Loads h5wasm once, with HDF5's error stack turned into exceptions instead of stderr output. */
function loadH5(): Promise<H5Api> {
  api ??= (async () => {
    const mod = await import("h5wasm");
    const h5 = mod.default;
    const module = (await h5.ready) as unknown as {
      FS: H5Api["FS"];
      activate_throwing_error_handler(): number;
      get_attribute_names(fileId: bigint, path: string): string[];
    };
    module.activate_throwing_error_handler();
    return {
      FS: module.FS,
      File: h5.File as unknown as H5Api["File"],
      Attribute: mod.Attribute as unknown as H5Api["Attribute"],
      attributeNames: (id, path) => module.get_attribute_names(id, path),
    };
  })();
  return api;
}

let fileCounter = 0;

/**
 * HDF5 reports its whole error stack as the thrown message (outermost call first). The innermost
 * frame says what was wrong ("truncated file: eof = …"); keep the outermost and that one.
 */
function hdf5Message(error: unknown): string {
  const text = describeError(error);
  const frames = text
    .split("\n")
    .filter((l) => /#\d+:/.test(l))
    .map((l) => l.replace(/^.*\(\):\s*/, "").trim());
  if (frames.length === 0) return text.split("\n")[0]?.slice(0, 200) ?? "unknown error";
  const first = frames[0]!;
  const last = frames.at(-1)!;
  return (first === last ? first : `${first}: ${last}`).slice(0, 200);
}

/** Reads a root string attribute as text; undefined when absent. Throws on a non-string one. */
function readStringAttribute(h5: H5Api, file: H5File, name: string, maxBytes: number): string {
  const attr = new h5.Attribute(file.file_id, "/", name);
  const meta = attr.metadata;
  if (meta.type !== H5T_STRING) throw new Error(`attribute ${name} is not a string`);
  if (meta.size * meta.total_size > maxBytes) throw new Error(`attribute ${name} is too large`);
  let value = attr.value;
  if (Array.isArray(value) && value.length === 1) value = value[0];
  if (typeof value !== "string") throw new Error(`attribute ${name} is not a single string`);
  // Variable-length strings only show their size once read (bounded by the file size already).
  if (value.length > maxBytes) throw new Error(`attribute ${name} is too large`);
  // h5py stores Python bytes as ASCII-tagged strings; Keras decodes them as UTF-8.
  if (meta.cset !== 1 && /[\x80-\xff]/.test(value)) {
    const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff);
    value = new TextDecoder("utf-8").decode(bytes);
  }
  return value as string;
}

export interface Hdf5Contents {
  attributes: string[];
  keys: string[];
  modelConfig?: string;
  trainingConfig?: string;
  kerasVersion?: string;
  backend?: string;
}

/** Opens HDF5 bytes in h5wasm's in-memory file system and reads what Keras would read. */
export async function readHdf5Contents(
  bytes: Uint8Array,
  maxAttrBytes: number,
): Promise<Hdf5Contents> {
  const h5 = await loadH5();
  const path = `/modelvet-${++fileCounter}.h5`;
  h5.FS.writeFile(path, bytes);
  let file: H5File | undefined;
  try {
    file = new h5.File(path, "r");
    if (file.file_id < 0n) throw new Error("HDF5 could not open the file");
    const attributes = h5.attributeNames(file.file_id, "/");
    const contents: Hdf5Contents = { attributes, keys: file.keys() };
    const read = (name: string): string | undefined =>
      attributes.includes(name) ? readStringAttribute(h5, file!, name, maxAttrBytes) : undefined;
    const modelConfig = read("model_config");
    const trainingConfig = read("training_config");
    if (modelConfig !== undefined) contents.modelConfig = modelConfig;
    if (trainingConfig !== undefined) contents.trainingConfig = trainingConfig;
    for (const [key, attr] of [
      ["kerasVersion", "keras_version"],
      ["backend", "backend"],
    ] as const) {
      try {
        const v = read(attr);
        if (v !== undefined) contents[key] = v.slice(0, 64);
      } catch {
        // informational only
      }
    }
    return contents;
  } finally {
    try {
      file?.close();
    } catch {
      // closing a half-open file can fail; the in-memory copy is removed either way
    }
    h5.FS.unlink(path);
  }
}

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
  return { findings, summary };
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
  if (source.size > limit) {
    return {
      findings: [
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `The HDF5 file is ${source.size} bytes; HDF5 files are read in memory and the limit is ${limit} bytes.`,
          { expected: limit, actual: source.size },
        ),
      ],
    };
  }
  let contents: Hdf5Contents;
  try {
    contents = await readHdf5Contents(readAll(source), limit);
  } catch (error) {
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
