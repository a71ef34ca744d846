/**
 * A small zip reader that reads the way PyTorch's loader (miniz, via PyTorchStreamReader) reads:
 * members come from the central directory, and a member's data starts at its local header offset
 * plus the local header's own length (30 + local name length + local extra length). Everything
 * the local headers say that disagrees with the central directory is kept as an issue.
 *
 * Why our own reader: the npm zip libraries (yauzl, jszip, adm-zip, unzipper, @zip.js) each pick
 * one view of the archive (central directory or local headers), silently repair or reject
 * disagreements, and do not expose both headers side by side with the raw data offsets. A scanner
 * must see exactly what the loader sees *and* every place where another reader would see
 * something else, so this file parses the records itself. It is pure (node:zlib is computation)
 * and bounded: the central directory is read once with a size cap, member data is never read
 * here, only located.
 */
import { crc32 } from "node:zlib";
import { ScanError } from "../../core/errors.js";
import type { FindingCode } from "../../core/finding.js";
import type { Verdict } from "../../core/verdict.js";
import type { ByteSource } from "../source.js";

export interface ZipIssue {
  code: FindingCode;
  verdict: Verdict;
  message: string;
  offset?: number;
  expected?: string | number;
  actual?: string | number;
}

export interface ZipLocalHeader {
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
}

export interface ZipEntry {
  /** Position in the central directory. */
  index: number;
  /** Name from the central directory: the one the loader looks up. */
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  /** Where the loader starts reading: local header offset + local header length. */
  dataOffset: number;
  /** The local header, when one was found at localHeaderOffset. */
  local?: ZipLocalHeader;
  /** True when the entry is a Unix symbolic link (external attributes). */
  symlink: boolean;
  /** Problems with this entry; the data may still be readable. */
  issues: ZipIssue[];
  /** False when the data cannot be located inside the file at all. */
  readable: boolean;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Problems with the archive as a whole. */
  issues: ZipIssue[];
  centralDirectoryOffset: number;
  centralDirectorySize: number;
}

