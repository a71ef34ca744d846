/**
 * The `storages` and `tensors` members of PyTorch's legacy tar format (torch/serialization.py
 * legacy_load). `storages`: a count pickle, then per storage a `(key, location, storage type)`
 * pickle followed by an 8-byte element count and the raw bytes, then a storage-views pickle.
 * `tensors`: a count pickle, then per tensor a `(key, storage id, tensor type)` pickle followed by
 * int32 ndim, 4 skipped bytes, ndim int64 sizes, ndim int64 strides and an int64 storage offset.
 * Every pickle is walked and evaluated; the raw bytes are skipped by their counts.
 */
import type { Finding } from "../../core/finding.js";
import type { ScanNode } from "../../core/report.js";
import type { ScanContext } from "../context.js";
import type { ByteSource } from "../source.js";
import { decodeLiteralPickle, type LiteralValue } from "./literal-pickle.js";
import {
  isGlobal,
  malformed,
  readU64,
  type StackScan,
  stackedMember,
  storageElementSize,
} from "./torch-legacy.js";

/**
 * The count pickle that opens the `storages` and `tensors` streams: it must end, be a plain
 * number, and stay within the member budget. Otherwise the stream ends here with a finding.
 */
function readCount(
  source: ByteSource,
  ctx: ScanContext,
  noun: "storage" | "tensor",
  label: string,
  members: ScanNode[],
  base: string,
): { count: number; end: number } | { early: StackScan } {
  const result = stackedMember(source, ctx, 0, label, members, base);
  const stop = (message: string): { early: StackScan } => ({
    early: { members, findings: [malformed(message)], end: result.end, summary: {} },
  });
  if (!result.complete) return stop(`The ${noun} count pickle does not end.`);
  let count: LiteralValue;
  try {
    count = decodeLiteralPickle(source, 0).value;
  } catch (error) {
    return stop(`The ${noun} count is not plain data: ${(error as Error).message}`);
  }
  if (typeof count !== "number" || count < 0 || count > ctx.budget.limits.maxMembers) {
    const Noun = noun === "storage" ? "Storage" : "Tensor";
    return stop(`${Noun} count ${String(count)} is out of range.`);
  }
  return { count, end: result.end };
}

/** The `storages` member of the legacy tar format. */
export function scanTarStorages(source: ByteSource, ctx: ScanContext, base: string): StackScan {
  const members: ScanNode[] = [];
  const findings: Finding[] = [];
  const counted = readCount(source, ctx, "storage", "storages-count", members, base);
  if ("early" in counted) return counted.early;
  const count = counted.count;
  let offset = counted.end;
  for (let i = 0; i < count; i++) {
    const r = stackedMember(source, ctx, offset, `storage-${i}`, members, base);
    if (!r.complete) {
      findings.push(malformed(`The pickle of storage ${i} does not end.`, "unscannable", r.end));
      return { members, findings, end: r.end, summary: { storages: count } };
    }
    let args: LiteralValue | undefined;
    try {
      args = decodeLiteralPickle(source, offset).value;
    } catch (error) {
      findings.push(
        malformed(
          `Storage ${i}'s (key, location, type) is not plain data: ${(error as Error).message}`,
        ),
      );
      return { members, findings, end: r.end, summary: { storages: count } };
    }
    const type = Array.isArray(args) ? args[2] : undefined;
    const elementSize = isGlobal(type) ? storageElementSize(type.global) : undefined;
    if (elementSize === undefined) {
      findings.push(malformed(`Storage ${i} has an unknown storage type.`));
      return { members, findings, end: r.end, summary: { storages: count } };
    }
    const n = readU64(source, r.end, `storage ${i}`);
    offset = r.end + 8 + n * elementSize;
    if (offset > source.size) {
      findings.push(
        malformed(`Storage ${i} runs past the end of the member.`, "unscannable", r.end),
      );
      return { members, findings, end: source.size, summary: { storages: count } };
    }
  }
  // Then one more pickle: the list of storage views (target, root, offset, numel).
  const views = stackedMember(source, ctx, offset, "storage-views", members, base);
  if (!views.complete) {
    findings.push(malformed("The storage-views pickle does not end.", "unscannable", views.end));
    return { members, findings, end: views.end, summary: { storages: count } };
  }
  offset = views.end;
  if (offset < source.size)
    findings.push(
      malformed(`${source.size - offset} bytes follow the storage views.`, "suspicious", offset),
    );
  return { members, findings, end: offset, summary: { storages: count } };
}

/** The `tensors` member of the legacy tar format. */
export function scanTarTensors(source: ByteSource, ctx: ScanContext, base: string): StackScan {
  const members: ScanNode[] = [];
  const findings: Finding[] = [];
  const counted = readCount(source, ctx, "tensor", "tensors-count", members, base);
  if ("early" in counted) return counted.early;
  const count = counted.count;
  let offset = counted.end;
  for (let i = 0; i < count; i++) {
    const r = stackedMember(source, ctx, offset, `tensor-${i}`, members, base);
    if (!r.complete) {
      findings.push(malformed(`The pickle of tensor ${i} does not end.`, "unscannable", r.end));
      return { members, findings, end: r.end, summary: { tensors: count } };
    }
    const head = source.read(r.end, 8);
    if (head.length < 8) {
      findings.push(malformed(`Tensor ${i}'s shape record is truncated.`, "unscannable", r.end));
      return { members, findings, end: source.size, summary: { tensors: count } };
    }
    const ndim = new DataView(head.buffer, head.byteOffset, 8).getInt32(0, true);
    if (ndim < 0 || ndim > 64) {
      findings.push(malformed(`Tensor ${i} claims ${ndim} dimensions.`, "unscannable", r.end));
      return { members, findings, end: r.end, summary: { tensors: count } };
    }
    offset = r.end + 8 + 16 * ndim + 8;
    if (offset > source.size) {
      findings.push(
        malformed(`Tensor ${i}'s shape record runs past the end.`, "unscannable", r.end),
      );
      return { members, findings, end: source.size, summary: { tensors: count } };
    }
  }
  if (offset < source.size)
    findings.push(
      malformed(
        `${source.size - offset} bytes follow the last tensor record.`,
        "suspicious",
        offset,
      ),
    );
  return { members, findings, end: offset, summary: { tensors: count } };
}
