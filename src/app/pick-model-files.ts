/**
 * `scan --only-models`: of the files a hook hands over (every staged file), keep the ones that
 * are model files, so a pre-commit hook never blocks ordinary source code. Decided by the bytes
 * first (the format detector the scanner uses), then by name:
 * - bytes in a model or archive format (pickle, zip/PyTorch, numpy, HDF5, safetensors, GGUF,
 *   protobuf starting as ONNX/SavedModel/SentencePiece do, TFLite, checkpoint indexes, LightGBM
 *   model text, tar and compressed streams) are kept,
 *   whatever the file is called;
 * - a file named like a weights file (`.pt`, `.bin`, `.safetensors`…, any case) is kept even when
 *   its bytes are unreadable: the scan then says why, and that blocks;
 * - text (Python, JSON, templates) is kept only inside a model folder, one whose `config.json`
 *   says it describes a model (`model_type`, `architectures` or `auto_map`): that is where
 *   `trust_remote_code` Python lives. The repository's own scripts are left alone.
 * Folders named explicitly are kept as they are (scanned whole).
 */
import { existsSync, lstatSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { openFileSource } from "../io/files.js";
import { Budget } from "../scan/budget.js";
import { detectFormat } from "../scan/detect.js";
import { probePickle } from "../scan/pickle/walker.js";
import { PROTOBUF_BY_STRUCTURE } from "../scan/protobuf/probe.js";

const MODEL_FORMATS = new Set([
  "zip",
  "pytorch-legacy",
  "gzip",
  "bzip2",
  "xz",
  "7z",
  "numpy",
  "hdf5",
  "gguf",
  "tar",
  "safetensors",
  "pickle",
  "zlib",
  "protobuf",
  "tflite",
  "tf-checkpoint-index",
  "lightgbm",
]);

/** Names that promise model bytes (compared in lower case). */
const MODEL_NAME =
  /\.(bin|pt|pth|ckpt|pkl|pickle|joblib|npy|npz|h5|hdf5|keras|safetensors|gguf|ggml|onnx|pb|tflite|mar|msgpack|model|ot|dill|sav)$/;

/** Documents and source code by name (compared in lower case). */
const TEXT_NAME =
  /\.(md|markdown|txt|rst|adoc|html?|css|[cm]?js|tsx?|jsx|c|h|cc|cpp|hpp|go|rs|java|kt|rb|sh|ya?ml|toml|ini|cfg|csv|tsv|xml|svg|tex)$/;

const CONFIG_LIMIT = 4 << 20;

function isModelFolder(dir: string, cache: Map<string, boolean>): boolean {
  let known = cache.get(dir);
  if (known !== undefined) return known;
  known = false;
  const config = join(dir, "config.json");
  try {
    if (existsSync(config) && statSync(config).size <= CONFIG_LIMIT) {
      const value = JSON.parse(readFileSync(config, "utf8")) as unknown;
      known =
        typeof value === "object" &&
        value !== null &&
        ["model_type", "architectures", "auto_map"].some((k) => k in value);
    }
  } catch {
    // Not JSON a loader would read as a model config: not a model folder by this test. A
    // pickle named config.json is still kept by its bytes, below.
  }
  cache.set(dir, known);
  return known;
}

/** Printable text only: tab, newline and carriage return, but no other control byte. */
function isPlainText(bytes: Uint8Array): boolean {
  return !bytes.some((b) => (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) || b === 0x7f);
}

function isModelBytes(path: string): boolean {
  const source = openFileSource(path);
  try {
    const detected = detectFormat(source);
    // Prose can parse as a short protocol-0 pickle ("Git v2.33.2 Release Notes" is BINFLOAT,
    // STOP). A document or source file by name, in plain text, whose pickle reading is under
    // four opcodes is not a model file; an import and a call (GLOBAL, MARK, STRING, TUPLE,
    // REDUCE, STOP) take more, so a real payload under a text name is still kept.
    if (
      detected.format === "pickle" &&
      detected.detail === "protocol 0" &&
      TEXT_NAME.test(basename(path).toLowerCase()) &&
      isPlainText(source.read(0, 1 << 16)) &&
      probePickle(source, 0, new Budget()).opcodes < 4
    )
      return false;
    // Protobuf recognised only by a well-formed field chain is too weak a sign among arbitrary
    // binaries (a small image can pass); such models are kept by name (.onnx, .pb, .model).
    return MODEL_FORMATS.has(detected.format) && detected.detail !== PROTOBUF_BY_STRUCTURE;
  } finally {
    source.close();
  }
}

export interface PickedFiles {
  picked: string[];
  skipped: string[];
}

export function pickModelFiles(paths: readonly string[]): PickedFiles {
  const folders = new Map<string, boolean>();
  const picked: string[] = [];
  const skipped: string[] = [];
  for (const path of paths) {
    let keep: boolean;
    try {
      const stat = lstatSync(path);
      keep =
        !stat.isFile() ||
        MODEL_NAME.test(basename(path).toLowerCase()) ||
        isModelBytes(path) ||
        isModelFolder(dirname(path), folders);
    } catch {
      keep = true; // missing or unreadable: let the scan report it (fail closed)
    }
    (keep ? picked : skipped).push(path);
  }
  return { picked, skipped };
}
