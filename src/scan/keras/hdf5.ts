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
 * h5wasm works on Emscripten's in-memory file system. We do not copy the file into it: the scan
 * registers a file node whose reads go straight to the `ByteSource` (as Emscripten's own lazy
 * files do), so HDF5 reads only the metadata it needs (a 2 GB `tf_model.h5` costs a few hundred
 * KB of reads) and nothing is written to disk. What HDF5 may read in total is bounded by
 * `maxInMemoryBytes`; beyond it the read fails and the file is `unscannable`. The module (≈4 MB
 * of WebAssembly) is loaded on first use only.
 */
import { describeError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import type { ByteSource } from "../source.js";
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
/** Emscripten's file system node and stream, the parts a lazy file touches. */
interface FsNode {
  stream_ops: Record<string, unknown>;
}
interface FsStream {
  node: FsNode;
}
type StreamRead = (
  stream: FsStream,
  buffer: Int8Array | Uint8Array,
  offset: number,
  length: number,
  position: number,
) => number;
interface H5Fs {
  createFile(
    parent: string,
    name: string,
    properties: object,
    read: boolean,
    write: boolean,
  ): FsNode;
  unlink(path: string): void;
  ErrnoError: new (errno: number) => Error;
}
interface H5Api {
  FS: H5Fs;
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

/** h5wasm's message when an attribute looked up by name does not exist (no HDF5 error). */
const ABSENT = "error - name not defined!";

/**
 * Opens root attribute `name` by name, as h5py's `f.attrs[name]` does (H5Aexists_by_name, then
 * H5Aopen_by_name): undefined when it does not exist; throws when HDF5 fails to look it up.
 */
function openRootAttribute(h5: H5Api, file: H5File, name: string): H5Attribute | undefined {
  try {
    return new h5.Attribute(file.file_id, "/", name);
  } catch (error) {
    if (error instanceof Error && error.message === ABSENT) return undefined;
    throw error;
  }
}

/** Reads a root string attribute as text. Throws on a non-string or too large one. */
function readStringAttribute(attr: H5Attribute, name: string, maxBytes: number): string {
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

/** The root attributes tf.keras 2.x writes and reads (`layer_names` lives on `model_weights`). */
const KERAS_ROOT_ATTRIBUTES = ["model_config", "training_config", "keras_version", "backend"];

/**
 * Looked for in every byte HDF5 reads (its metadata, never the weights): attribute names as an
 * attribute message stores them (NUL-terminated), and a Keras 2 Lambda layer in a config.
 */
const RAW_MARKERS = {
  model_config: ["model_config\0"],
  training_config: ["training_config\0"],
  lambda: ['"Lambda"', '"function_type": "lambda"'],
} as const;
export type RawMarker = keyof typeof RAW_MARKERS;

/** A name that no file has: looking it up makes HDF5 decode every root attribute message. */
const PROBE_NAME = "modelvet:absent-probe";
export interface Hdf5Contents {
  /** Root attribute names as HDF5 lists them (h5wasm gives up the whole list on a bad message). */
  attributes: string[];
  keys: string[];
  /** Keras's root attributes found by name (as h5py and Keras look them up) but not listed. */
  unlisted: string[];
  /** Root attribute lookups by name that HDF5 failed (PROBE_NAME: a lookup of an absent name). */
  lookupErrors: Array<{ name: string; message: string }>;
  /** RAW_MARKERS seen in the bytes HDF5 read. */
  rawMarkers: RawMarker[];
  modelConfig?: string;
  trainingConfig?: string;
  kerasVersion?: string;
  backend?: string;
}

/** Emscripten's errno for an I/O error, which HDF5 reports as a failed read. */
const EIO = 29;

/**
 * A budget of an HDF5 read ran out: HDF5 read more bytes than it may, or (from a bounded runner,
 * see KerasPolicy.readHdf5) it did not finish in time. The scan reports it as BUDGET_EXCEEDED.
 */
export class Hdf5BudgetExceeded extends Error {
  /** The limit that ran out (bytes, or milliseconds for a deadline). */
  readonly limit: number;
  constructor(message: string, limit: number) {
    super(message);
    this.limit = limit;
  }
}

/** What one HDF5 read may use. */
export interface Hdf5ReadLimits {
  /** Largest attribute kept. */
  maxAttributeBytes: number;
  /** Bytes HDF5 may read from the file in total. */
  maxReadBytes: number;
}

/**
 * Reads what Keras would read from HDF5 bytes: `readHdf5Contents` on the calling thread, or a
 * runner that does the same where it can be stopped (io/hdf5-runner.ts: a worker thread with a
 * deadline). Throws Hdf5BudgetExceeded when a budget runs out.
 */
export type Hdf5Reader = (source: ByteSource, limits: Hdf5ReadLimits) => Promise<Hdf5Contents>;

/**
 * Registers `source` at `path` as a read-only file whose bytes are read on demand. Reads past
 * `maxReadBytes` in total, and any error of the source, fail as EIO inside HDF5; the first such
 * error is kept for the caller.
 */
function mountLazyFile(
  fs: H5Fs,
  path: string,
  source: ByteSource,
  maxReadBytes: number,
): { failure(): Error | undefined; markers(): RawMarker[] } {
  const node = fs.createFile("/", path.slice(1), {}, true, false);
  // MEMFS takes a file's size (stat, SEEK_END) from usedBytes.
  Object.defineProperty(node, "usedBytes", { get: () => source.size });
  let read = 0;
  let failure: Error | undefined;
  const seen = new Set<RawMarker>();
  const needles = Object.entries(RAW_MARKERS).flatMap(([key, texts]) =>
    texts.map((text) => [key as RawMarker, Buffer.from(text, "latin1")] as const),
  );
  const readOp: StreamRead = (_stream, buffer, offset, length, position) => {
    const n = Math.max(0, Math.min(length, source.size - position));
    if (n === 0) return 0;
    read += n;
    if (read > maxReadBytes) {
      failure ??= new Hdf5BudgetExceeded(
        `HDF5 read more than ${maxReadBytes} bytes of the file's structure: a model's metadata is far smaller, so the rest was not read.`,
        maxReadBytes,
      );
      throw new fs.ErrnoError(EIO);
    }
    try {
      const chunk = source.read(position, n);
      new Uint8Array(buffer.buffer, buffer.byteOffset + offset, chunk.length).set(chunk);
      const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      for (const [key, needle] of needles) if (view.includes(needle)) seen.add(key);
      return chunk.length;
    } catch (error) {
      failure ??= error instanceof Error ? error : new Error(String(error));
      throw new fs.ErrnoError(EIO);
    }
  };
  const refuse = () => {
    throw new fs.ErrnoError(EIO);
  };
  // A copy: the ops object is shared by every MEMFS file.
  node.stream_ops = { ...node.stream_ops, read: readOp, write: refuse, mmap: refuse };
  return { failure: () => failure, markers: () => [...seen] };
}

/**
 * Opens an HDF5 file in h5wasm, reading from `source` on demand, and reads what Keras would read.
 * `limits` bound the size of an attribute kept and the bytes HDF5 may read in total.
 */
export async function readHdf5Contents(
  source: ByteSource,
  limits: Hdf5ReadLimits,
): Promise<Hdf5Contents> {
  const h5 = await loadH5();
  const path = `/modelvet-${++fileCounter}.h5`;
  const lazy = mountLazyFile(h5.FS, path, source, limits.maxReadBytes);
  let file: H5File | undefined;
  try {
    file = new h5.File(path, "r");
    if (file.file_id < 0n) throw new Error("HDF5 could not open the file");
    const attributes = h5.attributeNames(file.file_id, "/");
    const contents: Hdf5Contents = {
      attributes,
      keys: file.keys(),
      unlisted: [],
      lookupErrors: [],
      rawMarkers: [],
    };
    // Looked up by name whether listed or not: h5py and Keras do (`f.attrs.get("model_config")`),
    // and one damaged attribute message empties h5wasm's list while the names before it still
    // open. A lookup HDF5 fails is kept: the scan cannot tell what Keras would get.
    const found = new Map<string, H5Attribute>();
    for (const name of [...KERAS_ROOT_ATTRIBUTES, PROBE_NAME]) {
      try {
        const attr = openRootAttribute(h5, file, name);
        if (attr === undefined) continue;
        found.set(name, attr);
        if (!attributes.includes(name)) contents.unlisted.push(name);
      } catch (error) {
        contents.lookupErrors.push({ name, message: hdf5Message(error) });
      }
    }
    const read = (name: string): string | undefined => {
      const attr = found.get(name);
      return attr === undefined
        ? undefined
        : readStringAttribute(attr, name, limits.maxAttributeBytes);
    };
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
    contents.rawMarkers = lazy.markers();
    // A failed read inside the informational attributes above was swallowed there: not here.
    const failed = lazy.failure();
    if (failed !== undefined) throw failed;
    return contents;
  } catch (error) {
    // A failed read of ours (budget, I/O) is the real cause of whatever HDF5 made of it.
    throw lazy.failure() ?? error;
  } finally {
    try {
      file?.close();
    } catch {
      // closing a half-open file can fail; the file node is removed either way
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
