/** A small GGUF v3 writer for hostile-input tests (format facts from ggml/docs/gguf.md). */

export type Kv =
  | { key: string; type: "string"; value: string }
  | { key: string; type: "u32"; value: number }
  | { key: string; type: "strings"; value: string[] }
  | { key: string; type: "raw"; typeId: number; bytes: number[] };

export interface Tensor {
  name: string;
  shape: Array<number | bigint>;
  type: number;
  offset: number | bigint;
  data?: number;
}

export interface GgufOptions {
  version?: number;
  tensorCount?: bigint;
  kvCount?: bigint;
  alignment?: number;
  /** Bytes appended after the padded header (the tensor data section). */
  dataBytes?: number;
}

const le32 = (n: number): number[] => [
  n & 0xff,
  (n >>> 8) & 0xff,
  (n >>> 16) & 0xff,
  (n >>> 24) & 0xff,
];
export function le64(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}
export const gstr = (s: string | number[]): number[] => {
  const b = typeof s === "string" ? [...new TextEncoder().encode(s)] : s;
  return [...le64(b.length), ...b];
};

export function kvBytes(kv: Kv): number[] {
  const head = gstr(kv.key);
  switch (kv.type) {
    case "string":
      return [...head, ...le32(8), ...gstr(kv.value)];
    case "u32":
      return [...head, ...le32(4), ...le32(kv.value)];
    case "strings":
      return [...head, ...le32(9), ...le32(8), ...le64(kv.value.length), ...kv.value.flatMap(gstr)];
    case "raw":
      return [...head, ...le32(kv.typeId), ...kv.bytes];
  }
}

export function tensorInfo(t: Tensor): number[] {
  return [
    ...gstr(t.name),
    ...le32(t.shape.length),
    ...t.shape.flatMap((d) => le64(d)),
    ...le32(t.type),
    ...le64(t.offset),
  ];
}

export const BASE_KVS: Kv[] = [
  { key: "general.architecture", type: "string", value: "llama" },
  { key: "general.file_type", type: "u32", value: 1 },
  { key: "tokenizer.ggml.tokens", type: "strings", value: ["<s>", "</s>", "a"] },
];

/** Two F32 tensors of 16 bytes each at offsets 0 and 32. */
export const BASE_TENSORS: Tensor[] = [
  { name: "a", shape: [4], type: 0, offset: 0 },
  { name: "b", shape: [2, 2], type: 0, offset: 32 },
];

export function gguf(
  kvs: Kv[] = BASE_KVS,
  tensors: Tensor[] = BASE_TENSORS,
  opts: GgufOptions = {},
): Uint8Array {
  const out: number[] = [..."GGUF"].map((c) => c.charCodeAt(0));
  out.push(...le32(opts.version ?? 3));
  out.push(...le64(opts.tensorCount ?? BigInt(tensors.length)));
  out.push(...le64(opts.kvCount ?? BigInt(kvs.length)));
  for (const kv of kvs) out.push(...kvBytes(kv));
  for (const t of tensors) out.push(...tensorInfo(t));
  const align = opts.alignment ?? 32;
  while (out.length % align !== 0) out.push(0);
  for (let i = 0; i < (opts.dataBytes ?? 48); i++) out.push(0);
  return Uint8Array.from(out);
}