export interface ZipReadOptions {
  /** Stop (with a budget error) past this many central-directory entries. */
  maxEntries: number;
  /** Largest central directory read into memory. */
  maxCentralDirectoryBytes: number;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** General-purpose flag bits no plain model archive sets: encrypted, patched data, strong encryption. */
const HIDING_FLAGS = 0x1 | 0x20 | 0x40;
const UTF8 = new TextDecoder("utf-8");

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function u64(dv: DataView, at: number): number {
  const value = dv.getBigUint64(at, true);
  // Beyond 2^53 no real file exists; keep it as a number that points past any end.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

function malformed(message: string, offset?: number): ZipIssue {
  return {
    code: "ZIP_MALFORMED",
    verdict: "unscannable",
    message,
    ...(offset === undefined ? {} : { offset }),
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Finds the end-of-central-directory record the way miniz and CPython do: the last one. */
function findEocd(source: ByteSource): { offset: number; record: Uint8Array } {
  const tailLength = Math.min(source.size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = source.size - tailLength;
  const tail = source.read(tailStart, tailLength);
  const dv = view(tail);
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (dv.getUint32(i, true) === SIG_EOCD) {
      return { offset: tailStart + i, record: tail.subarray(i, i + EOCD_SIZE) };
    }
  }
  throw new ScanError(
    "SCAN_FORMAT",
    "zip: no end-of-central-directory record (truncated archive?)",
  );
}

interface CentralLocation {
  offset: number;
  size: number;
  entries: number;
}

function locateCentralDirectory(
  source: ByteSource,
  eocdOffset: number,
  eocd: Uint8Array,
  issues: ZipIssue[],
): CentralLocation {
  const dv = view(eocd);
  const disk = dv.getUint16(4, true);
  const cdDisk = dv.getUint16(6, true);
  const entriesHere = dv.getUint16(8, true);
  const entries = dv.getUint16(10, true);
  const size = dv.getUint32(12, true);
  const offset = dv.getUint32(16, true);
  const location: CentralLocation = { offset, size, entries };
  if (disk !== 0 || cdDisk !== 0 || entriesHere !== entries) {
    issues.push({
      code: "ZIP_MALFORMED",
      verdict: "suspicious",
      message: "The end-of-central-directory record describes a multi-disk archive.",
      offset: eocdOffset,
    });
  }

  // Zip64: a locator just before the EOCD points at the zip64 end record.
  if (eocdOffset >= 20) {
    const locator = view(source.read(eocdOffset - 20, 20));
    if (locator.byteLength === 20 && locator.getUint32(0, true) === SIG_EOCD64_LOCATOR) {
      const recordOffset = u64(locator, 8);
      const record = source.read(recordOffset, 56);
      const z = view(record);
      if (record.length < 56 || z.getUint32(0, true) !== SIG_EOCD64) {
        issues.push(malformed("The zip64 locator points at no zip64 end record.", eocdOffset - 20));
      } else {
        const z64 = { entries: u64(z, 32), size: u64(z, 40), offset: u64(z, 48) };
        const pick = (narrow: number, wide: number, saturated: number, what: string): number => {
          if (narrow === saturated) return wide;
          if (narrow !== wide) {
            issues.push({
              code: "ZIP_MALFORMED",
              verdict: "suspicious",
              message: `The zip64 end record and the end record disagree about the ${what}.`,
              offset: recordOffset,
              expected: narrow,
              actual: wide,
            });
          }
          return wide;
        };
        location.entries = pick(entries, z64.entries, 0xffff, "entry count");
        location.size = pick(size, z64.size, 0xffffffff, "central directory size");
        location.offset = pick(offset, z64.offset, 0xffffffff, "central directory offset");
      }
    }
  }
  if (location.offset + location.size > source.size) {
    throw new ScanError(
      "SCAN_FORMAT",
      `zip: the central directory (${location.size} bytes at ${location.offset}) lies outside the ${source.size}-byte file`,
    );
  }
  return location;
}

interface Zip64Values {
  uncompressed?: number;
  compressed?: number;
  offset?: number;
}

/** Reads the zip64 extra field (id 1); only the saturated fields are present, in this order. */
function readZip64Extra(
  extra: Uint8Array,
  want: { uncompressed: boolean; compressed: boolean; offset: boolean },
): Zip64Values | undefined {
  const dv = view(extra);
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = dv.getUint16(at, true);
    const len = dv.getUint16(at + 2, true);
    if (id === 1) {
      const out: Zip64Values = {};
      let p = at + 4;
      const end = Math.min(at + 4 + len, extra.length);
      if (want.uncompressed && p + 8 <= end) {
        out.uncompressed = u64(dv, p);
        p += 8;
      }
      if (want.compressed && p + 8 <= end) {
        out.compressed = u64(dv, p);
        p += 8;
      }
      if (want.offset && p + 8 <= end) out.offset = u64(dv, p);
      return out;
    }
    at += 4 + len;
  }
  return undefined;
}

function readLocalHeader(source: ByteSource, entry: EntryWithRawName): void {
  const at = entry.localHeaderOffset;
  const fixed = source.read(at, 30);
  if (fixed.length < 30 || view(fixed).getUint32(0, true) !== SIG_LOCAL) {
    entry.readable = false;
    entry.issues.push(malformed(`No local header at offset ${at} for "${entry.name}".`, at));
    return;
  }
  const dv = view(fixed);
  const nameLength = dv.getUint16(26, true);
  const extraLength = dv.getUint16(28, true);
  const rest = source.read(at + 30, nameLength + extraLength);
  if (rest.length < nameLength + extraLength) {
    entry.readable = false;
    entry.issues.push(malformed(`The local header of "${entry.name}" is cut off.`, at));
    return;
  }
  const nameBytes = rest.subarray(0, nameLength);
  let compressedSize = dv.getUint32(18, true);
  let uncompressedSize = dv.getUint32(22, true);
  if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff) {
    const z = readZip64Extra(rest.subarray(nameLength), {
      uncompressed: uncompressedSize === 0xffffffff,
      compressed: compressedSize === 0xffffffff,
      offset: false,
    });
    if (z?.uncompressed !== undefined) uncompressedSize = z.uncompressed;
    if (z?.compressed !== undefined) compressedSize = z.compressed;
  }
  entry.local = {
    name: UTF8.decode(nameBytes),
    flags: dv.getUint16(6, true),
    method: dv.getUint16(8, true),
    crc32: dv.getUint32(14, true),
    compressedSize,
    uncompressedSize,
  };
  entry.dataOffset = at + 30 + nameLength + extraLength;
  entry.localNameBytes = nameBytes;
}

type EntryWithRawName = ZipEntry & { nameBytes?: Uint8Array; localNameBytes?: Uint8Array };

function compareHeaders(entry: EntryWithRawName): void {
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

function checkEntry(entry: ZipEntry, sourceSize: number): void {
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
  if (entry.method !== 0 && entry.method !== 8) {
    entry.issues.push({
      code: "ZIP_UNSUPPORTED_COMPRESSION",
      verdict: "unscannable",
      message: `Compression method ${entry.method} cannot be read (only stored and deflate).`,
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
function findOverlaps(entries: ZipEntry[], cd: { offset: number; size: number }): void {
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
export function readZipDirectory(source: ByteSource, options: ZipReadOptions): ZipDirectory {
  const issues: ZipIssue[] = [];
  const eocd = findEocd(source);
  const cd = locateCentralDirectory(source, eocd.offset, eocd.record, issues);
  if (cd.size > options.maxCentralDirectoryBytes) {
    throw new ScanError(
      "SCAN_BUDGET",
      `zip: central directory of ${cd.size} bytes is larger than ${options.maxCentralDirectoryBytes}`,
    );
  }
  const dirBytes = source.read(cd.offset, cd.size);
  const dv = view(dirBytes);
  const entries: EntryWithRawName[] = [];
  const seen = new Map<string, number>();
  let at = 0;
  // miniz walks `entries` records; CPython walks the directory's bytes. Walk until either ends,
  // and report any record past the declared count (one of the two readers would miss it).
  while (at + 46 <= dirBytes.length && dv.getUint32(at, true) === SIG_CENTRAL) {
    if (entries.length >= options.maxEntries) {
      throw new ScanError("SCAN_BUDGET", `zip: more than ${options.maxEntries} entries`);
    }
    const nameLength = dv.getUint16(at + 28, true);
    const extraLength = dv.getUint16(at + 30, true);
    const commentLength = dv.getUint16(at + 32, true);
    const recordEnd = at + 46 + nameLength + extraLength + commentLength;
    if (recordEnd > dirBytes.length) {
      issues.push(malformed("A central-directory record is cut off.", cd.offset + at));
      break;
    }
    const nameBytes = dirBytes.subarray(at + 46, at + 46 + nameLength);
    const extra = dirBytes.subarray(at + 46 + nameLength, at + 46 + nameLength + extraLength);
    let compressedSize = dv.getUint32(at + 20, true);
    let uncompressedSize = dv.getUint32(at + 24, true);
    let localHeaderOffset = dv.getUint32(at + 42, true);
    const want = {
      uncompressed: uncompressedSize === 0xffffffff,
      compressed: compressedSize === 0xffffffff,
      offset: localHeaderOffset === 0xffffffff,
    };
    if (want.uncompressed || want.compressed || want.offset) {
      const z = readZip64Extra(extra, want);
      if (z?.uncompressed !== undefined) uncompressedSize = z.uncompressed;
      if (z?.compressed !== undefined) compressedSize = z.compressed;
      if (z?.offset !== undefined) localHeaderOffset = z.offset;
    }
    const versionMadeBy = dv.getUint16(at + 4, true);
    const external = dv.getUint32(at + 38, true);
    const entry: EntryWithRawName = {
      index: entries.length,
      name: UTF8.decode(nameBytes),
      nameBytes,
      flags: dv.getUint16(at + 8, true),
      method: dv.getUint16(at + 10, true),
      crc32: dv.getUint32(at + 16, true),
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
      dataOffset: localHeaderOffset,
      symlink: versionMadeBy >> 8 === 3 && ((external >>> 16) & 0o170000) === 0o120000,
      issues: [],
      readable: true,
    };
    if (entries.length === cd.entries) {
      entry.issues.push({
        code: "ZIP_MALFORMED",
        verdict: "suspicious",
        message: `The central directory holds more records than the ${cd.entries} its end record declares; some readers would not see this member.`,
      });
    }
    const firstIndex = seen.get(entry.name);
    if (firstIndex !== undefined) {
      entry.issues.push({
        code: "ZIP_MALFORMED",
        verdict: "suspicious",
        message: `The name "${entry.name}" appears more than once; readers disagree on which copy they load, so every copy is scanned.`,
      });
    } else seen.set(entry.name, entry.index);
    readLocalHeader(source, entry);
    compareHeaders(entry);
    checkEntry(entry, source.size);
    entries.push(entry);
    at = recordEnd;
  }
  if (entries.length < cd.entries) {
    issues.push(
      malformed(
        `The end record declares ${cd.entries} entries but the central directory holds ${entries.length}.`,
        cd.offset + at,
      ),
    );
  }
  findOverlaps(entries, cd);
  for (const e of entries) {
    delete e.nameBytes;
    delete e.localNameBytes;
  }
  return { entries, issues, centralDirectoryOffset: cd.offset, centralDirectorySize: cd.size };
}

export { crc32 };
