/**
 * Format detection from bytes, never from the name. The order matters: unambiguous magic numbers
 * first, then structural checks (safetensors, tar), then pickle (which has no magic at protocol
 * 0/1), then text classes, then protobuf (no magic either: a well-formed field chain). Anything
 * else is `unknown`, which the dispatcher reports as unscannable.
 */

import { isTorchLegacyStart } from "./containers/legacy-detect.js";
import { zipfileConcat } from "./containers/zip-records.js";
import type { Detection } from "./context.js";
import { looksLikeLightgbmModel } from "./lightgbm/scan.js";
import { pickleReadingImports, sniffPickle } from "./pickle/sniff.js";
import { looksLikeProtobuf, PROTOBUF_BY_STRUCTURE } from "./protobuf/probe.js";
import type { ByteSource } from "./source.js";
import { hasSstableMagic } from "./tfcheckpoint/scan.js";
import { isTflite } from "./tflite/scan.js";

/** How many leading bytes detection looks at. */
export const SNIFF_BYTES = 8192;

const TORCH_LEGACY_MAGIC = Uint8Array.of(
  0x80,
  0x02,
  0x8a,
  0x0a,
  0x6c,
  0xfc,
  0x9c,
  0x46,
  0xf9,
  0x20,
  0x6a,
  0xa8,
  0x50,
  0x19,
);

function startsWith(bytes: Uint8Array, magic: ArrayLike<number>, at = 0): boolean {
  if (bytes.length < at + magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[at + i] !== magic[i]) return false;
  return true;
}

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

function isTar(head: Uint8Array): boolean {
  if (head.length < 512) return false;
  if (startsWith(head, ascii("ustar"), 257)) return true;
  // Old (v7) tar: no magic; the header checksum at 148 must match the header bytes.
  const field = new TextDecoder()
    .decode(head.subarray(148, 156))
    .replace(/[\0 ]+$/, "")
    .trim();
  if (!/^[0-7]{1,7}$/.test(field)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (head[i] ?? 0);
  return sum === Number.parseInt(field, 8) && head[0] !== 0;
}

function isSafetensors(head: Uint8Array, size: number): boolean {
  if (head.length < 10) return false;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const headerLength = view.getBigUint64(0, true);
  // A lying header length is still "safetensors" so that the validator can report it, but the
  // top three bytes of a real length (< 2^40) are zero: eight bytes of text before a "{" are not
  // a length any loader would accept, so such a file is left to the text classes.
  return head[8] === 0x7b /* { */ && headerLength > 1n && headerLength < 1n << 40n && size >= 10;
}

function isZlib(head: Uint8Array): boolean {
  const [cmf, flg] = head;
  if (cmf === undefined || flg === undefined) return false;
  return (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0 && (flg & 0x20) === 0;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    // A multi-byte character cut at the end of the sniff window is still text.
    if (bytes.length === SNIFF_BYTES) {
      for (let cut = 1; cut <= 3; cut++) {
        try {
          return new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(0, -cut));
        } catch {}
      }
    }
    void error;
    return undefined;
  }
}

