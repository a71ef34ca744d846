/**
 * Test helpers: a tiny pickle assembler (bytes written by hand, opcode by opcode), a test-only
 * policy, and shortcuts to walk + evaluate.
 */
import type { Finding, FindingCode } from "../../../src/core/finding.js";
import { Budget, type BudgetLimits } from "../../../src/scan/budget.js";
import {
  evaluatePickle,
  type PickleStreamResult,
  walkPickle,
} from "../../../src/scan/pickle/index.js";
import type { PicklePolicy } from "../../../src/scan/pickle/policy.js";
import { bytesSource } from "../../../src/scan/source.js";

export type Part = number | string | Uint8Array | readonly number[];

/** Concatenates parts: numbers are single bytes, strings are latin-1 bytes. */
export function pk(...parts: Part[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === "number") out.push(p & 0xff);
    else if (typeof p === "string") for (const c of p) out.push(c.charCodeAt(0) & 0xff);
    else for (let i = 0; i < p.length; i++) out.push(p[i] as number);
  }
  return Uint8Array.from(out);
}

export const u16 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff];
export const u32 = (n: number): number[] => [
  n & 0xff,
  (n >>> 8) & 0xff,
  (n >>> 16) & 0xff,
  (n >>> 24) & 0xff,
];
export function u64(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  for (let i = 0; i < 8; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

const utf8 = (s: string): number[] => [...new TextEncoder().encode(s)];

/** Opcode bytes with their arguments. */
export const op = {
  MARK: "(",
  STOP: ".",
  POP: "0",
  POP_MARK: "1",
  DUP: "2",
  NONE: "N",
  REDUCE: "R",
  BUILD: "b",
  APPEND: "a",
  APPENDS: "e",
  DICT: "d",
  EMPTY_DICT: "}",
  LIST: "l",
  EMPTY_LIST: "]",
  OBJ: "o",
  SETITEM: "s",
  SETITEMS: "u",
  TUPLE: "t",
  EMPTY_TUPLE: ")",
  BINPERSID: "Q",
  NEWOBJ: [0x81],
  TUPLE1: [0x85],
  TUPLE2: [0x86],
  TUPLE3: [0x87],
  NEWTRUE: [0x88],
  NEWFALSE: [0x89],
  EMPTY_SET: [0x8f],
  ADDITEMS: [0x90],
  FROZENSET: [0x91],
  NEWOBJ_EX: [0x92],
  STACK_GLOBAL: [0x93],
  MEMOIZE: [0x94],
  NEXT_BUFFER: [0x97],
  READONLY_BUFFER: [0x98],
  proto: (p: number) => [0x80, p],
  frame: (n: number | bigint) => [0x95, ...u64(n)],
  global: (m: string, n: string) => `c${m}\n${n}\n`,
  inst: (m: string, n: string) => `i${m}\n${n}\n`,
  int: (s: string) => `I${s}\n`,
  long: (s: string) => `L${s}\n`,
  float: (s: string) => `F${s}\n`,
  string: (quoted: string) => `S${quoted}\n`,
  unicode: (raw: string) => `V${raw}\n`,
  persid: (s: string) => `P${s}\n`,
  get: (i: number | string) => `g${i}\n`,
  put: (i: number | string) => `p${i}\n`,
  binget: (i: number) => [0x68, i],
  binput: (i: number) => [0x71, i],
  longBinget: (i: number) => [0x6a, ...u32(i)],
  longBinput: (i: number) => [0x72, ...u32(i)],
  binint: (n: number) => [0x4a, ...u32(n)],
  binint1: (n: number) => [0x4b, n],
  binint2: (n: number) => [0x4d, ...u16(n)],
  long1: (bytes: number[]) => [0x8a, bytes.length, ...bytes],
  long4: (bytes: number[]) => [0x8b, ...u32(bytes.length), ...bytes],
  binfloat: (x: number) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, x, false);
    return [0x47, ...b];
  },
  binstring: (s: string) => [0x54, ...u32(s.length), ...[...s].map((c) => c.charCodeAt(0))],
  shortBinstring: (s: string) => [0x55, s.length, ...[...s].map((c) => c.charCodeAt(0))],
  binunicode: (s: string) => [0x58, ...u32(utf8(s).length), ...utf8(s)],
  shortBinunicode: (s: string) => [0x8c, utf8(s).length, ...utf8(s)],
  binunicode8: (s: string) => [0x8d, ...u64(utf8(s).length), ...utf8(s)],
  binbytes: (b: Uint8Array | number[]) => [0x42, ...u32(b.length), ...b],
  shortBinbytes: (b: Uint8Array | number[]) => [0x43, b.length, ...b],
  binbytes8: (b: Uint8Array | number[]) => [0x8e, ...u64(b.length), ...b],
  bytearray8: (b: Uint8Array | number[]) => [0x96, ...u64(b.length), ...b],
  ext1: (c: number) => [0x82, c],
  ext2: (c: number) => [0x83, ...u16(c)],
  ext4: (c: number) => [0x84, ...u32(c)],
} as const;

