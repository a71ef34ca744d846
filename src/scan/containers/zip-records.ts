/**
 * Zip records: the end-of-central-directory record (and its zip64 form), the zip64 extra field,
 * and the entry/issue types the reader produces. Pure parsing over a ByteSource.
 */
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

export const SIG_LOCAL = 0x04034b50;
export const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

export function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function u64(dv: DataView, at: number): number {
  const value = dv.getBigUint64(at, true);
  // Beyond 2^53 no real file exists; keep it as a number that points past any end.
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}

export function malformed(message: string, offset?: number): ZipIssue {
  return {
    code: "ZIP_MALFORMED",
    verdict: "unscannable",
    message,
    ...(offset === undefined ? {} : { offset }),
  };
}

export function findEocd(source: ByteSource): { offset: number; record: Uint8Array } {
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

export interface CentralLocation {
  offset: number;
  size: number;
  entries: number;
}

export function locateCentralDirectory(
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
export function readZip64Extra(
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

/**
 * Where Python's zipfile (`ZipFile`, np.load of an npz, keras) finds the archive inside the
 * file: it locates the end record from the end, takes the central directory to end right before
 * it (before the zip64 end record and locator when there are), and shifts every offset by
 * `concat` = that start minus the offset the end record declares: bytes prepended to a zip (a
 * self-extracting stub, a decoy) are skipped. Returns `concat` (0 when the archive is where it says
 * it is, or there is no such directory); positive only when a central-directory record really
 * starts at the corrected place.
 */
export function zipfileConcat(source: ByteSource): number {
  let eocd: { offset: number; record: Uint8Array };
  let location: CentralLocation;
  let zip64 = false;
  try {
    eocd = findEocd(source);
    location = locateCentralDirectory(source, eocd.offset, eocd.record, []);
    if (eocd.offset >= 20) {
      const locator = view(source.read(eocd.offset - 20, 20));
      zip64 = locator.byteLength === 20 && locator.getUint32(0, true) === SIG_EOCD64_LOCATOR;
    }
  } catch {
    return 0;
  }
  const start = eocd.offset - location.size - (zip64 ? 56 + 20 : 0);
  const concat = start - location.offset;
  if (concat <= 0 || location.size < 46) return 0;
  const head = source.read(start, 4);
  return head.length === 4 && view(head).getUint32(0, true) === SIG_CENTRAL ? concat : 0;
}
