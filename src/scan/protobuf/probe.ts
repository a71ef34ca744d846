/**
 * Is this a protobuf message? Protobuf has no magic number, and writers omit fields that hold their
 * default value, so the first byte says little: a SavedModel whose schema version is 0 starts with
 * field 2 (0x12), an ONNX model without ir_version with producer_name (0x12) or graph (0x3a).
 * detect.ts runs this probe on every file that matched no earlier rule, so it walks only the
 * top-level field chain, with one small read per field, and never throws:
 *
 * - a key is a varint of at most two bytes (field 1..2047: the messages the scanner classifies use
 *   top-level fields 1–26) with wire type 0, 1, 2 or 5 (3/4 are deprecated groups);
 * - a varint value has at most 10 bytes (the tenth at most 1, i.e. it fits 64 bits);
 * - a fixed32/fixed64 value and a length-delimited payload end inside the file;
 * - no scalar field (wire type 0, 1 or 5) comes more than MAX_SCALAR_REPEATS times: the top-level
 *   scalars of the messages the scanner classifies are singular (ONNX is proto2, so a repeated
 *   scalar would come once per element), while a run of one scalar key is what a tensor filled
 *   with one constant looks like (0x28 0xe9 0xd5 0x3f, the float 1.6711779, reads as field 5, a
 *   varint, over and over).
 *
 * The chain must either end exactly at the end of the file or hold PROBE_FIELDS well-formed fields
 * in a row. Random bytes pass one field about half the time (the wire type alone), so they pass
 * the probe with odds near 2^-PROBE_FIELDS unless they are short enough to end on a field boundary
 * by chance; those land in the scanner, whose classifier parses the whole message and reports
 * anything it cannot place as not scanned (see scan.ts), so passing the probe never makes a file
 * clean by itself.
 */
import type { ByteSource } from "../source.js";

/** Detection detail for a protobuf recognised by this probe rather than by its first byte. */
export const PROTOBUF_BY_STRUCTURE = "by structure";

/** Well-formed top-level fields in a row that count as protobuf when the file is longer. */
export const PROBE_FIELDS = 32;

/** Largest top-level field number the probe accepts (a two-byte key). */
const MAX_PROBE_FIELD = 2047;

/** How often one scalar field may come at the top level. */
const MAX_SCALAR_REPEATS = 4;

/** Key (≤ 2 bytes) plus the longest varint (10 bytes), with room to spare. */
const READ = 16;

/** Reads a varint at `at` of `bytes`; undefined when it is cut short or longer than `max` bytes. */
function varint(
  bytes: Uint8Array,
  at: number,
  max: number,
): { value: number; size: number } | undefined {
  let value = 0;
  for (let i = 0; i < max; i++) {
    const b = bytes[at + i];
    if (b === undefined) return undefined;
    // Past 2^53 the value is no longer exact, but then it exceeds any file size, which is all
    // the caller compares it with.
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (i === 9 && b > 1) return undefined; // more than 64 bits
      return { value, size: i + 1 };
    }
  }
  return undefined;
}

/**
 * True when the top-level field chain of `source` is well-formed protobuf (see the module comment).
 * `head` is the first bytes of the source, already read by the caller; reads past it are small.
 */
export function looksLikeProtobuf(source: ByteSource, head: Uint8Array): boolean {
  const size = source.size;
  let pos = 0;
  const scalars = new Map<number, number>();
  for (let fields = 0; fields < PROBE_FIELDS; fields++) {
    if (pos === size) return fields > 0;
    const bytes =
      pos + READ <= head.length ? head.subarray(pos, pos + READ) : source.read(pos, READ);
    const key = varint(bytes, 0, 2);
    if (!key) return false;
    const field = key.value >>> 3;
    const wireType = key.value & 7;
    if (field < 1 || field > MAX_PROBE_FIELD) return false;
    if (wireType !== 2) {
      const seen = (scalars.get(key.value) ?? 0) + 1;
      if (seen > MAX_SCALAR_REPEATS) return false;
      scalars.set(key.value, seen);
    }
    let at = key.size;
    switch (wireType) {
      case 0: {
        const v = varint(bytes, at, 10);
        if (!v) return false;
        at += v.size;
        break;
      }
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        const len = varint(bytes, at, 10);
        if (!len) return false;
        at += len.size;
        if (len.value > size - pos - at) return false;
        at += len.value;
        break;
      }
      default:
        return false;
    }
    if (pos + at > size) return false;
    pos += at;
  }
  return true;
}
