/** A tiny protobuf encoder for building hostile inputs in tests (wire-format facts only). */

export function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}

export type Part = number[] | Uint8Array;

export function cat(...parts: Part[]): number[] {
  const out: number[] = [];
  for (const p of parts) for (const b of p) out.push(b);
  return out;
}

export const pbVarint = (field: number, value: number | bigint): number[] =>
  cat(varint(field << 3), varint(value));

export function pbBytes(field: number, payload: Part | string): number[] {
  const p = typeof payload === "string" ? [...new TextEncoder().encode(payload)] : [...payload];
  return cat(varint((field << 3) | 2), varint(p.length), p);
}

export const bytes = (...parts: Part[]): Uint8Array => Uint8Array.from(cat(...parts));

// --- ONNX building blocks (onnx.proto field numbers)
export const onnxNode = (op: string, domain = "", ...extra: Part[]): number[] =>
  cat(pbBytes(4, op), domain ? pbBytes(7, domain) : [], ...extra);
export const onnxGraph = (...parts: Part[]): number[] => cat(...parts);
export const onnxModel = (graph: Part, ...extra: Part[]): Uint8Array =>
  bytes(
    pbVarint(1, 8),
    pbBytes(7, graph),
    pbBytes(8, cat(pbBytes(1, ""), pbVarint(2, 13))),
    ...extra,
  );
export const externalTensor = (name: string, ...entries: Array<[string, string]>): number[] =>
  cat(
    pbBytes(8, name),
    ...entries.map(([k, v]) => pbBytes(13, cat(pbBytes(1, k), pbBytes(2, v)))),
    pbVarint(14, 1),
  );

// --- SavedModel building blocks
export const tfNode = (name: string, op: string): number[] => cat(pbBytes(1, name), pbBytes(2, op));
export function savedModel(
  nodes: number[][],
  functions: Array<[string, number[][]]> = [],
): Uint8Array {
  const lib = functions.map(([name, fnodes]) =>
    pbBytes(1, cat(pbBytes(1, pbBytes(1, name)), ...fnodes.map((n) => pbBytes(3, n)))),
  );
  const graph = cat(...nodes.map((n) => pbBytes(1, n)), lib.length ? pbBytes(2, cat(...lib)) : []);
  const meta = cat(pbBytes(1, pbBytes(4, "serve")), pbBytes(2, graph));
  return bytes(pbVarint(1, 1), pbBytes(2, meta));
}
