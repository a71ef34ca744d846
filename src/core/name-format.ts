/**
 * What a repo file's NAME (and the Hub's metadata) says about its format, for `inspect`, which
 * never reads weight bytes. This is a preview, not a verdict on content: a pickle can be named
 * config.json (threats C11), so only scanning the bytes (`pull`, `scan`) is authoritative.
 *
 * Risk classes:
 *   safe         formats whose loaders run no code by design (safetensors, GGUF, ONNX, JSON,
 *                text, tokenizer files, flax msgpack, images/media shown in the model card)
 *   pickle       pickle-based weights (.bin, .pt, .pth, .ckpt, .pkl, .pickle, .joblib, .dill)
 *   maybe-pickle numpy arrays (.npy/.npz) that may hold pickled objects
 *   keras        HDF5/Keras files, where Lambda layers carry bytecode (.h5, .hdf5, .keras)
 *   graph        TensorFlow graphs/SavedModel (.pb) with ops that read files or run Python
 *   code         Python (.py) and other code that a loader can be told to run
 *   unknown      a name that says nothing we can rely on
 */

export type FormatRisk =
  | "safe"
  | "pickle"
  | "maybe-pickle"
  | "keras"
  | "graph"
  | "code"
  | "unknown";

export interface NameFormat {
  /** Short label, e.g. "safetensors", "pickle (PyTorch)", "text". */
  format: string;
  risk: FormatRisk;
}

const BY_EXTENSION: Record<string, NameFormat> = {
  safetensors: { format: "safetensors", risk: "safe" },
  gguf: { format: "gguf", risk: "safe" },
  onnx: { format: "onnx", risk: "safe" },
  ort: { format: "onnx runtime", risk: "safe" },
  msgpack: { format: "flax msgpack", risk: "safe" },
  json: { format: "json", risk: "safe" },
  jsonl: { format: "json", risk: "safe" },
  txt: { format: "text", risk: "safe" },
  md: { format: "text", risk: "safe" },
  rst: { format: "text", risk: "safe" },
  csv: { format: "text", risk: "safe" },
  tsv: { format: "text", risk: "safe" },
  yaml: { format: "text", risk: "safe" },
  yml: { format: "text", risk: "safe" },
  toml: { format: "text", risk: "safe" },
  jinja: { format: "chat template", risk: "safe" },
  tiktoken: { format: "tokenizer", risk: "safe" },
  spm: { format: "tokenizer (sentencepiece)", risk: "safe" },
  png: { format: "image", risk: "safe" },
  jpg: { format: "image", risk: "safe" },
  jpeg: { format: "image", risk: "safe" },
  gif: { format: "image", risk: "safe" },
  webp: { format: "image", risk: "safe" },
  svg: { format: "image", risk: "safe" },
  wav: { format: "audio", risk: "safe" },
  mp3: { format: "audio", risk: "safe" },
  flac: { format: "audio", risk: "safe" },
  bin: { format: "pickle (PyTorch .bin)", risk: "pickle" },
  pt: { format: "pickle (PyTorch)", risk: "pickle" },
  pth: { format: "pickle (PyTorch)", risk: "pickle" },
  ckpt: { format: "pickle (checkpoint)", risk: "pickle" },
  pkl: { format: "pickle", risk: "pickle" },
  pickle: { format: "pickle", risk: "pickle" },
  joblib: { format: "pickle (joblib)", risk: "pickle" },
  dill: { format: "pickle (dill)", risk: "pickle" },
  sav: { format: "pickle (sklearn)", risk: "pickle" },
  mar: { format: "pickle (TorchServe archive)", risk: "pickle" },
  npy: { format: "numpy", risk: "maybe-pickle" },
  npz: { format: "numpy archive", risk: "maybe-pickle" },
  h5: { format: "hdf5 (keras)", risk: "keras" },
  hdf5: { format: "hdf5 (keras)", risk: "keras" },
  keras: { format: "keras", risk: "keras" },
  pb: { format: "tensorflow graph", risk: "graph" },
  py: { format: "python", risk: "code" },
  pyc: { format: "python bytecode", risk: "code" },
  sh: { format: "shell script", risk: "code" },
  ipynb: { format: "notebook", risk: "code" },
};

/** Well-known names without a telling extension. */
const BY_NAME: Record<string, NameFormat> = {
  ".gitattributes": { format: "text", risk: "safe" },
  ".gitignore": { format: "text", risk: "safe" },
  license: { format: "text", risk: "safe" },
  notice: { format: "text", risk: "safe" },
  readme: { format: "text", risk: "safe" },
  "tokenizer.model": { format: "tokenizer (sentencepiece)", risk: "safe" },
  "spiece.model": { format: "tokenizer (sentencepiece)", risk: "safe" },
  "sentencepiece.bpe.model": { format: "tokenizer (sentencepiece)", risk: "safe" },
  "vocab.txt": { format: "tokenizer", risk: "safe" },
  "merges.txt": { format: "tokenizer", risk: "safe" },
  // OpenSSF Model Signing: a Sigstore bundle (JSON); no loader reads it.
  "model.sig": { format: "model signature (Sigstore bundle)", risk: "safe" },
};

export function classifyName(path: string): NameFormat {
  const base = path.slice(path.lastIndexOf("/") + 1);
  const lower = base.toLowerCase();
  const known = BY_NAME[lower];
  if (known !== undefined) return known;
  const dot = lower.lastIndexOf(".");
  if (dot > 0) {
    const byExt = BY_EXTENSION[lower.slice(dot + 1)];
    if (byExt !== undefined) return byExt;
  }
  if (/^(license|licence|notice|readme|copying)(\.|$)/.test(lower)) {
    return { format: "text", risk: "safe" };
  }
  return { format: "unknown", risk: "unknown" };
}

/** Why a risk class blocks, in one sentence (used in findings and the README). */
export const RISK_REASON: Record<Exclude<FormatRisk, "safe" | "unknown">, string> = {
  pickle: "pickle-based: loading it can run arbitrary code",
  "maybe-pickle":
    "numpy arrays may hold pickled objects, which run code when loaded with allow_pickle",
  keras: "Keras/HDF5: Lambda layers can carry Python bytecode that runs when loaded",
  graph: "TensorFlow graph: ops can read or write files or call Python",
  code: "code: runs if a loader is told to (trust_remote_code, imports)",
};
