/**
 * The legacy PyTorch formats that are streams of pickles with raw bytes in between.
 *
 * Stacked format (torch.save(..., _use_new_zipfile_serialization=False)); torch.load runs
 * `pickle.load` five times: magic number, protocol version, sys_info, the object (storages come
 * back as persistent ids `('storage', <storage type>, key, location, numel, view)`), then the
 * sorted list of storage keys. For each key in that list: an 8-byte little-endian element count,
 * then count × element size raw bytes (element size from the storage type). Every one of the five
 * pickles is scanned (C6, C7: the first runs before the magic number is even compared); the raw
 * bytes are skipped by reading only the 8-byte counts. The tar format's stacked members are in
 * torch-tar-streams.ts; the helpers here are shared with it.
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

export function readU64(source: ByteSource, at: number, what: string): number {
  const b = source.read(at, 8);
  if (b.length < 8)
    throw new ScanError("SCAN_FORMAT", `${what}: truncated 8-byte count`, { offset: at });
  const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

export function isGlobal(v: LiteralValue | undefined): v is { global: string } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "global" in v;
}

export const malformed = (
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
export function stackedMember(
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
  if (keys.length > ctx.budget.limits.maxMembers) {
    findings.push(
      finding(
        "BUDGET_EXCEEDED",
        "unscannable",
        `${keys.length} storages is more than the member budget; not walked.`,
      ),
    );
    return { members, findings, end: offset, summary: { pickles: 5, storages: keys.length } };
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
