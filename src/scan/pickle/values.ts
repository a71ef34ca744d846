/**
 * Symbolic values shared by the walker's modules: the markers that stand for values whose content
 * no rule needs (lists, bytes, floats…), the opcodes that may start a stream, and the short
 * descriptions of values used in call records and messages.
 */
import {
  type PickleValue,
  SymbolicDict,
  SymbolicGlobal,
  SymbolicObject,
  SymbolicOpaque,
  SymbolicStr,
  SymbolicTuple,
} from "./types.js";

/**
 * Contents are only needed for small structures (persistent ids, joblib wrapper state, dtypes,
 * shapes); tuples and dicts larger than this keep only their length.
 */
export const KEEP_ITEMS = 16;

/** A marker shared by every value of one kind; `index` names it in packed memo tuples. */
export class SharedOpaque extends SymbolicOpaque {
  constructor(
    kind: string,
    readonly index: number,
  ) {
    super(kind);
  }
}
export const LIST = new SharedOpaque("list", 0);
export const SET = new SharedOpaque("set", 1);
export const FROZENSET = new SharedOpaque("frozenset", 2);
export const BUFFER = new SharedOpaque("buffer", 3);
export const PERSISTENT = new SharedOpaque("persistent object", 4);
export const BIGINT = new SharedOpaque("int", 5);
// Bytes and long str constants are never needed by content (nested pickles are checked when read),
// so one shared marker each keeps a memo of millions of them cheap.
export const BYTES = new SharedOpaque("bytes", 6);
export const BYTEARRAY = new SharedOpaque("bytearray", 7);
export const LONG_STR = new SharedOpaque("str", 8);
export const FLOAT = new SharedOpaque("float", 9);

export const EMPTY_TUPLE = new SymbolicTuple([], 0);
/** The shared markers, by their `index`. */
export const SHARED: readonly SharedOpaque[] = [
  LIST,
  SET,
  FROZENSET,
  BUFFER,
  PERSISTENT,
  BIGINT,
  BYTES,
  BYTEARRAY,
  LONG_STR,
  FLOAT,
];

/**
 * Opcodes that can come first in a stream: those that need nothing on the stack, no MARK and no
 * memo entry. The unpickler accepts any protocol's opcodes without a PROTO header.
 */
export const PICKLE_FIRST: readonly boolean[] = (() => {
  const out: boolean[] = new Array(256).fill(false);
  for (const c of "(NIFLJKMGSTUVXcP}])BC") out[c.charCodeAt(0)] = true;
  for (const b of [
    0x80, 0x82, 0x83, 0x84, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x95, 0x96, 0x97,
  ])
    out[b] = true;
  return out;
})();

export function isPlainAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x20 || b > 0x7e) return false;
  }
  return true;
}

/** The text of a str value (decoded or not); undefined for anything else. */
export function strOf(v: PickleValue | undefined): string | undefined {
  if (typeof v === "string") return v;
  return v instanceof SymbolicStr ? v.text : undefined;
}

/** A short description of a symbolic value, for messages and call records. */
export function describe(v: PickleValue, depth = 0): string {
  if (v === null) return "None";
  if (typeof v === "string") return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (v instanceof SymbolicStr) return describe(v.text);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "bigint") return String(v);
  if (v instanceof SymbolicGlobal) return v.valid ? v.qualified : `<import ${v.module} ${v.name}>`;
  if (v instanceof SymbolicObject)
    return depth > 2 ? "<result of a call>" : `<result of ${describe(v.callable, depth + 1)}>`;
  if (v instanceof SymbolicTuple) return `<tuple of ${v.length}>`;
  if (v instanceof SymbolicDict) return "<dict>";
  return `<${v.kind}>`;
}

/** Plain JS data for persistent ids: tuples → arrays, globals → {global}, opaque → {kind}. */
export function toPlain(v: PickleValue, depth: number): unknown {
  if (
    v === null ||
    typeof v === "string" ||
    typeof v === "number" ||
    typeof v === "boolean" ||
    typeof v === "bigint"
  )
    return v;
  if (v instanceof SymbolicStr) return v.text;
  if (depth > 8) return { kind: "deep" };
  if (v instanceof SymbolicGlobal) return { global: v.qualified };
  if (v instanceof SymbolicTuple)
    return v.items === undefined
      ? { kind: "tuple", length: v.length }
      : v.items.map((x) => toPlain(x, depth + 1));
  if (v instanceof SymbolicObject) return { call: describe(v.callable) };
  if (v instanceof SymbolicDict) return { kind: "dict" };
  return v.offset >= 0 ? { kind: v.kind, offset: v.offset, length: v.length } : { kind: v.kind };
}
