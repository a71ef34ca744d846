/**
 * A bounded walk of a GGUF header (v2/v3, little-endian): magic, version, counts, metadata
 * key/values, tensor infos. Every count and length is checked against the bytes that remain
 * before anything is read or allocated, so a file that lies about its counts fails fast with a
 * GgufFormatError instead of looping for 2^64 iterations or allocating from a declared size.
 *
 * The rules follow ggml's own reader (gguf.cpp), which refuses: v1 and big-endian files, unknown
 * value or tensor types, nested arrays, duplicate keys or tensor names, names over 64 bytes, more
 * than 4 dimensions, misaligned or out-of-order tensor offsets, and data past the end of the file.
 */
import type { ByteSource } from "../source.js";
import { GGML_TYPES, GGUF_VALUE_TYPES, type GgufValueTypeId, isValueType } from "./types.js";

export class GgufFormatError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

/** A well-formed header that is past one of modelvet's own limits: BUDGET_EXCEEDED, not invalid. */
export class GgufLimitError extends GgufFormatError {}

/** Scalar metadata kept in full; arrays are summarised (type and length) and strings capped. */
export type GgufValue =
  | { type: "string"; value: string; length: number }
  | { type: "number"; value: number | bigint }
  | { type: "bool"; value: boolean }
  | { type: "array"; elementType: string; length: number; strings?: string[] };

export interface GgufTensor {
  name: string;
  shape: bigint[];
  type: number;
  typeName: string;
  offset: bigint;
  bytes: bigint;
  elements: bigint;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensor[];
  alignment: number;
  /** Absolute offset of the tensor data section. */
  dataOffset: number;
  /** End of the tensor-info section, before padding. */
  headerEnd: number;
}

export interface GgufWalkOptions {
  /** Longest string value kept in memory (longer ones are skipped, their length recorded). */
  maxKeptString?: number;
  /** Keep the elements of string arrays whose key is in this set (e.g. chat template names). */
  keepStringArrays?: ReadonlySet<string>;
}

const GGML_MAX_NAME = 64;
const GGML_MAX_DIMS = 4;
const DEFAULT_ALIGNMENT = 32;
/**
 * Counts walked at most. Real models carry tens of metadata keys and at most a few thousand
 * tensors; a 200 MB header of 10 million tiny entries took 30 s and 2 GB to walk.
 */
export const MAX_METADATA_KEYS = 65_536;
export const MAX_TENSORS = 262_144;
/** Bool array elements checked per read. */
const BOOL_CHUNK = 1 << 16;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const CHUNK = 1 << 20;
const INT64_MAX = (1n << 63n) - 1n;

/** Sequential reader over a ByteSource with a 1 MB cache and strict bounds. */
class Cursor {
  pos = 0;
  private cacheStart = 0;
  private cache: Uint8Array = new Uint8Array(0);
  private cacheView: DataView = new DataView(new ArrayBuffer(0));
  constructor(private readonly source: ByteSource) {}

  get remaining(): number {
    return this.source.size - this.pos;
  }

  bytes(n: number, what: string): Uint8Array {
    if (n > this.remaining)
      throw new GgufFormatError(
        `${what} needs ${n} bytes but only ${this.remaining} remain`,
        this.pos,
      );
    const from = this.pos - this.cacheStart;
    if (from < 0 || from + n > this.cache.length) {
      this.cacheStart = this.pos;
      this.cache = this.source.read(this.pos, Math.max(n, Math.min(CHUNK, this.remaining)));
      this.cacheView = new DataView(this.cache.buffer, this.cache.byteOffset, this.cache.length);
    }
    const at = this.pos - this.cacheStart;
    this.pos += n;
    return this.cache.subarray(at, at + n);
  }

  skip(n: bigint, what: string): void {
    if (n > BigInt(this.remaining))
      throw new GgufFormatError(
        `${what} needs ${n} bytes but only ${this.remaining} remain`,
        this.pos,
      );
    this.pos += Number(n);
  }

  /** Advances by n and returns a view positioned so that `at` indexes the first byte. */
  private view(n: number, what: string): { v: DataView; at: number } {
    const b = this.bytes(n, what);
    return { v: this.cacheView, at: b.byteOffset - this.cache.byteOffset };
  }
  u8(what: string): number {
    const { v, at } = this.view(1, what);
    return v.getUint8(at);
  }
  u32(what: string): number {
    const { v, at } = this.view(4, what);
    return v.getUint32(at, true);
  }
  u64(what: string): bigint {
    const { v, at } = this.view(8, what);
    return v.getBigUint64(at, true);
  }
  scalar(type: GgufValueTypeId, what: string): number | bigint | boolean {
    const { v, at } = this.view(GGUF_VALUE_TYPES[type].size, what);
    switch (type) {
      case 0:
        return v.getUint8(at);
      case 1:
        return v.getInt8(at);
      case 2:
        return v.getUint16(at, true);
      case 3:
        return v.getInt16(at, true);
      case 4:
        return v.getUint32(at, true);
      case 5:
        return v.getInt32(at, true);
      case 6:
        return v.getFloat32(at, true);
      case 7: {
        const b = v.getUint8(at);
        if (b > 1) throw new GgufFormatError(`${what} is a bool with value ${b}`, this.pos - 1);
        return b === 1;
      }
      case 10:
        return v.getBigUint64(at, true);
      case 11:
        return v.getBigInt64(at, true);
      case 12:
        return v.getFloat64(at, true);
      default:
        throw new GgufFormatError(`${what} is not a scalar`, this.pos);
    }
  }

