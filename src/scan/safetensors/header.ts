/**
 * safetensors header validation (threat S1). Reads the 8-byte length and the JSON header only;
 * tensor bytes are never read, so a multi-gigabyte file costs one small read.
 *
 * The rules are those of the reference loader (huggingface/safetensors `SafeTensors::validate`)
 * plus two that it does not enforce but that let two readers disagree: duplicate JSON keys (serde
 * and JSON.parse keep the last, other parsers the first) and unknown keys in a tensor entry.
 */
import type { ByteSource } from "../source.js";
import { dtypeBits } from "./dtypes.js";
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  jsonUnsignedInteger,
  parseStrictJson,
  StrictJsonError,
  StrictJsonLimitError,
} from "./strict-json.js";

/** Same cap as the reference loader (MAX_HEADER_SIZE). */
export const MAX_SAFETENSORS_HEADER = 100_000_000;

/** At most this many violations are kept; one is enough to block, a few help the user. */
const MAX_VIOLATIONS = 20;

export interface SafetensorsViolation {
  message: string;
  /** Byte offset in the file, when it points somewhere useful. */
  offset?: number;
}

export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: bigint[];
  begin: bigint;
  end: bigint;
  elements: bigint;
}

export interface SafetensorsHeader {
  headerLength: number;
  /** Bytes after the header: the tensor buffer. */
  dataLength: number;
  tensors: SafetensorsTensor[];
  metadata: Record<string, string> | null;
}

export interface SafetensorsValidation {
  violations: SafetensorsViolation[];
  /** Present when the header parsed far enough to list tensors (even if some rules failed). */
  header?: SafetensorsHeader;
}

export interface ValidateSafetensorsOptions {
  /** Largest header read into memory; defaults to MAX_SAFETENSORS_HEADER. */
  maxHeaderBytes?: number;
}

export function validateSafetensors(
  source: ByteSource,
  options: ValidateSafetensorsOptions = {},
): SafetensorsValidation {
  const violations: SafetensorsViolation[] = [];
  const add = (message: string, offset?: number): void => {
    if (violations.length < MAX_VIOLATIONS)
      violations.push(offset === undefined ? { message } : { message, offset });
  };

  if (source.size < 8) {
    add(`the file is ${source.size} bytes, shorter than the 8-byte header length`);
    return { violations };
  }
  const prefix = source.read(0, 8);
  const declared = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  const cap = Math.min(options.maxHeaderBytes ?? MAX_SAFETENSORS_HEADER, MAX_SAFETENSORS_HEADER);
  if (declared > BigInt(cap)) {
    add(`the header length ${declared} exceeds the ${cap}-byte limit`, 0);
    return { violations };
  }
  if (declared > BigInt(source.size - 8)) {
    add(`the header length ${declared} is longer than the ${source.size - 8} bytes after it`, 0);
    return { violations };
  }
  const headerLength = Number(declared);
  const dataLength = source.size - 8 - headerLength;
  const raw = source.read(8, headerLength);
  if (raw.length !== headerLength) {
    add("the header could not be read in full", 8);
    return { violations };
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    add("the header is not valid UTF-8", 8);
    return { violations };
  }
  if (!text.startsWith("{")) {
    add("the header does not start with '{'", 8);
    return { violations };
  }

  let parsed: ReturnType<typeof parseStrictJson>;
  try {
    parsed = parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof StrictJsonError)) throw error;
    const what =
      error instanceof StrictJsonLimitError ? "is too large to check" : "is not valid JSON";
    add(`the header ${what}: ${error.message}`, 8 + byteOffsetOf(text, error.offset));
    return { violations };
  }
  for (const dup of parsed.duplicates) {
    add(
      `duplicate key ${JSON.stringify(dup.key)} in ${dup.path === "" ? "the header" : JSON.stringify(dup.path)}: readers disagree on which value wins`,
      8 + byteOffsetOf(text, dup.offset),
    );
  }
  if (!isJsonObject(parsed.value)) {
    add("the header is not a JSON object", 8);
    return { violations };
  }

  let metadata: Record<string, string> | null = null;
  const tensors: SafetensorsTensor[] = [];
  for (const [name, value] of parsed.value.entries) {
    if (name === "__metadata__") {
      metadata = checkMetadata(value, add);
      continue;
    }
    const tensor = checkTensor(name, value, add);
    if (tensor) tensors.push(tensor);
  }

  checkLayout(tensors, BigInt(dataLength), add);
  return { violations, header: { headerLength, dataLength, tensors, metadata } };
}

type Add = (message: string, offset?: number) => void;