const PYTHON_LINE =
  /^(?:from\s+[\w.]+\s+import\s|import\s+[\w.]+|def\s+\w+\s*\(|class\s+\w+\s*[(:]|@[\w.]+(?:\([^)\n]*\))?\s*\n\s*(?:async\s+)?(?:def|class)\s|if\s+__name__\s*==)/m;

/**
 * Prose that quotes Python (a README.md model card with `from x import y` in an example) is not
 * Python: CPython compiles a whole module before running any of it, so a file whose first
 * statement line can never start a Python statement cannot run at all. That line is the first
 * one that is not blank or a comment; it is YAML front matter (`---`, which every Hub model card
 * starts with) or starts with `<`, `|`, `>`, a backtick, `$`, `?` or `!` (HTML, tables, quotes,
 * code spans, shell prompts), or with two plain words (a sentence after a `# Title` heading). A file whose first statement could be Python is still read as
 * Python however much prose follows.
 */
const NEVER_A_STATEMENT = /^(?:---+[ \t]*\r?$|[<|>`$?!])/;

/**
 * Two plain names in a row ("This model is…") never start a Python statement unless one of them is
 * a keyword or soft keyword (`import os`, `match x:`, `x if y else z`, `x not in y`).
 */
const TWO_NAMES = /^([A-Za-z_][A-Za-z0-9_]*)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/;
const PYTHON_WORDS = new Set(
  (
    "False None True and as assert async await break case class continue def del elif else " +
    "except finally for from global if import in is lambda match nonlocal not or pass print " +
    "raise return try type while with yield exec _"
  ).split(" "),
);

function isProse(text: string): boolean {
  for (const line of text.replace(/^\uFEFF/, "").split("\n")) {
    if (/^[ \t\f\r]*(?:#.*)?$/.test(line)) continue;
    if (NEVER_A_STATEMENT.test(line)) return true;
    const names = TWO_NAMES.exec(line);
    return (
      names !== null &&
      !PYTHON_WORDS.has(names[1] as string) &&
      !PYTHON_WORDS.has(names[2] as string)
    );
  }
  return false;
}

function classifyText(text: string): Detection {
  const trimmed = text.replace(/^\uFEFF/, "").trimStart();
  if (looksLikeLightgbmModel(text)) return { format: "lightgbm" };
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) return { format: "json" };
  if (PYTHON_LINE.test(text) && !isProse(text)) return { format: "python" };
  return { format: "text" };
}

/** Detail of a zip found from its end behind prepended data (containers/zip-records.ts). */
const PREPENDED_ZIP = "prepended data";

/** Formats a loader's format check (magic number) always takes before any pickle reading. */
const NEVER_PICKLE = new Set<Detection["format"]>(["empty", "pickle", "pytorch-legacy", "zip"]);

/**
 * Detection never lets one reading hide another: bytes that also have a pickle reading reaching an
 * import (protocol 0 is printable; no loader needs a PROTO header) are scanned as a pickle, and as
 * what they looked like too (`also`); the worse verdict wins. Zip is left out: every loader that
 * could read a pickle checks for a zip first, and `PK` (PERSID) fails in pickle.load at once.
 */
export function detectFormat(source: ByteSource): Detection {
  const detection = detectByContent(source);
  // Data prepended to a zip is read by pickle.load as what it is: its reading is kept too.
  if (NEVER_PICKLE.has(detection.format) && detection.detail !== PREPENDED_ZIP) return detection;
  const pickle = pickleReadingImports(source);
  if (pickle === undefined) return detection;
  return { format: "pickle", detail: `protocol ${pickle.protocol}`, also: detection.format };
}

function detectByContent(source: ByteSource): Detection {
  if (source.size === 0) return { format: "empty" };
  const head = source.read(0, SNIFF_BYTES);

  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06]))
    return { format: "zip" };
  if (startsWith(head, TORCH_LEGACY_MAGIC) || isTorchLegacyStart(head))
    return { format: "pytorch-legacy" };
  if (startsWith(head, [0x1f, 0x8b])) return { format: "gzip" };
  if (startsWith(head, ascii("BZh")) && (head[3] ?? 0) >= 0x31 && (head[3] ?? 0) <= 0x39)
    return { format: "bzip2" };
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return { format: "xz" };
  if (startsWith(head, [0x5d, 0x00, 0x00])) return { format: "xz", detail: "lzma-alone" }; // joblib "lzma"
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return { format: "7z" };
  if (startsWith(head, [0x93, ...ascii("NUMPY")])) {
    return { format: "numpy", detail: `${head[6] ?? "?"}.${head[7] ?? "?"}` };
  }
  if (startsWith(head, [0x89, ...ascii("HDF"), 0x0d, 0x0a, 0x1a, 0x0a])) return { format: "hdf5" };
  if (startsWith(head, ascii("GGUF"))) return { format: "gguf" };
  if (isTar(head)) return { format: "tar" };
  if (isSafetensors(head, source.size)) return { format: "safetensors" };
  if (isTflite(head)) return { format: "tflite" };

  // A zip with data in front (Python's zipfile finds it from the end), whatever the front looks
  // like: text, a pickle (detectFormat keeps its pickle reading too) or random bytes.
  if (zipfileConcat(source) > 0) return { format: "zip", detail: PREPENDED_ZIP };

  const pickle = sniffPickle(head);
  if (pickle) return { format: "pickle", detail: `protocol ${pickle.protocol}` };
  if (isZlib(head)) return { format: "zlib" };

  // Text has no NUL and no C0 control but \t \n \f \r (0x3600): an all-ASCII protobuf is not text.
  if (!head.some((b) => b < 0x20 && ((0x3600 >> b) & 1) === 0)) {
    const text = decodeUtf8(head);
    if (text !== undefined) return classifyText(text);
  }
  // Protobuf has no magic. Field 1 first (0x08 varint, 0x0a bytes) is how most ONNX models,
  // SavedModels and SentencePiece models start; writers omit default-valued fields, though, so
  // other starts are protobuf when their top-level field chain is well-formed (protobuf/probe.ts).
  if (head[0] === 0x08 || head[0] === 0x0a) return { format: "protobuf" };
  if (looksLikeProtobuf(source, head)) return { format: "protobuf", detail: PROTOBUF_BY_STRUCTURE };
  // A TensorFlow checkpoint index (SSTable) has its magic in the last 8 bytes of the footer.
  if (hasSstableMagic(source)) return { format: "tf-checkpoint-index" };
  return { format: "unknown" };
}
