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
import type { ByteSource } from "../source.js";
import { checkEntry, compareHeaders, type EntryWithRawName, findOverlaps } from "./zip-checks.js";
import {
  findEocd,
  locateCentralDirectory,
  malformed,
  readZip64Extra,
  SIG_CENTRAL,
  SIG_LOCAL,
  view,
  type ZipEntry,
  type ZipIssue,
} from "./zip-records.js";

export type { ZipEntry, ZipIssue, ZipLocalHeader } from "./zip-records.js";

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

const UTF8 = new TextDecoder("utf-8");

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