  /** A length-prefixed string; returns undefined text when longer than `keep`. */
  string(what: string, keep: number): { text: string | undefined; length: number } {
    const start = this.pos;
    // Two u32 halves, not a BigInt: a string array walks this once per element.
    const { v, at } = this.view(8, what);
    const high = v.getUint32(at + 4, true);
    const n = high * 2 ** 32 + v.getUint32(at, true);
    if (high >= 2 ** 21 || n > this.remaining)
      throw new GgufFormatError(
        `${what} declares ${v.getBigUint64(at, true)} bytes but only ${this.remaining} remain`,
        start,
      );
    if (n > keep) {
      this.pos += n;
      return { text: undefined, length: n };
    }
    if (n === 0) return { text: "", length: 0 };
    const raw = this.bytes(n, what);
    try {
      return { text: UTF8.decode(raw), length: n };
    } catch {
      throw new GgufFormatError(`${what} is not valid UTF-8`, start);
    }
  }
}

export function walkGgufHeader(source: ByteSource, options: GgufWalkOptions = {}): GgufHeader {
  const keep = options.maxKeptString ?? 1 << 20;
  const c = new Cursor(source);
  const magic = c.bytes(4, "magic");
  if (String.fromCharCode(...magic) !== "GGUF") throw new GgufFormatError("bad magic", 0);
  const version = c.u32("version");
  if ((version & 0xffff) === 0 && version !== 0)
    throw new GgufFormatError(`version ${version >>> 0} looks big-endian, which is unsupported`, 4);
  if (version !== 2 && version !== 3)
    throw new GgufFormatError(`unsupported GGUF version ${version}`, 4);

  const tensorCount = c.u64("tensor count");
  const kvCount = c.u64("metadata count");
  // Smallest possible entries: a kv is key length (8) + 1 byte key + type (4) + 1 byte value;
  // a tensor info is name length (8) + 1 + n_dims (4) + type (4) + offset (8).
  if (kvCount * 14n > BigInt(c.remaining))
    throw new GgufFormatError(`metadata count ${kvCount} cannot fit in the file`, 16);
  if (tensorCount * 25n > BigInt(c.remaining))
    throw new GgufFormatError(`tensor count ${tensorCount} cannot fit in the file`, 8);
  if (kvCount > BigInt(MAX_METADATA_KEYS))
    throw new GgufLimitError(
      `metadata count ${kvCount} is over modelvet's limit of ${MAX_METADATA_KEYS} keys; not walked`,
      16,
    );
  if (tensorCount > BigInt(MAX_TENSORS))
    throw new GgufLimitError(
      `tensor count ${tensorCount} is over modelvet's limit of ${MAX_TENSORS} tensors; not walked`,
      8,
    );

  const metadata = new Map<string, GgufValue>();
  for (let i = 0n; i < kvCount; i++) {
    const at = c.pos;
    const key = c.string("metadata key", 65_536).text;
    if (key === undefined) throw new GgufFormatError("metadata key longer than 64 KiB", at);
    if (metadata.has(key))
      throw new GgufFormatError(`duplicate metadata key ${JSON.stringify(key)}`, at);
    const type = c.u32(`type of ${key}`);
    if (!isValueType(type))
      throw new GgufFormatError(
        `metadata ${JSON.stringify(key)} has unknown type ${type}`,
        c.pos - 4,
      );
    metadata.set(key, readValue(c, type, key, keep, options.keepStringArrays?.has(key) ?? false));
  }

  let alignment = DEFAULT_ALIGNMENT;
  const align = metadata.get("general.alignment");
  if (align !== undefined) {
    const n = align.type === "number" ? Number(align.value) : 0;
    if (!Number.isInteger(n) || n <= 0 || n > 1 << 30 || (n & (n - 1)) !== 0)
      throw new GgufFormatError("general.alignment is not a power of two", 0);
    alignment = n;
  }

  const tensors: GgufTensor[] = [];
  const names = new Set<string>();
  for (let i = 0n; i < tensorCount; i++) {
    const at = c.pos;
    const name = c.string("tensor name", GGML_MAX_NAME).text;
    if (name === undefined)
      throw new GgufFormatError(`tensor name longer than ${GGML_MAX_NAME} bytes`, at);
    if (names.has(name))
      throw new GgufFormatError(`duplicate tensor name ${JSON.stringify(name)}`, at);
    names.add(name);
    const nDims = c.u32(`dimensions of ${name}`);
    if (nDims > GGML_MAX_DIMS)
      throw new GgufFormatError(
        `tensor ${JSON.stringify(name)} has ${nDims} dimensions`,
        c.pos - 4,
      );
    const shape: bigint[] = [];
    for (let d = 0; d < nDims; d++) shape.push(c.u64(`dimension ${d} of ${name}`));
    const type = c.u32(`type of ${name}`);
    const layout = GGML_TYPES.get(type);
    if (!layout)
      throw new GgufFormatError(
        `tensor ${JSON.stringify(name)} has unknown ggml type ${type}`,
        c.pos - 4,
      );
    const offset = c.u64(`offset of ${name}`);
    const [typeName, block, blockBytes] = layout;
    let elements = 1n;
    for (const d of shape) {
      elements *= d;
      if (d > INT64_MAX || elements > INT64_MAX)
        throw new GgufFormatError(`tensor ${JSON.stringify(name)} has an impossible shape`, at);
    }
    const ne0 = shape[0] ?? 1n;
    if (ne0 % BigInt(block) !== 0n)
      throw new GgufFormatError(
        `tensor ${JSON.stringify(name)}: first dimension ${ne0} is not a multiple of the ${typeName} block (${block})`,
        at,
      );
    const bytes = (elements / BigInt(block)) * BigInt(blockBytes);
    tensors.push({ name, shape, type, typeName, offset, bytes, elements });
  }

  const headerEnd = c.pos;
  const dataOffset = Math.ceil(headerEnd / alignment) * alignment;
  const dataSize = BigInt(source.size) - BigInt(dataOffset);
  if (tensors.length > 0 && dataSize < 0n)
    throw new GgufFormatError("the tensor data section starts past the end of the file", headerEnd);
  // gguf.cpp requires tensors stored in order, each at the aligned end of the previous one.
  let expected = 0n;
  const a = BigInt(alignment);
  for (const t of tensors) {
    if (t.offset % a !== 0n)
      throw new GgufFormatError(
        `tensor ${JSON.stringify(t.name)} offset ${t.offset} is not aligned to ${alignment}`,
        headerEnd,
      );
    if (t.offset !== expected)
      throw new GgufFormatError(
        `tensor ${JSON.stringify(t.name)} is at offset ${t.offset}, expected ${expected} (overlap, gap or reordering)`,
        headerEnd,
      );
    if (t.offset + t.bytes > dataSize)
      throw new GgufFormatError(
        `tensor ${JSON.stringify(t.name)} data [${t.offset}, ${t.offset + t.bytes}) runs past the ${dataSize}-byte data section`,
        headerEnd,
      );
    expected = ((t.offset + t.bytes + a - 1n) / a) * a;
  }
  return { version, metadata, tensors, alignment, dataOffset, headerEnd };
}

