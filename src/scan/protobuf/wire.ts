/**
 * A bounded protobuf wire-format reader over a ByteSource window.
 *
 * Why not protobufjs' Reader: it needs the whole message in memory, and an ONNX model or a
 * SavedModel can hold gigabytes of inline tensor bytes that we never need to see. This reader walks
 * fields with small reads and hands length-delimited fields back as windows, so a caller can
 * descend into the fields it cares about and skip the rest without reading them. Every length is
 * checked against its enclosing window before use; nothing is allocated from a declared length.
 *
 * Wire-format facts: a key is a varint `(field << 3) | wireType`; wire types 0 varint, 1 fixed64,
 * 2 length-delimited, 5 fixed32; 3/4 (groups) are deprecated and rejected here.
 */
import { ScanError } from "../../core/errors.js";
import { type ByteSource, bytesSource, readAheadSource, sliceSource } from "../source.js";

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

/** Field numbers are 29-bit. */
const MAX_FIELD = 2 ** 29 - 1;

/**
 * Fields walked in one message at most. Real messages stay far below (a SentencePiece model's
 * pieces, ~256k, are the largest repeated field we read); a hostile file of 2-byte fields would
 * otherwise cost ~0.6 µs per field, minutes for gigabytes.
 */
export const MAX_FIELDS_PER_MESSAGE = 2_000_000;

/** Windows at most this big are read into memory once, so walking them costs no further reads. */
const INLINE_WINDOW = 16 << 20;

export class ProtoError extends ScanError {
  constructor(message: string, offset: number) {
    super("SCAN_FORMAT", `${message} (protobuf, byte ${offset})`, { offset });
  }
}

/** The walk stopped at a limit of this scanner; the bytes may be valid protobuf. */
export class ProtoLimit extends ProtoError {}

export interface ProtoField {
  field: number;
  wireType: 0 | 1 | 2 | 5;
  /** Absolute offset of the key in the root source. */
  offset: number;
  /** Varint value (wire type 0), or the raw 64/32-bit value for fixed types. */
  value: bigint;
  /** For wire type 2: the payload as a window. */
  window?: ProtoWindow;
}

/** A byte range of a source: one message, walked field by field. */
export class ProtoWindow {
  readonly source: ByteSource;
  /** Absolute offset of this window's first byte in the root source (for messages). */
  readonly base: number;
  readonly length: number;
  private inline: ByteSource | undefined;

  constructor(source: ByteSource, base = 0) {
    this.source = source;
    this.base = base;
    this.length = source.size;
  }

  /** The window's bytes. Callers bound the length first. */
  bytes(): Uint8Array {
    const out = this.source.read(0, this.length);
    if (out.length !== this.length) throw new ProtoError("short read", this.base);
    return out;
  }

  /** The payload as UTF-8 text (invalid sequences replaced), at most `max` bytes. */
  text(max = 4096): string {
    const bytes = this.source.read(0, Math.min(this.length, max));
    return new TextDecoder("utf-8").decode(bytes);
  }

  /** The payload as strict UTF-8, or undefined when it is not valid UTF-8. */
  strictText(max = 4096): string | undefined {
    if (this.length > max) return undefined;
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes());
    } catch {
      return undefined;
    }
  }

  /** Iterates the fields. Throws ProtoError on malformed wire data. */
  *fields(): Generator<ProtoField> {
    // Small windows are read once; large ones through a read-ahead block (small reads per field).
    if (this.inline === undefined && this.length <= INLINE_WINDOW)
      this.inline = bytesSource(this.bytes());
    const src = this.inline ?? readAheadSource(this.source);
    let pos = 0;
    let count = 0;
    while (pos < this.length) {
      const keyOffset = pos;
      if (++count > MAX_FIELDS_PER_MESSAGE)
        throw new ProtoLimit(
          `more than ${MAX_FIELDS_PER_MESSAGE} fields in one message, a limit of this scanner`,
          this.base + keyOffset,
        );
      const head = src.read(pos, Math.min(10, this.length - pos));
      const key = readVarint(head, 0, this.base + pos);
      pos += key.size;
      if (key.value > BigInt(MAX_FIELD * 8 + 7))
        throw new ProtoError("field number out of range", this.base + keyOffset);
      const field = Number(key.value >> 3n);
      const wireType = Number(key.value & 7n);
      if (field === 0) throw new ProtoError("field number 0", this.base + keyOffset);
      switch (wireType) {
        case WIRE_VARINT: {
          const bytes = src.read(pos, Math.min(10, this.length - pos));
          const v = readVarint(bytes, 0, this.base + pos);
          pos += v.size;
          yield { field, wireType, offset: this.base + keyOffset, value: v.value };
          break;
        }
        case WIRE_FIXED64:
        case WIRE_FIXED32: {
          const size = wireType === WIRE_FIXED64 ? 8 : 4;
          if (pos + size > this.length)
            throw new ProtoError("truncated fixed-width field", this.base + pos);
          const b = src.read(pos, size);
          let value = 0n;
          for (let i = size - 1; i >= 0; i--) value = (value << 8n) | BigInt(b[i] ?? 0);
          pos += size;
          yield { field, wireType, offset: this.base + keyOffset, value };
          break;
        }
        case WIRE_LEN: {
          const bytes = src.read(pos, Math.min(10, this.length - pos));
          const len = readVarint(bytes, 0, this.base + pos);
          pos += len.size;
          if (len.value > BigInt(this.length - pos))
            throw new ProtoError(
              `length ${len.value} runs past the end of its message`,
              this.base + keyOffset,
            );
          const n = Number(len.value);
          const window = new ProtoWindow(sliceSource(src, pos, n), this.base + pos);
          pos += n;
          yield { field, wireType, offset: this.base + keyOffset, value: len.value, window };
          break;
        }
        default:
          throw new ProtoError(`unsupported wire type ${wireType}`, this.base + keyOffset);
      }
    }
  }
}

function readVarint(
  bytes: Uint8Array,
  at: number,
  absolute: number,
): { value: bigint; size: number } {
  let value = 0n;
  for (let i = 0; i < 10; i++) {
    const b = bytes[at + i];
    if (b === undefined) throw new ProtoError("truncated varint", absolute);
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if ((b & 0x80) === 0) {
      if (i === 9 && b > 1) throw new ProtoError("varint overflows 64 bits", absolute);
      return { value, size: i + 1 };
    }
  }
  throw new ProtoError("varint longer than 10 bytes", absolute);
}

/** Reads a packed or single varint-typed int64 field as a signed number (two's complement). */
export function asInt64(value: bigint): bigint {
  return value >= 1n << 63n ? value - (1n << 64n) : value;
}
