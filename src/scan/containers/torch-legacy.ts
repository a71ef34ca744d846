/**
 * The legacy PyTorch formats that are streams of pickles with raw bytes in between.
 *
 * Stacked format (torch.save(..., _use_new_zipfile_serialization=False)); torch.load runs
 * `pickle.load` five times: magic number, protocol version, sys_info, the object (storages come
 * back as persistent ids `('storage', <storage type>, key, location, numel, view)`), then the
 * sorted list of storage keys. For each key in that list: an 8-byte little-endian element count,
 * then count × element size raw bytes (element size from the storage type). Every one of the five
 * pickles is scanned (C6, C7: the first runs before the magic number is even compared); the raw
 * bytes are skipped by reading only the 8-byte counts.
 *
 * Tar format members (legacy_load): `storages` = a count pickle, then per storage a
 * `(key, location, storage type)` pickle followed by an 8-byte count and the raw bytes, then a
 * storage-views pickle; `sys_info` and `pickle` are plain pickles;
 * `tensors` = a count pickle, then per tensor a `(key, storage id, tensor type)` pickle followed by
 * int32 ndim, 4 skipped bytes, ndim int64 sizes, ndim int64 strides and an int64 storage offset.
 */
import { ScanError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { ScanContext, Scanner } from "../context.js";
import type { ByteSource } from "../source.js";
import { decodeLiteralPickle, type LiteralValue } from "./literal-pickle.js";
import { leafNode, walkStacked } from "./member.js";

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/** Element sizes of the legacy storage classes (torch.<Name>Storage, torch.cuda.<Name>Storage). */
const ELEMENT_SIZE: Record<string, number> = {
  DoubleStorage: 8,
  FloatStorage: 4,
  HalfStorage: 2,
  BFloat16Storage: 2,
  LongStorage: 8,
  IntStorage: 4,
  ShortStorage: 2,
  CharStorage: 1,
  ByteStorage: 1,
  BoolStorage: 1,
  ComplexDoubleStorage: 16,
  ComplexFloatStorage: 8,
  QUInt8Storage: 1,
  QInt8Storage: 1,
  QInt32Storage: 4,
  QUInt4x2Storage: 1,
  QUInt2x4Storage: 1,
  UntypedStorage: 1,
};

/** Element size for a storage type global such as "torch.FloatStorage". */
export function storageElementSize(global: string): number | undefined {
  const m = /^torch(?:\.cuda)?\.([A-Za-z0-9]+)$/.exec(global);
  return m ? ELEMENT_SIZE[m[1] ?? ""] : undefined;
}

function readU64(source: ByteSource, at: number, what: string): number {
  const b = source.read(at, 8);
  if (b.length < 8)
    throw new ScanError("SCAN_FORMAT", `${what}: truncated 8-byte count`, { offset: at });
  const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

function isGlobal(v: LiteralValue | undefined): v is { global: string } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "global" in v;
}

const malformed = (
  message: string,
  verdict: "suspicious" | "unscannable" = "unscannable",
  offset?: number,
) => finding("TORCH_MALFORMED", verdict, message, offset === undefined ? {} : { offset });

/** Collects the element size per storage key from the object pickle's persistent ids. */
function storageSizes(persistentIds: readonly unknown[], findings: Finding[]): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const pid of persistentIds) {
    if (!Array.isArray(pid) || pid[0] !== "storage") continue;
    const [, type, key] = pid as [unknown, unknown, unknown];
    const typeName = isGlobal(type as LiteralValue)
      ? (type as { global: string }).global
      : undefined;
    const size = typeName ? storageElementSize(typeName) : undefined;
    if (typeof key !== "string" || size === undefined) {
      findings.push(
        malformed(`A storage persistent id has an unknown type or key (${String(typeName)}).`),
      );
      continue;
    }
    const previous = sizes.get(key);
    if (previous !== undefined && previous !== size) {
      findings.push(malformed(`Storage ${key} is declared with two element sizes.`, "suspicious"));
    }
    sizes.set(key, size);
  }
  return sizes;
}

export interface StackScan {
  members: ScanNode[];
  findings: Finding[];
  /** Offset where the loader stops reading. */
  end: number;
  summary: Record<string, unknown>;
}

/** Walks one pickle, recording it as a member node. Returns undefined when the stack cannot go on. */
function stackedMember(
  source: ByteSource,
  ctx: ScanContext,
  offset: number,
  label: string,
  members: ScanNode[],
  base = ctx.path,
) {
  const { result, findings } = walkStacked(source, ctx, offset, label);
  members.push(
    leafNode(`${base}#${label}`, "pickle", result.end - result.start, findings, {
      offset: result.start,
      protocol: result.protocol,
    }),
  );
  return result;
}

