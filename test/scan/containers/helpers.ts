/**
 * Test helpers for container scanners: byte builders for pickles, legacy stacks and tar archives,
 * a virtual ByteSource (a real prefix followed by gigabytes of zeros that are never allocated)
 * that counts what is read, and a scan shortcut with the shipped policy.
 */
import type { FindingCode } from "../../../src/core/finding.js";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { Budget, type BudgetLimits } from "../../../src/scan/budget.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";

export const policy = loadScanPolicy();

export function cat(...parts: (Uint8Array | string | number[])[]): Uint8Array {
  const arrays = parts.map((p) =>
    typeof p === "string"
      ? Uint8Array.from([...p].map((c) => c.charCodeAt(0) & 0xff))
      : Uint8Array.from(p),
  );
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

export function le(n: number | bigint, width: 1 | 2 | 4 | 8): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  for (let i = 0; i < width; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** BINUNICODE string. */
export const ustr = (s: string) => cat("X", le(s.length, 4), s);

/** posix.system("echo x") as a protocol-2 pickle. */
export const EVIL = cat("\x80\x02cposix\nsystem\n", ustr("echo modelvet-test"), "\x85R.");
export const plainPickle = (body: string | Uint8Array) => cat("\x80\x02", body, ".");

export const LEGACY_MAGIC_PICKLE = cat(
  "\x80\x02\x8a\x0a",
  [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19],
  ".",
);
export const PROTOCOL_PICKLE = cat("\x80\x02M", le(1001, 2), ".");
export const SYS_INFO_PICKLE = cat("\x80\x02}(", ustr("little_endian"), "\x88u.");

/** {'w': _rebuild_tensor_v2(pid('storage', <type>, key, 'cpu', numel[, None]), 0, (n,), (1,), False, OrderedDict())} */
export function objectPickle(
  storages: { key: string; type: string; numel: number }[],
  legacy = true,
): Uint8Array {
  const items = storages.map(({ key, type, numel }) =>
    cat(
      ustr(`w${key}`),
      "ctorch._utils\n_rebuild_tensor_v2\n((",
      ustr("storage"),
      `c${type.replace(/\.(?=[^.]*$)/, "\n")}\n`,
      ustr(key),
      ustr("cpu"),
      "J",
      le(numel, 4),
      legacy ? "N" : "",
      "tQK\x00J",
      le(numel, 4),
      "\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtR",
    ),
  );
  return cat("\x80\x02}(", ...items, "u.");
}

export const keysPickle = (keys: string[]) => cat("\x80\x02](", ...keys.map(ustr), "e.");

/** The five pickles of the stacked legacy format (the raw storages follow them). */
export function legacyHead(options: {
  storages: { key: string; type: string; numel: number }[];
  object?: Uint8Array;
  magic?: Uint8Array;
  protocol?: Uint8Array;
  keys?: Uint8Array;
}): Uint8Array {
  return cat(
    options.magic ?? LEGACY_MAGIC_PICKLE,
    options.protocol ?? PROTOCOL_PICKLE,
    SYS_INFO_PICKLE,
    options.object ?? objectPickle(options.storages),
    options.keys ?? keysPickle(options.storages.map((s) => s.key)),
  );
}

/** A source made of `prefix`, then `zeros` zero bytes that are never allocated, then `suffix`. */
export function virtualSource(
  prefix: Uint8Array,
  zeros: number,
  suffix: Uint8Array = new Uint8Array(),
): ByteSource & { bytesRead: number; maxRead: number } {
  const size = prefix.length + zeros + suffix.length;
  const src = {
    size,
    bytesRead: 0,
    maxRead: 0,
    read(offset: number, length: number): Uint8Array {
      const start = Math.min(Math.max(0, offset), size);
      const end = Math.min(size, start + Math.max(0, length));
      const out = new Uint8Array(end - start);
      for (let i = start; i < end; ) {
        if (i < prefix.length) {
          const n = Math.min(end, prefix.length) - i;
          out.set(prefix.subarray(i, i + n), i - start);
          i += n;
        } else if (i < prefix.length + zeros) {
          i = Math.min(end, prefix.length + zeros);
        } else {
          const from = i - prefix.length - zeros;
          const n = end - i;
          out.set(suffix.subarray(from, from + n), i - start);
          i += n;
        }
      }
      src.bytesRead += out.length;
      src.maxRead = Math.max(src.maxRead, out.length);
      return out;
    },
  };
  return src;
}

/** A ustar header + data + padding. */
export function tarMember(
  name: string,
  data: Uint8Array | string,
  type = "0",
  link = "",
): Uint8Array {
  const body = typeof data === "string" ? cat(data) : data;
  const h = new Uint8Array(512);
  const put = (at: number, s: string) => h.set(cat(s), at);
  put(0, name);
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, `${body.length.toString(8).padStart(11, "0")}\0`);
  put(136, "00000000000\0");
  put(156, type);
  put(157, link);
  put(257, "ustar\0");
  put(263, "00");
  put(148, "        ");
  const sum = h.reduce((a, b) => a + b, 0);
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  const pad = (512 - (body.length % 512)) % 512;
  return cat(h, body, new Array(pad).fill(0));
}

export const tarEnd = () => new Uint8Array(1024);

export async function scan(
  bytes: Uint8Array | ByteSource,
  path = "file",
  limits: Partial<BudgetLimits> = {},
): Promise<ScanNode> {
  const source = bytes instanceof Uint8Array ? bytesSource(bytes) : bytes;
  return scanSource(source, { policy, path, budget: new Budget(limits) });
}

export function codesOf(node: ScanNode, out = new Set<FindingCode>()): Set<FindingCode> {
  for (const f of node.findings) out.add(f.code);
  for (const m of node.members ?? []) codesOf(m, out);
  return out;
}

export function show(node: ScanNode, indent = ""): string {
  const lines = [`${indent}${node.verdict} ${node.path} [${node.format}]`];
  for (const f of node.findings) lines.push(`${indent}  - ${f.code} (${f.verdict}): ${f.message}`);
  for (const m of node.members ?? []) lines.push(show(m, `${indent}    `));
  return lines.join("\n");
}
