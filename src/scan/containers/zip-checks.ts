/**
 * Per-entry checks of the zip reader: local header versus central directory, hiding flags,
 * unsupported methods, data past the end, path escapes, links, and overlapping byte ranges.
 */
import { malformed, type ZipEntry } from "./zip-records.js";

/** General-purpose flag bits no plain model archive sets: encrypted, patched data, strong encryption. */
const HIDING_FLAGS = 0x1 | 0x20 | 0x40;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Finds the end-of-central-directory record the way miniz and CPython do: the last one. */
export type EntryWithRawName = ZipEntry & { nameBytes?: Uint8Array; localNameBytes?: Uint8Array };

export function compareHeaders(entry: EntryWithRawName): void {
  const local = entry.local;
  if (!local) return;
  const mismatch = (what: string, expected: string | number, actual: string | number) =>
    entry.issues.push({
      code: what === "name" ? "ZIP_NAME_MISMATCH" : "ZIP_MALFORMED",
      verdict: "suspicious",
      message: `The local header's ${what} differs from the central directory's; the loader uses the central directory.`,
      offset: entry.localHeaderOffset,
      expected,
      actual,
    });
  if (entry.nameBytes && entry.localNameBytes && !sameBytes(entry.nameBytes, entry.localNameBytes))
    mismatch("name", entry.name, local.name);
  if (local.method !== entry.method) mismatch("compression method", entry.method, local.method);
  if ((local.flags & HIDING_FLAGS) !== (entry.flags & HIDING_FLAGS))
    mismatch("flags", entry.flags, local.flags);
  // With a data descriptor (bit 3) the local sizes and CRC are legitimately zero.
  const descriptor = (local.flags & 0x8) !== 0;
  if (!descriptor || local.compressedSize !== 0 || local.crc32 !== 0) {
    if (local.compressedSize !== entry.compressedSize)
      mismatch("compressed size", entry.compressedSize, local.compressedSize);
    if (local.uncompressedSize !== entry.uncompressedSize)
      mismatch("uncompressed size", entry.uncompressedSize, local.uncompressedSize);
    if (local.crc32 !== entry.crc32) mismatch("CRC-32", entry.crc32, local.crc32);
  }
}

export function checkEntry(entry: ZipEntry, sourceSize: number): void {
  const hiding = (entry.flags | (entry.local?.flags ?? 0)) & HIDING_FLAGS;
  if (hiding !== 0) {
    const what = [
      hiding & 0x1 ? "encrypted (0x1)" : "",
      hiding & 0x20 ? "patched data (0x20)" : "",
      hiding & 0x40 ? "strong encryption (0x40)" : "",
    ].filter(Boolean);
    entry.issues.push({
      code: "ZIP_FLAGS",
      verdict: "suspicious",
      message: `General-purpose flags mark this member ${what.join(", ")}; its bytes are scanned as the loader reads them.`,
      actual: entry.flags,
    });
  }
  // 0 stored, 8 deflate (PyTorch/miniz and CPython), 12 bzip2 (CPython: numpy.load of an .npz).
  if (entry.method !== 0 && entry.method !== 8 && entry.method !== 12) {
    entry.issues.push({
      code: "ZIP_UNSUPPORTED_COMPRESSION",
      verdict: "unscannable",
      message: `Compression method ${entry.method} cannot be read (only stored, deflate and bzip2).`,
      actual: entry.method,
    });
  }
  if (entry.method === 0 && entry.compressedSize !== entry.uncompressedSize) {
    entry.issues.push({
      code: "ZIP_MALFORMED",
      verdict: "suspicious",
      message: "A stored member whose compressed and uncompressed sizes differ.",
      expected: entry.compressedSize,
      actual: entry.uncompressedSize,
    });
  }
  if (entry.readable && entry.dataOffset + entry.compressedSize > sourceSize) {
    entry.readable = false;
    entry.issues.push(
      malformed(
        `The member's data (${entry.compressedSize} bytes at ${entry.dataOffset}) runs past the end of the ${sourceSize}-byte file.`,
        entry.dataOffset,
      ),
    );
  }
  const parts = entry.name.split(/[/\\]/);
  if (/^([/\\]|[A-Za-z]:)/.test(entry.name) || parts.includes("..")) {
    entry.issues.push({
      code: "ARCHIVE_PATH_ESCAPE",
      verdict: "malicious",
      message: "The member name escapes the extraction folder (absolute path or '..').",
    });
  }
  if (entry.symlink) {
    entry.issues.push({
      code: "ARCHIVE_LINK",
      verdict: "suspicious",
      message:
        "The member is a symbolic link; the loader reads its bytes as data, extractors create a link.",
    });
  }
}

/** Members whose byte ranges overlap (each other or the central directory). */
export function findOverlaps(entries: ZipEntry[], cd: { offset: number; size: number }): void {
  const ranges = entries
    .filter((e) => e.readable && e.local)
    .map((e) => ({ e, start: e.localHeaderOffset, end: e.dataOffset + e.compressedSize }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  let previous: (typeof ranges)[number] | undefined;
  for (const r of ranges) {
    if (previous && r.start < previous.end) {
      r.e.issues.push({
        code: "ZIP_OVERLAP",
        verdict: "suspicious",
        message: `This member's bytes overlap those of "${previous.e.name}".`,
        offset: r.start,
      });
    }
    if (r.end > cd.offset && r.start < cd.offset + cd.size) {
      r.e.issues.push({
        code: "ZIP_OVERLAP",
        verdict: "suspicious",
        message: "This member's bytes overlap the central directory.",
        offset: r.start,
      });
    }
    if (!previous || r.end > previous.end) previous = r;
  }
}

/** Reads the central directory and every local header. Throws ScanError when there is no directory. */
