/**
 * Random-access bytes for scanners. Scanners stay pure: io/ supplies a file-backed source,
 * tests and containers supply in-memory ones. Reads are synchronous so that the pickle walker
 * can run as a tight loop; large files are never read whole.
 */

export interface ByteSource {
  readonly size: number;
  /** Reads up to `length` bytes at `offset`; returns fewer only at the end of the data. */
  read(offset: number, length: number): Uint8Array;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(offset, length) {
      const start = Math.min(Math.max(0, offset), bytes.length);
      return bytes.subarray(start, Math.min(bytes.length, start + Math.max(0, length)));
    },
  };
}

/** A window [start, start+size) of another source, e.g. a stored zip member. */
export function sliceSource(parent: ByteSource, start: number, size: number): ByteSource {
  const end = Math.min(parent.size, start + size);
  const length = Math.max(0, end - start);
  return {
    size: length,
    read(offset, len) {
      const from = Math.min(Math.max(0, offset), length);
      const to = Math.min(length, from + Math.max(0, len));
      return parent.read(start + from, to - from);
    },
  };
}

/**
 * `parent` read through one cached block of `block` bytes, so that many small reads close together
 * cost one read of the parent: a protobuf walk over a large message reads a few bytes per field,
 * and on a file each of those was a system call. Bytes handed out are never changed later (a new
 * block is new memory from the parent).
 */
export function readAheadSource(parent: ByteSource, block = 1 << 20): ByteSource {
  let cached: Uint8Array = new Uint8Array(0);
  let cachedAt = 0;
  return {
    size: parent.size,
    read(offset, length) {
      const from = Math.min(Math.max(0, offset), parent.size);
      const want = Math.min(parent.size - from, Math.max(0, length));
      if (want > block) return parent.read(from, want);
      if (from < cachedAt || from + want > cachedAt + cached.length) {
        cached = parent.read(from, Math.min(block, parent.size - from));
        cachedAt = from;
      }
      return cached.subarray(from - cachedAt, from - cachedAt + want);
    },
  };
}

/** Reads the whole source into memory. Callers must bound `size` first. */
export function readAll(source: ByteSource): Uint8Array {
  return source.read(0, source.size);
}