/** The stacked legacy format. */
export function scanLegacyStack(source: ByteSource, ctx: ScanContext): StackScan {
  const members: ScanNode[] = [];
  const findings: Finding[] = [];
  const labels = [
    "magic-number",
    "protocol-version",
    "sys-info",
    "object",
    "storage-keys",
  ] as const;
  let offset = 0;
  const results = [];
  for (const label of labels) {
    const result = stackedMember(source, ctx, offset, label, members);
    results.push(result);
    if (!result.complete) {
      findings.push(
        malformed(
          `The ${label} pickle does not end; torch.load stops here.`,
          "unscannable",
          result.end,
        ),
      );
      return { members, findings, end: result.end, summary: { pickles: results.length } };
    }
    offset = result.end;
  }
  const [magic, protocol, , object, keysResult] = results;
  const literal = (start: number, what: string): LiteralValue | undefined => {
    try {
      return decodeLiteralPickle(source, start).value;
    } catch (error) {
      findings.push(malformed(`The ${what} pickle is not plain data: ${(error as Error).message}`));
      return undefined;
    }
  };
  const magicValue = literal(magic!.start, "magic-number");
  const magicOk =
    (typeof magicValue === "number" || typeof magicValue === "bigint") &&
    BigInt(magicValue) === LEGACY_MAGIC;
  if (magicValue !== undefined && !magicOk) {
    findings.push(
      malformed(
        "The magic number is wrong; torch.load rejects the file after unpickling it.",
        "suspicious",
      ),
    );
  }
  const protocolValue = literal(protocol!.start, "protocol-version");
  if (protocolValue !== undefined && protocolValue !== LEGACY_PROTOCOL) {
    findings.push(
      malformed(`Unknown legacy protocol version ${String(protocolValue)}.`, "suspicious"),
    );
  }
  const keys = literal(keysResult!.start, "storage-keys");
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === "string")) {
    findings.push(
      malformed(
        "The storage-key list is not a list of strings; the raw storages cannot be located.",
      ),
    );
    return { members, findings, end: offset, summary: { pickles: 5 } };
  }
  const sizes = storageSizes(object!.persistentIds, findings);
  let storageBytes = 0;
  for (const key of keys as string[]) {
    const elementSize = sizes.get(key);
    if (elementSize === undefined) {
      findings.push(
        malformed(`Storage key ${key} is not declared in the object pickle; its size is unknown.`),
      );
      return { members, findings, end: offset, summary: { pickles: 5, storages: keys.length } };
    }
    const count = readU64(source, offset, `storage ${key}`);
    const bytes = count * elementSize;
    if (offset + 8 + bytes > source.size) {
      findings.push(
        malformed(
          `Storage ${key} (${bytes} bytes) runs past the end of the file.`,
          "unscannable",
          offset,
        ),
      );
      return {
        members,
        findings,
        end: source.size,
        summary: { pickles: 5, storages: keys.length },
      };
    }
    offset += 8 + bytes;
    storageBytes += bytes;
  }
  if (offset < source.size) {
    findings.push(
      malformed(
        `${source.size - offset} bytes follow the last storage; torch.load never reads them.`,
        "suspicious",
        offset,
      ),
    );
  }
  return {
    members,
    findings,
    end: offset,
    summary: { pickles: 5, storages: keys.length, storageBytes },
  };
}

export const scanTorchLegacy: Scanner = async (source, ctx) => {
  const scan = scanLegacyStack(source, ctx);
  return makeNode({
    path: ctx.path,
    format: "pytorch-legacy",
    size: source.size,
    findings: scan.findings,
    members: scan.members,
    summary: scan.summary,
  });
};

/** The `storages` member of the legacy tar format. */
export function scanTarStorages(source: ByteSource, ctx: ScanContext, base: string): StackScan {
  const members: ScanNode[] = [];
  const findings: Finding[] = [];
  const countResult = stackedMember(source, ctx, 0, "storages-count", members, base);
  if (!countResult.complete)
    return {
      members,
      findings: [malformed("The storage count pickle does not end.")],
      end: countResult.end,
      summary: {},
    };
  let count: LiteralValue;
  try {
    count = decodeLiteralPickle(source, 0).value;
  } catch (error) {
    findings.push(malformed(`The storage count is not plain data: ${(error as Error).message}`));
    return { members, findings, end: countResult.end, summary: {} };
  }
  if (typeof count !== "number" || count < 0 || count > ctx.budget.limits.maxMembers) {
    findings.push(malformed(`Storage count ${String(count)} is out of range.`));
    return { members, findings, end: countResult.end, summary: {} };
  }
  let offset = countResult.end;
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
  const countResult = stackedMember(source, ctx, 0, "tensors-count", members, base);
  if (!countResult.complete)
    return {
      members,
      findings: [malformed("The tensor count pickle does not end.")],
      end: countResult.end,
      summary: {},
    };
  let count: LiteralValue;
  try {
    count = decodeLiteralPickle(source, 0).value;
  } catch (error) {
    findings.push(malformed(`The tensor count is not plain data: ${(error as Error).message}`));
    return { members, findings, end: countResult.end, summary: {} };
  }
  if (typeof count !== "number" || count < 0 || count > ctx.budget.limits.maxMembers) {
    findings.push(malformed(`Tensor count ${String(count)} is out of range.`));
    return { members, findings, end: countResult.end, summary: {} };
  }
  let offset = countResult.end;
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
