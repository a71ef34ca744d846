/**
 * One zip member as the loader gets it: its bytes decompressed within the budget, its CRC-32
 * checked, and scanned by its role (the loader's pickles with the archive's storage keys, other
 * pickles, TorchScript code, anything else by its bytes).
 */
import { type Finding, finding } from "../../core/finding.js";
import type { ScanNode } from "../../core/report.js";
import type { ScanContext } from "../context.js";
import { type ByteSource, bytesSource, sliceSource } from "../source.js";
import {
  bunzipCapped,
  capFinding,
  inflateCapped,
  OutputCapError,
  outputCap,
} from "./decompress.js";
import {
  leafNode,
  scanAsPickle,
  scanChildBothWays,
  scanLoaderPickle,
  withFindings,
} from "./member.js";
import { zipStorageIds } from "./torch-ids.js";
import { scanTorchScriptCode } from "./torchscript.js";
import { issueFinding, type MemberRole, torchScriptScope, type ZipLayout } from "./zip-layout.js";
import { crc32, type ZipEntry } from "./zip-reader.js";

const CRC_CHUNK = 1024 * 1024;

/** One archive being scanned: what every member scan needs to know about it. */
export interface ZipScan {
  source: ByteSource;
  ctx: ScanContext;
  layout: ZipLayout;
  /** Names under `<folder>/data/`: the storages a pickle may reference. */
  storageKeys: ReadonlySet<string>;
  /** Storage keys the loader's pickles referenced so far (filled in by scanMember). */
  referenced: Set<string>;
}

function crcOf(source: ByteSource): number {
  let crc = 0;
  for (let at = 0; at < source.size; at += CRC_CHUNK) crc = crc32(source.read(at, CRC_CHUNK), crc);
  return crc >>> 0;
}

type Opened = { data: ByteSource; findings: Finding[] } | { data?: undefined; findings: Finding[] };

/** The member's bytes as the loader would get them, decompressed within the budget. */
export function openMember(source: ByteSource, entry: ZipEntry, ctx: ScanContext): Opened {
  const raw = sliceSource(source, entry.dataOffset, entry.compressedSize);
  if (entry.method === 0) return { data: raw, findings: [] };
  const limits = ctx.budget.limits;
  if (entry.compressedSize > limits.maxInMemoryBytes) {
    return {
      findings: [
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `The compressed member (${entry.compressedSize} bytes) is larger than the in-memory limit.`,
        ),
      ],
    };
  }
  const cap = outputCap(ctx.budget, entry.compressedSize);
  if (entry.uncompressedSize > cap.max) {
    return {
      findings: [capFinding(cap, entry.compressedSize, "The member (by its declared size)")],
    };
  }
  const out = decompress(raw, entry, cap);
  if (!(out instanceof Uint8Array)) return out;
  const findings: Finding[] = [];
  if (!ctx.budget.chargeDecompressed(out.length)) {
    return {
      findings: [
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `The file decompresses past the budget of ${limits.maxDecompressedBytes} bytes; this member was not scanned.`,
        ),
      ],
    };
  }
  if (out.length !== entry.uncompressedSize) {
    findings.push(
      finding(
        "ZIP_MALFORMED",
        "suspicious",
        "The member inflates to a size other than the one declared.",
        {
          expected: entry.uncompressedSize,
          actual: out.length,
        },
      ),
    );
  }
  return { data: bytesSource(out), findings };
}

/** The member's data decompressed (deflate or bzip2) within `cap`, or why it could not be. */
function decompress(
  raw: ByteSource,
  entry: ZipEntry,
  cap: ReturnType<typeof outputCap>,
): Uint8Array | Opened {
  try {
    const compressed = raw.read(0, entry.compressedSize);
    return entry.method === 12
      ? bunzipCapped(compressed, cap)
      : inflateCapped("raw", compressed, cap);
  } catch (error) {
    if (error instanceof OutputCapError)
      return { findings: [capFinding(error.cap, entry.compressedSize, "The member")] };
    return {
      findings: [
        finding(
          "ZIP_MALFORMED",
          "unscannable",
          `The member's compressed data is corrupt: ${(error as Error).message}`,
        ),
      ],
    };
  }
}

export async function scanMember(
  zip: ZipScan,
  entry: ZipEntry,
  role: MemberRole,
): Promise<ScanNode> {
  const { source, ctx, layout, storageKeys, referenced } = zip;
  const entryFindings = entry.issues.map(issueFinding);
  const declaredSize = entry.uncompressedSize;
  const blocked = entry.issues.some(
    (i) =>
      i.code === "ZIP_UNSUPPORTED_COMPRESSION" ||
      (i.code === "ZIP_MALFORMED" && i.verdict === "unscannable"),
  );
  if (!entry.readable || blocked)
    return leafNode(entry.name, "unknown", declaredSize, entryFindings);
  const opened = openMember(source, entry, ctx);
  entryFindings.push(...opened.findings);
  if (!opened.data) return leafNode(entry.name, "unknown", declaredSize, entryFindings);
  const actualCrc = crcOf(opened.data);
  if (actualCrc !== entry.crc32) {
    entryFindings.push(
      finding(
        "ZIP_CRC_MISMATCH",
        "suspicious",
        "The member's CRC-32 does not match its bytes (PyTorch would refuse it, other readers would not); its bytes are scanned anyway.",
        { expected: entry.crc32, actual: actualCrc },
      ),
    );
  }
  let node: ScanNode;
  if (role === "pickle" && "folder" in layout && entry.name.startsWith(`${layout.folder}/`)) {
    const adjust = layout.kind === "torchscript" ? torchScriptScope : undefined;
    const scanned = await scanLoaderPickle(
      ctx,
      opened.data,
      entry.name,
      zipStorageIds(storageKeys),
      adjust,
    );
    node = scanned.node;
    for (const id of scanned.ids)
      if (Array.isArray(id) && typeof id[2] === "string") referenced.add(id[2]);
  } else if (role === "pickle") node = await scanAsPickle(ctx, opened.data, entry.name);
  else if (role === "torchscript-code") node = scanTorchScriptCode(opened.data, entry.name, ctx);
  else node = await scanChildBothWays(ctx, opened.data, entry.name);
  return withFindings(node, entryFindings);
}