function checkMetadata(value: JsonValue, add: Add): Record<string, string> | null {
  // The reference loader reads `__metadata__` as Option<HashMap<String, String>>: null is None.
  if (value === null) return null;
  if (!isJsonObject(value)) {
    add("__metadata__ is not an object of strings");
    return null;
  }
  const out: Record<string, string> = Object.create(null);
  for (const [key, v] of value.entries) {
    if (typeof v !== "string") add(`__metadata__[${JSON.stringify(key)}] is not a string`);
    else out[key] = v;
  }
  return out;
}

const TENSOR_KEYS = new Set(["dtype", "shape", "data_offsets"]);

function checkTensor(name: string, value: JsonValue, add: Add): SafetensorsTensor | undefined {
  const label = `tensor ${JSON.stringify(name)}`;
  if (!isJsonObject(value)) {
    add(`${label} is not an object`);
    return undefined;
  }
  const entry: JsonObject = value;
  let ok = true;
  for (const key of entry.entries.keys()) {
    if (!TENSOR_KEYS.has(key)) {
      add(`${label} has an unexpected key ${JSON.stringify(key)}`);
      ok = false;
    }
  }
  const dtype = entry.entries.get("dtype");
  const bits = typeof dtype === "string" ? dtypeBits(dtype) : undefined;
  if (typeof dtype !== "string" || bits === undefined) {
    add(`${label} has an unknown dtype ${JSON.stringify(jsonPreview(dtype))}`);
    ok = false;
  }
  const shapeValue = entry.entries.get("shape");
  const shape: bigint[] = [];
  if (!Array.isArray(shapeValue)) {
    add(`${label} has no shape array`);
    ok = false;
  } else {
    for (const dim of shapeValue) {
      const n = jsonUnsignedInteger(dim);
      if (n === undefined || n > BigInt(Number.MAX_SAFE_INTEGER)) {
        add(`${label} has a shape dimension that is not a non-negative safe integer`);
        ok = false;
        break;
      }
      shape.push(n);
    }
  }
  const offsetsValue = entry.entries.get("data_offsets");
  const offsets = Array.isArray(offsetsValue) ? offsetsValue.map(jsonUnsignedInteger) : [];
  const [begin, end] = offsets;
  if (offsets.length !== 2 || begin === undefined || end === undefined) {
    add(`${label} needs data_offsets [begin, end] of two non-negative integers`);
    ok = false;
  } else if (begin > end) {
    add(`${label} has data_offsets with begin ${begin} after end ${end}`);
    ok = false;
  }
  if (!ok || begin === undefined || end === undefined || bits === undefined) return undefined;

  const elements = shape.reduce((acc, d) => acc * d, 1n);
  const totalBits = elements * BigInt(bits);
  if (totalBits % 8n !== 0n) {
    add(`${label}: ${elements} elements of ${dtype} do not fill whole bytes`);
    return undefined;
  }
  if (totalBits / 8n !== end - begin) {
    add(
      `${label}: ${dtype} × shape [${shape.join(", ")}] is ${totalBits / 8n} bytes but data_offsets span ${end - begin}`,
    );
    return undefined;
  }
  return { name, dtype: dtype as string, shape, begin, end, elements };
}

/** Sorted by offset, the tensors must tile the buffer exactly: no gap, no overlap, no slack. */
function checkLayout(tensors: SafetensorsTensor[], dataLength: bigint, add: Add): void {
  const sorted = [...tensors].sort((a, b) =>
    a.begin === b.begin ? (a.end < b.end ? -1 : a.end > b.end ? 1 : 0) : a.begin < b.begin ? -1 : 1,
  );
  let cursor = 0n;
  let previous: string | undefined;
  for (const t of sorted) {
    if (t.end > dataLength) {
      add(`tensor ${JSON.stringify(t.name)} ends at ${t.end}, past the ${dataLength}-byte buffer`);
    }
    if (t.begin > cursor) {
      add(`gap of ${t.begin - cursor} bytes before tensor ${JSON.stringify(t.name)}`);
    } else if (t.begin < cursor) {
      add(
        `tensor ${JSON.stringify(t.name)} overlaps ${previous === undefined ? "another tensor" : JSON.stringify(previous)}`,
      );
    }
    if (t.end > cursor) cursor = t.end;
    previous = t.name;
  }
  if (cursor < dataLength) {
    add(`${dataLength - cursor} bytes after the last tensor are not covered by the header`);
  }
}

function jsonPreview(value: JsonValue | undefined): unknown {
  if (value === undefined) return null;
  if (typeof value === "string") return value.slice(0, 40);
  if (typeof value === "object" && value !== null && !Array.isArray(value))
    return value.kind === "number" ? value.raw : "{…}";
  return Array.isArray(value) ? "[…]" : value;
}

/** Byte offset of a UTF-16 index into `text` (offsets in findings are bytes). */
function byteOffsetOf(text: string, index: number): number {
  return new TextEncoder().encode(text.slice(0, index)).length;
}
