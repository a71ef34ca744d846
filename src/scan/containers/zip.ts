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
 *
 * The parts: zip-layout.ts (layout and member roles), zip-member.ts (one member opened and
 * scanned), zip-reader.ts and zip-records.ts (the directory), this file (the archive's passes).
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { type ByteSource, sliceSource } from "../source.js";
import { leafNode, withFindings } from "./member.js";
import { issueFinding, LAYOUT_FORMAT, memberRole, zipLayout } from "./zip-layout.js";
import { openMember, scanMember, type ZipScan } from "./zip-member.js";
import { pt2RawMembers } from "./zip-pt2.js";
import { readZipDirectory, type ZipEntry } from "./zip-reader.js";
import { findEocd, SIG_CENTRAL, view, zipfileConcat } from "./zip-records.js";

export { torchScriptScope, type ZipLayout, zipLayout } from "./zip-layout.js";

const MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024;

/** What the two passes over an archive's members count and keep. */
interface MemberPasses {
  slots: (ScanNode | undefined)[];
  storages: number;
  storageBytes: number;
  code: string[];
  findings: Finding[];
}

const scanZipAt: Scanner = async (source, ctx) => {
  const dir = readZipDirectory(source, {
    maxEntries: ctx.budget.limits.maxMembers,
    maxCentralDirectoryBytes: Math.min(MAX_CENTRAL_DIRECTORY, ctx.budget.limits.maxInMemoryBytes),
  });
  const layout = zipLayout(dir.entries);
  const storagePrefix = "folder" in layout ? `${layout.folder}/data/` : undefined;
  const storageKeys = new Set(
    storagePrefix
      ? dir.entries
          .filter((e) => e.name.startsWith(storagePrefix))
          .map((e) => e.name.slice(storagePrefix.length))
      : [],
  );
  const zip: ZipScan = { source, ctx, layout, storageKeys, referenced: new Set() };
  const passes: MemberPasses = {
    slots: new Array(dir.entries.length),
    storages: 0,
    storageBytes: 0,
    code: [],
    findings: dir.issues.map(issueFinding),
  };
  // torch.export archives: weights the loader reads as raw bytes (zip-pt2.ts) count as storages.
  const pt2Raw =
    layout.kind === "zip"
      ? pt2RawMembers(dir.entries, (e) =>
          e.readable && e.issues.length === 0 ? openMember(source, e, ctx).data : undefined,
        )
      : new Set<string>();
  const candidates = await scanMembers(zip, dir.entries, pt2Raw, passes);
  await countStorages(zip, candidates, passes);
  return archiveNode(zip, dir.entries.length, pt2Raw.size > 0, passes);
};

/**
 * Pass 1: everything but the storage records, so the pickles say which storages they use.
 * Returns the storage records, for pass 2.
 */
async function scanMembers(
  zip: ZipScan,
  entries: readonly ZipEntry[],
  pt2Raw: ReadonlySet<string>,
  passes: MemberPasses,
): Promise<ZipEntry[]> {
  const candidates: ZipEntry[] = [];
  for (const entry of entries) {
    const role = memberRole(entry, zip.layout);
    if (role === "directory" && entry.issues.length === 0) continue;
    if (pt2Raw.has(entry.name) && entry.issues.length === 0 && zip.ctx.budget.chargeMember()) {
      passes.storages += 1;
      passes.storageBytes += entry.uncompressedSize;
      continue;
    }
    if (role === "storage") {
      candidates.push(entry);
      continue;
    }
    if (role === "torchscript-code") passes.code.push(entry.name);
    passes.slots[entry.index] = await scanMember(zip, entry, role);
  }
  return candidates;
}

/**
 * Pass 2: records under data/ that a pickle references are raw tensor bytes the loader copies
 * and never parses: counted, not read. Any other record there is scanned like any member.
 */
async function countStorages(
  zip: ZipScan,
  candidates: readonly ZipEntry[],
  passes: MemberPasses,
): Promise<void> {
  const { ctx } = zip;
  for (const entry of candidates) {
    const key = entry.name.slice(entry.name.lastIndexOf("/") + 1);
    if (!zip.referenced.has(key)) {
      const node = await scanMember(zip, entry, "other");
      passes.slots[entry.index] = withFindings(node, [
        finding(
          "ARCHIVE_ODD_MEMBER",
          "suspicious",
          "A record under data/ that no pickle references; torch.save never writes one.",
        ),
      ]);
      continue;
    }
    if (!ctx.budget.chargeMember()) {
      passes.findings.push(
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `More than ${ctx.budget.limits.maxMembers} members; the rest were not scanned.`,
        ),
      );
      break;
    }
    passes.storages += 1;
    passes.storageBytes += entry.uncompressedSize;
    if (entry.issues.length > 0)
      passes.slots[entry.index] = leafNode(
        entry.name,
        "tensor-data",
        entry.uncompressedSize,
        entry.issues.map(issueFinding),
      );
  }
}

/** The archive's node: its members in directory order, TorchScript code listed, a summary. */
function archiveNode(zip: ZipScan, entries: number, pt2: boolean, passes: MemberPasses): ScanNode {
  const { layout, ctx } = zip;
  const { code, findings, storages } = passes;
  const members = passes.slots.filter((n): n is ScanNode => n !== undefined);
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
  const summary: Record<string, unknown> = { layout: layout.kind, entries };
  if (pt2) summary.pt2 = true;
  if ("folder" in layout) summary.folder = layout.folder;
  if (storages > 0) {
    summary.storages = storages;
    summary.storageBytes = passes.storageBytes;
  }
  if (code.length > 0) summary.code = code;
  return makeNode({
    path: ctx.path,
    format: LAYOUT_FORMAT[layout.kind],
    size: zip.source.size,
    findings,
    members,
    summary,
  });
}

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
