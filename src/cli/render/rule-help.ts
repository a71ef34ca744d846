/**
 * What each finding code means, why it matters and what to do: the text code-scanning dashboards
 * (SARIF `fullDescription` and markdown `help`) and GitLab Code Quality show beside a result.
 * Codes are grouped by area; the area says why it matters and what to do, the code what it means.
 */
import type { FindingCode } from "../../core/finding.js";

/** The repository's README: SARIF `informationUri`; each rule's `helpUri` is a section of it. */
export const README_URL = "https://github.com/modelvet/modelvet#readme";
export const FINDING_CODES_URL = "https://github.com/modelvet/modelvet#finding-codes";

interface Area {
  why: string;
  fix: string;
}

const AREAS = {
  generic: {
    why: "modelvet fails closed: a file it cannot read to the end, or whose format it does not know, could hold anything a loader would run.",
    fix: "Check that the file is what you expect (re-download it from its source). Prefer safetensors or GGUF. If the file is too large for a scan budget, scan it where the budget fits, or leave it out of the model with `--exclude`.",
  },
  pickle: {
    why: "Loading a pickle (`torch.load`, `pickle.load`, `joblib.load`, `numpy.load(allow_pickle=True)`) runs the imports and calls written in it: a pickle can run any command on the machine that loads it.",
    fix: "Do not load the file. Use a safetensors copy of the weights, or load with `torch.load(..., weights_only=True)`. If a person has read the import and it is harmless, accept the finding in `modelvet.json` with a reason.",
  },
  container: {
    why: "Archives that different readers read differently (zip local headers against the central directory, links, paths that climb out) are how a poisoned member hides from a scanner while the loader still reads it.",
    fix: "Re-create the archive with the tool that wrote it (`torch.save`, `numpy.savez`, `tar`), or use safetensors. Do not extract or load the file as it is.",
  },
  format: {
    why: "A weights file whose structure is invalid, or that names custom operators or files outside the model, may crash or mislead its loader, or make it read or run something else.",
    fix: "Re-export the model with its official tool, or get a copy from a trusted source. Accept a reviewed finding in `modelvet.json` only with a reason.",
  },
  code: {
    why: "Python that ships with a model runs with `trust_remote_code=True`; Keras Lambda layers and unknown modules run code on `load_model`; chat templates run in the tokenizer. Any of them can run commands on the machine that loads the model.",
    fix: "Read the code. Load without `trust_remote_code` (or with `safe_mode=True` for Keras) where you can. Accept the finding in `modelvet.json`, with a reason, only after a person has reviewed that exact code.",
  },
  hub: {
    why: "Where a model comes from, and whether the Hub itself flags it, decide whether its files should be fetched at all.",
    fix: "Add the organization or the repo to `policy` in `modelvet.json` with a reason, or pick a model from an allowed organization.",
  },
  integrity: {
    why: "Bytes that differ from the published or locked digest are not the model that was reviewed: they may have been tampered with by a mirror, a proxy or the cache.",
    fix: "Do not use these files. Run `modelvet verify-cache`, remove the damaged copy and pull again. If it persists, the Hub or a mirror serves other bytes: investigate before you update the lock.",
  },
  lock: {
    why: "`models.lock` is the reviewed state of every model. When it disagrees with `modelvet.json` or the Hub, what CI loads is no longer what was reviewed.",
    fix: "Run `modelvet lock` (or `modelvet lock --update <model>` after reviewing the change) and commit `models.lock`.",
  },
} satisfies Record<string, Area>;

type AreaName = keyof typeof AREAS;

