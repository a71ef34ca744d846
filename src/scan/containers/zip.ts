/**
 * Zip archives: plain zips, PyTorch checkpoints (torch.save), TorchScript archives (torch.jit.save),
 * numpy .npz. Members come from the central directory and their data from the local-header offsets,
 * as PyTorch reads them (see zip-reader.ts); every disagreement is a finding and the data is still
 * scanned the way the loader would see it.
 *
 * PyTorch layout (PyTorchStreamReader): the archive's folder is the first central-directory name up
 * to its first '/'; torch.load unpickles `<folder>/data.pkl` and reads `<folder>/data/<key>` as raw
 * tensor bytes; `constants.pkl` in the folder makes it a TorchScript archive, whose `code/` holds
 * TorchScript sources run by TorchScript's own interpreter. Raw storages are data: they are counted,
 * never read or sniffed. Members the loader unpickles (`*.pkl`) go to the pickle scanner whatever
 * their bytes look like; every other member is detected from its bytes (C1).
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { ScanContext, Scanner } from "../context.js";
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
import { pt2RawMembers } from "./zip-pt2.js";
import { crc32, readZipDirectory, type ZipEntry, type ZipIssue } from "./zip-reader.js";
import { findEocd, SIG_CENTRAL, view, zipfileConcat } from "./zip-records.js";

const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;
const CRC_CHUNK = 1024 * 1024;

export type ZipLayout =
  | { kind: "pytorch" | "torchscript"; folder: string }
  | { kind: "npz" | "keras" | "zip" };

type MemberRole = "storage" | "pickle" | "torchscript-code" | "directory" | "other";

function issueFinding(issue: ZipIssue): Finding {
  const { code, verdict, message, ...extra } = issue;
  return finding(code, verdict, message, extra);
}

/** Decides the layout from the names, the way the loaders do. */
export function zipLayout(entries: readonly ZipEntry[]): ZipLayout {
  const names = new Set(entries.map((e) => e.name));
  const first = entries[0]?.name ?? "";
  const slash = first.indexOf("/");
  if (slash > 0) {
    const folder = first.slice(0, slash);
    if (names.has(`${folder}/constants.pkl`)) return { kind: "torchscript", folder };
    if (names.has(`${folder}/data.pkl`)) return { kind: "pytorch", folder };
  }
  if (names.has("config.json") && names.has("metadata.json")) return { kind: "keras" };
  if (entries.length > 0 && entries.every((e) => e.name.endsWith(".npy"))) return { kind: "npz" };
  return { kind: "zip" };
}

function memberRole(entry: ZipEntry, layout: ZipLayout): MemberRole {
  const name = entry.name;
  if (name.endsWith("/") && entry.uncompressedSize === 0) return "directory";
  if (name.endsWith(".pkl") || name.endsWith(".debug_pkl")) return "pickle";
  if (layout.kind === "pytorch" || layout.kind === "torchscript") {
    const prefix = `${layout.folder}/`;
    if (name.startsWith(`${prefix}data/`) && !name.slice(prefix.length + 5).includes("/"))
      return "storage";
    if (layout.kind === "torchscript" && name.startsWith(`${prefix}code/`) && name.endsWith(".py"))
      return "torchscript-code";
  }
  return "other";
}

function crcOf(source: ByteSource): number {
  let crc = 0;
  for (let at = 0; at < source.size; at += CRC_CHUNK) crc = crc32(source.read(at, CRC_CHUNK), crc);
  return crc >>> 0;
}

type Opened = { data: ByteSource; findings: Finding[] } | { data?: undefined; findings: Finding[] };