function readValue(
  c: Cursor,
  type: GgufValueTypeId,
  key: string,
  keep: number,
  keepArray: boolean,
): GgufValue {
  if (type === 8) {
    const { text, length } = c.string(`value of ${key}`, keep);
    return { type: "string", value: text ?? "", length };
  }
  if (type === 9) {
    const at = c.pos;
    const elementType = c.u32(`element type of ${key}`);
    if (!isValueType(elementType))
      throw new GgufFormatError(
        `array ${JSON.stringify(key)} has unknown element type ${elementType}`,
        at,
      );
    if (elementType === 9)
      throw new GgufFormatError(
        `array ${JSON.stringify(key)} nests arrays, which ggml refuses`,
        at,
      );
    const count = c.u64(`length of ${key}`);
    const info = GGUF_VALUE_TYPES[elementType];
    if (elementType === 8) {
      if (count * 8n > BigInt(c.remaining))
        throw new GgufFormatError(
          `array ${JSON.stringify(key)} declares ${count} strings, more than fit`,
          at,
        );
      const strings: string[] = [];
      const label = `an element of ${key}`;
      for (let i = 0n; i < count; i++) {
        const s = c.string(label, keepArray ? keep : 0);
        if (keepArray && strings.length < 256 && s.text !== undefined) strings.push(s.text);
      }
      return {
        type: "array",
        elementType: info.name,
        length: Number(count),
        ...(keepArray ? { strings } : {}),
      };
    }
    const size = BigInt(info.size) * count;
    if (size > BigInt(c.remaining))
      throw new GgufFormatError(
        `array ${JSON.stringify(key)} declares ${count} elements, more than fit`,
        at,
      );
    if (elementType === 7) {
      // bool arrays: every byte must be 0 or 1, as for scalars.
      // Checked a block at a time: one call per element took 36 s for a 200 MB array.
      for (let left = Number(count); left > 0; ) {
        const n = Math.min(left, BOOL_CHUNK);
        const at = c.pos;
        const block = c.bytes(n, `array ${key}`);
        const bad = block.findIndex((b) => b > 1);
        if (bad >= 0)
          throw new GgufFormatError(
            `an element of ${key} is a bool with value ${block[bad]}`,
            at + bad,
          );
        left -= n;
      }
    } else c.skip(size, `array ${key}`);
    return { type: "array", elementType: info.name, length: Number(count) };
  }
  const value = c.scalar(type, `value of ${key}`);
  return typeof value === "boolean" ? { type: "bool", value } : { type: "number", value };
}