/** What each code means, and its area. */
// Partial: a code added to the union on another branch still compiles, with the generic help.
const CODES: Partial<Record<FindingCode, [AreaName, string]>> = {
  UNSCANNABLE: [
    "generic",
    "The file or a member could not be read to the end, so it was not judged.",
  ],
  UNKNOWN_FORMAT: ["generic", "The bytes match no format modelvet can read."],
  BUDGET_EXCEEDED: [
    "generic",
    "A scan budget (bytes, depth, members, opcodes) ran out before the end of the file.",
  ],
  FORMAT_MISMATCH: [
    "generic",
    "The file name promises one format and the bytes are another (for example a pickle named `.safetensors`).",
  ],
  PICKLE_DANGEROUS_GLOBAL: [
    "pickle",
    "The pickle imports a callable known to run commands, touch files or open network connections.",
  ],
  PICKLE_UNKNOWN_GLOBAL: ["pickle", "The pickle imports a callable that is not on the allowlist."],
  PICKLE_DANGEROUS_CALL: ["pickle", "The pickle calls a dangerous callable when it is loaded."],
  PICKLE_UNSAFE_NAME: [
    "pickle",
    "The pickle imports a dotted, dunder or non-string name, which reaches attributes the allowlist cannot judge.",
  ],
  PICKLE_EXTENSION: [
    "pickle",
    "The pickle uses the copyreg extension registry: a callable is imported with no name visible.",
  ],
  PICKLE_NESTED: ["pickle", "A constant inside the pickle is itself a pickle."],
  PICKLE_MALFORMED: [
    "pickle",
    "The pickle stream is invalid (unknown opcode, truncation, stack or memo misuse).",
  ],
  PICKLE_TRAILING_DATA: ["pickle", "Bytes follow the last STOP opcode and are not another pickle."],
  PICKLE_PERSISTENT_ID: [
    "pickle",
    "The pickle uses persistent ids outside a container that defines them.",
  ],
  ZIP_NAME_MISMATCH: [
    "container",
    "A zip member's local header names another file than the central directory.",
  ],
  ZIP_FLAGS: [
    "container",
    "A zip member uses flags (encryption, data descriptors) readers disagree on.",
  ],
  ZIP_CRC_MISMATCH: ["container", "A zip member's bytes do not match its CRC-32."],
  ZIP_UNSUPPORTED_COMPRESSION: ["container", "A zip member uses a compression method not read."],
  ZIP_OVERLAP: ["container", "Zip members overlap, so one set of bytes is read as two files."],
  ZIP_MALFORMED: ["container", "The zip structure is invalid."],
  ARCHIVE_LINK: ["container", "The archive holds a symbolic or hard link."],
  ARCHIVE_PATH_ESCAPE: [
    "container",
    "An archive member's path climbs out of the extraction folder.",
  ],
  ARCHIVE_ODD_MEMBER: ["container", "The archive holds a device, FIFO or other special member."],
  ARCHIVE_BOMB: ["container", "The archive expands far beyond its size (a decompression bomb)."],
  NUMPY_MALFORMED: ["container", "The `.npy` header or data is invalid."],
  TORCH_MALFORMED: ["container", "The PyTorch checkpoint structure is invalid."],
  TORCHSCRIPT_CODE: [
    "code",
    "The archive holds TorchScript code, which runs when the model is loaded.",
  ],
  SAFETENSORS_INVALID: ["format", "The safetensors header or tensor layout is invalid."],
  GGUF_INVALID: ["format", "The GGUF header, metadata or tensor table is invalid."],
  ONNX_INVALID: ["format", "The ONNX protobuf is invalid."],
  ONNX_CUSTOM_DOMAIN: [
    "format",
    "The ONNX graph uses operators from a custom domain (native code).",
  ],
  ONNX_EXTERNAL_DATA_ESCAPE: [
    "format",
    "ONNX external data points at a file outside the model folder.",
  ],
  SAVEDMODEL_DANGEROUS_OP: [
    "format",
    "The TensorFlow graph uses an operation that reads or writes files or runs code.",
  ],
  SAVEDMODEL_INVALID: ["format", "The SavedModel or TensorFlow graph is invalid."],
  REMOTE_CODE: ["code", "The model ships Python that `trust_remote_code=True` would run."],
  REMOTE_CODE_MISSING: ["code", "`auto_map` names Python files the model does not contain."],
  REMOTE_CODE_CROSS_REPO: ["code", "`auto_map` loads code from another Hub repository."],
  PYTHON_DANGEROUS: [
    "code",
    "Python code calls something that runs commands, touches files or the network, or evaluates code.",
  ],
  PYTHON_SUSPICIOUS: ["code", "Python code does something unusual for model code."],
  PYTHON_UNPARSEABLE: ["code", "Python code could not be parsed, so it was not judged."],
  KERAS_LAMBDA: [
    "code",
    "A Keras model holds a Lambda layer: serialized Python that runs on load.",
  ],
  KERAS_UNKNOWN_MODULE: ["code", "A Keras config names a module that is not on the allowlist."],
  KERAS_INVALID: ["code", "The Keras file or config is invalid."],
  TEMPLATE_DANGEROUS: [
    "code",
    "A chat template reaches attributes or calls that escape the sandbox.",
  ],
  TEMPLATE_UNPARSEABLE: ["code", "A chat template could not be parsed, so it was not judged."],
  JSON_INVALID: ["format", "A file is not JSON a Python loader accepts; it was scanned as text."],
  POLICY_DENIED: ["hub", "The model's organization or repository is not allowed by policy."],
  HUB_SECURITY_STATUS: ["hub", "The Hub's own scanners flag files of this model."],
  FORMAT_RISKY: [
    "hub",
    "The file name says a format that can run code when loaded (pickle, Keras, numpy, TensorFlow graph).",
  ],
  DIGEST_MISMATCH: ["integrity", "The bytes do not match the expected SHA-256 or git blob id."],
  SIZE_MISMATCH: ["integrity", "The file size differs from the expected size."],
  PATH_ESCAPE: ["integrity", "A path from the Hub would escape the cache folder."],
  LOCK_OUT_OF_SYNC: ["lock", "`modelvet.json` and `models.lock` disagree."],
  LOCK_MISMATCH: ["lock", "The Hub's tree at the pinned commit differs from the lock."],
  LOCK_MISSING_ENTRY: ["lock", "A file the lock pins is no longer served at the pinned commit."],
  LOCK_EXTRA_ENTRY: ["lock", "A file appeared at the pinned commit that the lock does not pin."],
  REVISION_GONE: ["lock", "The pinned commit no longer exists on the Hub (history rewritten)."],
  CACHE_MISSING: ["integrity", "A locked file is missing from the cache."],
  CACHE_EXTRA: ["integrity", "The cache holds a file the lock does not pin."],
  CACHE_CORRUPT: ["integrity", "A cached file does not match its digest."],
  CACHE_UNVERIFIED: [
    "integrity",
    "A copied snapshot file (no symlinks) has no lock entry or tree listing to be checked against offline.",
  ],
};

export interface RuleHelp {
  /** One sentence: what the code means. */
  meaning: string;
  why: string;
  fix: string;
  /** Markdown for a dashboard's help pane. */
  markdown: string;
  /** The same, as plain text. */
  text: string;
}

/** Help for a code; a code added to the union without an entry still gets its area-less text. */
export function ruleHelp(code: string): RuleHelp {
  const entry = CODES[code as FindingCode];
  const meaning = entry?.[1] ?? `modelvet finding ${code}.`;
  const area: Area = entry ? AREAS[entry[0]] : AREAS.generic;
  return {
    meaning,
    why: area.why,
    fix: area.fix,
    markdown: `**${code}**: ${meaning}\n\n**Why it matters.** ${area.why}\n\n**What to do.** ${area.fix}\n\nSee [finding codes](${FINDING_CODES_URL}).`,
    text: `${code}: ${meaning} Why it matters: ${area.why} What to do: ${area.fix}`,
  };
}