/** The member's bytes as the loader would get them, decompressed within the budget. */
function openMember(source: ByteSource, entry: ZipEntry, ctx: ScanContext): Opened {
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
  let out: Uint8Array;
  try {
    const compressed = raw.read(0, entry.compressedSize);
    out =
      entry.method === 12 ? bunzipCapped(compressed, cap) : inflateCapped("raw", compressed, cap);
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

async function scanMember(
  source: ByteSource,
  entry: ZipEntry,
  role: MemberRole,
  ctx: ScanContext,
  layout: ZipLayout,
  storageKeys: ReadonlySet<string>,
  referenced: Set<string>,
): Promise<ScanNode> {
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

/**
 * In a TorchScript archive the pickles are read by TorchScript's C++ unpickler, which resolves
 * `__torch__.*` to classes compiled from the archive's own code/ and `torch.jit._pickle.*` to
 * built-in list/tensor rebuilders; it cannot import Python modules. Findings about those two names
 * are therefore not about Python imports: they are dropped from the member (one TorchScript model
 * has hundreds) and the names are listed in its summary. Every other name keeps its verdict (a
 * pickle that names posix.system is malicious whoever reads it).
 */
export function torchScriptScope(f: Finding): string | undefined {
  const name = f.global ? `${f.global.module}.${f.global.name}` : f.call?.callable;
  if (name === undefined || !/^(__torch__|torch\.jit\._pickle)\./.test(name)) return undefined;
  if (
    f.code !== "PICKLE_UNKNOWN_GLOBAL" &&
    f.code !== "PICKLE_DANGEROUS_GLOBAL" &&
    f.code !== "PICKLE_DANGEROUS_CALL"
  )
    return undefined;
  return name;
}

const LAYOUT_FORMAT: Record<ZipLayout["kind"], string> = {
  pytorch: "pytorch-zip",
  torchscript: "torchscript",
  npz: "npz",
  keras: "keras-zip",
  zip: "zip",
};

const scanZipAt: Scanner = async (source, ctx) => {
  const dir = readZipDirectory(source, {
    maxEntries: ctx.budget.limits.maxMembers,
    maxCentralDirectoryBytes: Math.min(MAX_CENTRAL_DIRECTORY, ctx.budget.limits.maxInMemoryBytes),
  });
  const findings = dir.issues.map(issueFinding);
  const layout = zipLayout(dir.entries);
  const storagePrefix = "folder" in layout ? `${layout.folder}/data/` : undefined;
  const storageKeys = new Set(
    storagePrefix
      ? dir.entries
          .filter((e) => e.name.startsWith(storagePrefix))
          .map((e) => e.name.slice(storagePrefix.length))
      : [],
  );
  const slots: (ScanNode | undefined)[] = new Array(dir.entries.length);
  const referenced = new Set<string>();
  let storages = 0;
  let storageBytes = 0;
  const code: string[] = [];
  const candidates: ZipEntry[] = [];
  // torch.export archives: weights the loader reads as raw bytes (zip-pt2.ts) count as storages.
  const pt2Raw =
    layout.kind === "zip"
      ? pt2RawMembers(dir.entries, (e) =>
          e.readable && e.issues.length === 0 ? openMember(source, e, ctx).data : undefined,
        )
      : new Set<string>();
  // Pass 1: everything but the storage records, so the pickles say which storages they use.
  for (const entry of dir.entries) {
    const role = memberRole(entry, layout);
    if (role === "directory" && entry.issues.length === 0) continue;
    if (pt2Raw.has(entry.name) && entry.issues.length === 0 && ctx.budget.chargeMember()) {
      storages += 1;
      storageBytes += entry.uncompressedSize;
      continue;
    }
    if (role === "storage") {
      candidates.push(entry);
      continue;
    }
    if (role === "torchscript-code") code.push(entry.name);
    slots[entry.index] = await scanMember(
      source,
      entry,
      role,
      ctx,
      layout,
      storageKeys,
      referenced,
    );
  }
  // Pass 2: records under data/ that a pickle references are raw tensor bytes the loader copies
  // and never parses: counted, not read. Any other record there is scanned like any member.
  for (const entry of candidates) {
    const key = entry.name.slice(entry.name.lastIndexOf("/") + 1);
    if (!referenced.has(key)) {
      const node = await scanMember(source, entry, "other", ctx, layout, storageKeys, referenced);
      slots[entry.index] = withFindings(node, [
        finding(
          "ARCHIVE_ODD_MEMBER",
          "suspicious",
          "A record under data/ that no pickle references; torch.save never writes one.",
        ),
      ]);
      continue;
    }
    if (!ctx.budget.chargeMember()) {
      findings.push(
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `More than ${ctx.budget.limits.maxMembers} members; the rest were not scanned.`,
        ),
      );
      break;
    }
    storages += 1;
    storageBytes += entry.uncompressedSize;
    if (entry.issues.length > 0)
      slots[entry.index] = leafNode(
        entry.name,
        "tensor-data",
        entry.uncompressedSize,
        entry.issues.map(issueFinding),
      );
  }
  const members = slots.filter((n): n is ScanNode => n !== undefined);
  if (code.length > 0) {
    findings.push(
      finding(
        "TORCHSCRIPT_CODE",
        "clean",
        `TorchScript archive with ${code.length} code file(s); TorchScript code runs in TorchScript's interpreter, not Python, and is listed for review.`,
        { evidence: { files: code.slice(0, 50) } },
      ),
    );
  }
  const summary: Record<string, unknown> = { layout: layout.kind, entries: dir.entries.length };
  if (pt2Raw.size > 0) summary.pt2 = true;
  if ("folder" in layout) summary.folder = layout.folder;
  if (storages > 0) {
    summary.storages = storages;
    summary.storageBytes = storageBytes;
  }
  if (code.length > 0) summary.code = code;
  return makeNode({
    path: ctx.path,
    format: LAYOUT_FORMAT[layout.kind],
    size: source.size,
    findings,
    members,
    summary,
  });
};

/**
 * A zip is read where Python's zipfile reads it (zip-records.ts zipfileConcat): with data in front
 * of it, zipfile (np.load of an npz, keras) skips that data and finds every member, so modelvet
 * does the same, reports the prepended bytes, and scans the members (offsets in member findings
 * are then from the archive's start). When the offset the end record declares also holds a
 * central directory (miniz, torch.load, does not correct offsets), that reading is scanned too.
 */
export const scanZip: Scanner = async (source, ctx, detection) => {
  const concat = zipfileConcat(source);
  if (concat === 0) return scanZipAt(source, ctx, detection);
  const node = await scanZipAt(sliceSource(source, concat, source.size - concat), ctx, detection);
  const findings: Finding[] = [
    finding(
      "ZIP_MALFORMED",
      "suspicious",
      `${concat} bytes precede the zip archive; Python's zipfile (np.load, keras) skips them and reads the members, which were scanned from offset ${concat}. No writer of model files puts data there.`,
      { offset: 0, evidence: { prepended: concat } },
    ),
  ];
  let members = node.members ?? [];
  if (declaredCentralHolds(source)) {
    try {
      const unshifted = await scanZipAt(
        source,
        { ...ctx, path: `${ctx.path}#as-declared` },
        detection,
      );
      members = [...members, unshifted];
    } catch (error) {
      findings.push(
        finding(
          "ZIP_MALFORMED",
          "unscannable",
          `The archive read at the offsets its end record declares could not be scanned: ${String(error)}.`,
        ),
      );
    }
  }
  return makeNode({
    path: ctx.path,
    format: node.format,
    size: source.size,
    findings: [...findings, ...node.findings],
    members,
    ...(node.summary === undefined ? {} : { summary: { ...node.summary, prepended: concat } }),
  });
};

/** A central-directory record starts at the offset the end record declares (no correction). */
function declaredCentralHolds(source: ByteSource): boolean {
  try {
    const eocd = findEocd(source);
    const offset = view(eocd.record).getUint32(16, true);
    const head = source.read(offset, 4);
    return head.length === 4 && view(head).getUint32(0, true) === SIG_CENTRAL;
  } catch {
    return false;
  }
}
