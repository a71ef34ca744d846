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
): { failure(): Error | undefined } {
  const node = fs.createFile("/", path.slice(1), {}, true, false);
  // MEMFS takes a file's size (stat, SEEK_END) from usedBytes.
  Object.defineProperty(node, "usedBytes", { get: () => source.size });
  let read = 0;
  let failure: Error | undefined;
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
  return { failure: () => failure };
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
    const contents: Hdf5Contents = { attributes, keys: file.keys() };
    const read = (name: string): string | undefined =>
      attributes.includes(name)
        ? readStringAttribute(h5, file!, name, limits.maxAttributeBytes)
        : undefined;
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
