/**
 * `scan --only-models`: of the files a hook hands over (every staged file), keep the ones that
 * are model files, so a pre-commit hook never blocks ordinary source code. Decided by the bytes
 * first (the format detector the scanner uses), then by name:
 * - bytes in a model or archive format (pickle, zip/PyTorch, numpy, HDF5, safetensors, GGUF,
 *   protobuf, tar and compressed streams) are kept, whatever the file is called;
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
import { detectFormat } from "../scan/detect.js";

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
]);

/** Names that promise model bytes (compared in lower case). */
const MODEL_NAME =
  /\.(bin|pt|pth|ckpt|pkl|pickle|joblib|npy|npz|h5|hdf5|keras|safetensors|gguf|ggml|onnx|pb|tflite|mar|msgpack|model|ot|dill|sav)$/;

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

function isModelBytes(path: string): boolean {
  const source = openFileSource(path);
  try {
    return MODEL_FORMATS.has(detectFormat(source).format);
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
