/**
 * Reading HDF5 the way Keras's legacy `.h5` loader does, with h5wasm (the HDF5 C library compiled
 * to WebAssembly): the root attributes `model_config`, `training_config`, `keras_version` and
 * `backend`, looked up by name as h5py's `f.attrs.get(name)` does, plus what HDF5 lists and which
 * Keras attribute names and Lambda markers pass by in the metadata bytes HDF5 reads (so that
 * scanHdf5Contents can tell when HDF5's answers disagree). Kept apart from the scan so that the
 * worker thread that runs it (io/hdf5-worker.ts) loads only this.
 *
 * h5wasm works on Emscripten's in-memory file system. We do not copy the file into it: the scan
 * registers a file node whose reads go straight to the `ByteSource` (as Emscripten's own lazy
 * files do), so HDF5 reads only the metadata it needs (a 2 GB `tf_model.h5` costs a few hundred
 * KB of reads) and nothing is written to disk. What HDF5 may read in total is bounded by
 * `maxReadBytes`; beyond it the read fails with Hdf5BudgetExceeded. The module (≈4 MB of
 * WebAssembly) is loaded on first use only. Damaged files can make HDF5 loop without reading: only
 * a runner that can stop the thread bounds that (KerasPolicy.readHdf5).
 */
import { describeError } from "../../core/errors.js";
import { Hdf5BudgetExceeded } from "../../core/hdf5-budget.js";
import type { ByteSource } from "../source.js";

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
export const MAX_LISTED = 32;

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
export function hdf5Message(error: unknown): string {
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
export const KERAS_ROOT_ATTRIBUTES = [
  "model_config",
  "training_config",
  "keras_version",
  "backend",
];

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
export const PROBE_NAME = "modelvet:absent-probe";
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

/** A budget of an HDF5 read ran out (defined in core/, where io/ can use it too). */
export { Hdf5BudgetExceeded };

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
