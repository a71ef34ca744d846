/**
 * The pickle opcode table (protocols 0–5), from the public protocol description in CPython's
 * pickletools: opcode byte, name, the protocol that introduced it, and how its argument is encoded.
 */

export type ArgKind =
  | "none"
  | "u1" // 1-byte unsigned
  | "u2" // 2-byte unsigned little-endian
  | "i4" // 4-byte signed little-endian
  | "u4" // 4-byte unsigned little-endian
  | "u8" // 8-byte unsigned little-endian
  | "f8" // 8-byte big-endian IEEE double
  | "line" // bytes up to and including "\n"
  | "line2" // two lines (module, name)
  | "len1" // 1-byte length, then data
  | "len4s" // 4-byte signed length, then data
  | "len4" // 4-byte unsigned length, then data
  | "len8"; // 8-byte unsigned length, then data

export interface OpcodeInfo {
  code: number;
  name: string;
  proto: number;
  arg: ArgKind;
}

const TABLE: [string, string, number, ArgKind][] = [
  ["(", "MARK", 0, "none"],
  [".", "STOP", 0, "none"],
  ["0", "POP", 0, "none"],
  ["1", "POP_MARK", 1, "none"],
  ["2", "DUP", 0, "none"],
  ["F", "FLOAT", 0, "line"],
  ["I", "INT", 0, "line"],
  ["J", "BININT", 1, "i4"],
  ["K", "BININT1", 1, "u1"],
  ["L", "LONG", 0, "line"],
  ["M", "BININT2", 1, "u2"],
  ["N", "NONE", 0, "none"],
  ["P", "PERSID", 0, "line"],
  ["Q", "BINPERSID", 1, "none"],
  ["R", "REDUCE", 0, "none"],
  ["S", "STRING", 0, "line"],
  ["T", "BINSTRING", 1, "len4s"],
  ["U", "SHORT_BINSTRING", 1, "len1"],
  ["V", "UNICODE", 0, "line"],
  ["X", "BINUNICODE", 1, "len4"],
  ["a", "APPEND", 0, "none"],
  ["b", "BUILD", 0, "none"],
  ["c", "GLOBAL", 0, "line2"],
  ["d", "DICT", 0, "none"],
  ["}", "EMPTY_DICT", 1, "none"],
  ["e", "APPENDS", 1, "none"],
  ["g", "GET", 0, "line"],
  ["h", "BINGET", 1, "u1"],
  ["i", "INST", 0, "line2"],
  ["j", "LONG_BINGET", 1, "u4"],
  ["l", "LIST", 0, "none"],
  ["]", "EMPTY_LIST", 1, "none"],
  ["o", "OBJ", 1, "none"],
  ["p", "PUT", 0, "line"],
  ["q", "BINPUT", 1, "u1"],
  ["r", "LONG_BINPUT", 1, "u4"],
  ["s", "SETITEM", 0, "none"],
  ["t", "TUPLE", 0, "none"],
  [")", "EMPTY_TUPLE", 1, "none"],
  ["u", "SETITEMS", 1, "none"],
  ["G", "BINFLOAT", 1, "f8"],
  ["\x80", "PROTO", 2, "u1"],
  ["\x81", "NEWOBJ", 2, "none"],
  ["\x82", "EXT1", 2, "u1"],
  ["\x83", "EXT2", 2, "u2"],
  ["\x84", "EXT4", 2, "i4"],
  ["\x85", "TUPLE1", 2, "none"],
  ["\x86", "TUPLE2", 2, "none"],
  ["\x87", "TUPLE3", 2, "none"],
  ["\x88", "NEWTRUE", 2, "none"],
  ["\x89", "NEWFALSE", 2, "none"],
  ["\x8a", "LONG1", 2, "len1"],
  ["\x8b", "LONG4", 2, "len4s"],
  ["B", "BINBYTES", 3, "len4"],
  ["C", "SHORT_BINBYTES", 3, "len1"],
  ["\x8c", "SHORT_BINUNICODE", 4, "len1"],
  ["\x8d", "BINUNICODE8", 4, "len8"],
  ["\x8e", "BINBYTES8", 4, "len8"],
  ["\x8f", "EMPTY_SET", 4, "none"],
  ["\x90", "ADDITEMS", 4, "none"],
  ["\x91", "FROZENSET", 4, "none"],
  ["\x92", "NEWOBJ_EX", 4, "none"],
  ["\x93", "STACK_GLOBAL", 4, "none"],
  ["\x94", "MEMOIZE", 4, "none"],
  ["\x95", "FRAME", 4, "u8"],
  ["\x96", "BYTEARRAY8", 5, "len8"],
  ["\x97", "NEXT_BUFFER", 5, "none"],
  ["\x98", "READONLY_BUFFER", 5, "none"],
];

export const OPCODES: readonly OpcodeInfo[] = TABLE.map(([ch, name, proto, arg]) => ({
  code: ch.charCodeAt(0),
  name,
  proto,
  arg,
}));

/** Opcode byte → info (undefined for bytes that are not opcodes). */
export const OPCODE_BY_CODE: readonly (OpcodeInfo | undefined)[] = (() => {
  const out: (OpcodeInfo | undefined)[] = new Array(256).fill(undefined);
  for (const info of OPCODES) out[info.code] = info;
  return out;
})();

/** Opcode byte values by name, for the interpreter's switch and for tests. */
export const OP = Object.fromEntries(OPCODES.map((o) => [o.name, o.code])) as Record<
  string,
  number
>;

export const HIGHEST_PROTOCOL = 5;

export function opcodeName(code: number): string {
  if (code < 0) return "end of data";
  return OPCODE_BY_CODE[code]?.name ?? `0x${code.toString(16).padStart(2, "0")}`;
}