/** A test-only policy: a few safe pairs, a few dangerous ones, one whole dangerous module. */
export const testPolicy: PicklePolicy = {
  safe: new Set(
    [
      ["collections", "OrderedDict"],
      ["builtins", "set"],
      ["builtins", "list"],
      ["torch._utils", "_rebuild_tensor_v2"],
      ["torch", "FloatStorage"],
    ].map(([m, n]) => `${m}\u0000${n}`),
  ),
  dangerous: new Map([
    ["os\u0000system", "runs a shell command"],
    ["posix\u0000system", "runs a shell command"],
    ["builtins\u0000eval", "evaluates Python code"],
    ["builtins\u0000exec", "executes Python code"],
    ["builtins\u0000getattr", "reaches any attribute"],
    ["pickle\u0000loads", "unpickles more bytes"],
    ["subprocess\u0000*", "runs processes"],
  ]),
};

export function budget(limits: Partial<BudgetLimits> = {}): Budget {
  return new Budget(limits);
}

export function walk(bytes: Uint8Array, limits: Partial<BudgetLimits> = {}): PickleStreamResult {
  return walkPickle(bytesSource(bytes), { budget: budget(limits) });
}

/** Structural + policy findings of one walked stream. */
export function allFindings(
  result: PickleStreamResult,
  policy: PicklePolicy = testPolicy,
): Finding[] {
  return [...result.findings, ...evaluatePickle(result, policy)];
}

export function codes(findings: readonly Finding[]): FindingCode[] {
  return findings.map((f) => f.code);
}

/** Walks and evaluates: findings of the whole stream. */
export function scanBytes(bytes: Uint8Array, limits: Partial<BudgetLimits> = {}): Finding[] {
  return allFindings(walk(bytes, limits));
}

/** A classic protocol-0 payload: `os.system("echo hi")`. */
export const PAYLOAD0 = pk(
  op.global("os", "system"),
  op.MARK,
  op.string("'echo hi'"),
  op.TUPLE,
  op.REDUCE,
);

/** A joblib NumpyArrayWrapper built with dtype `numpy.dtype(<dtype>)` and the given shape (no BUILD state on the dtype). */
export function joblibWrapper(dtype: string, shape: number[]): Uint8Array {
  return pk(
    op.global("joblib.numpy_pickle", "NumpyArrayWrapper"),
    op.EMPTY_TUPLE,
    op.NEWOBJ,
    op.EMPTY_DICT,
    op.MARK,
    op.shortBinunicode("dtype"),
    op.global("numpy", "dtype"),
    op.shortBinunicode(dtype),
    op.NEWFALSE,
    op.NEWTRUE,
    op.TUPLE3,
    op.REDUCE,
    op.shortBinunicode("shape"),
    op.MARK,
    ...shape.map((n) => op.binint(n)),
    op.TUPLE,
    op.SETITEMS,
    op.BUILD,
  );
}
