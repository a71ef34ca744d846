/**
 * Decodes the VALUE of a small, data-only pickle: the storage-key list, the storage counts and the
 * (key, location, storage type) tuples of the legacy PyTorch formats. It is not a security check
 * (every pickle is also walked by the pickle engine); it only reads what the legacy layouts need
 * to find the raw bytes that follow. Any opcode that calls, builds or reads persistent ids makes
 * the pickle "not plain data" and the caller fails closed.
 */
import { ScanError } from "../../core/errors.js";
import { type ByteSource, readAheadSource } from "../source.js";

export type LiteralValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | { global: string }
  | { dict: [LiteralValue, LiteralValue][] }
  | LiteralValue[];

const MARK = Symbol("mark");
type Slot = LiteralValue | typeof MARK;

const MAX_OPS = 1_000_000;
const MAX_STRING = 1 << 20;
/**
 * Opcodes are read through a block this large: on a file every read is a system call, and a
 * million one-byte reads (the opcode limit) took seconds.
 */
const READ_AHEAD = 1 << 16;

function fail(message: string, offset: number): never {
  throw new ScanError("SCAN_FORMAT", `data pickle: ${message}`, { offset });
}

export interface LiteralPickle {
  value: LiteralValue;
  /** Offset just after STOP. */
  end: number;
}

/** Decodes one plain-data pickle starting at `offset`. Throws ScanError on anything else. */
export function decodeLiteralPickle(file: ByteSource, offset: number): LiteralPickle {
  const source = readAheadSource(file, READ_AHEAD);
  let at = offset;
  const stack: Slot[] = [];
  const memo = new Map<number, LiteralValue>();
  const take = (n: number): Uint8Array => {
    if (n < 0 || n > MAX_STRING) fail(`length ${n} out of range`, at);
    const b = source.read(at, n);
    if (b.length < n) fail("truncated", at);
    at += n;
    return b;
  };
  const uint = (n: number): number => {
    const b = take(n);
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + (b[i] ?? 0);
    return v;
  };
  const line = (): string => {
    const chunk = source.read(at, 512);
    const nl = chunk.indexOf(0x0a);
    if (nl < 0) fail("line too long or truncated", at);
    at += nl + 1;
    return new TextDecoder("latin1").decode(chunk.subarray(0, nl));
  };
  const pop = (): LiteralValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) fail("stack underflow", at);
    return v;
  };
  const popMark = (): LiteralValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail("no MARK", at);
    const items = stack.splice(i) as Slot[];
    items.shift();
    return items as LiteralValue[];
  };
  const top = (): LiteralValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail("stack underflow", at);
    return v;
  };
  const asList = (v: LiteralValue): LiteralValue[] => {
    if (!Array.isArray(v)) fail("append to a non-list", at);
    return v;
  };
  const asDict = (v: LiteralValue): [LiteralValue, LiteralValue][] => {
    if (typeof v !== "object" || v === null || !("dict" in v)) fail("setitem on a non-dict", at);
    return v.dict;
  };
  const utf8 = new TextDecoder("utf-8");
  const signedLittle = (b: Uint8Array): bigint => {
    let v = 0n;
    for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] ?? 0);
    if (b.length > 0 && (b[b.length - 1] ?? 0) & 0x80) v -= 1n << BigInt(8 * b.length);
    return v;
  };
  const small = (v: bigint): number | bigint =>
    v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

  for (let ops = 0; ops < MAX_OPS; ops++) {
    const opAt = at;
    const op = take(1)[0] as number;
    switch (op) {
      case 0x80: // PROTO
        take(1);
        break;
      case 0x95: // FRAME
        take(8);
        break;
      case 0x2e: {
        // STOP
        const value = pop();
        return { value, end: at };
      }
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x5d: // EMPTY_LIST
      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x7d: // EMPTY_DICT
        stack.push({ dict: [] });
        break;
      case 0x6c: // LIST
      case 0x74: // TUPLE
        stack.push(popMark());
        break;
      case 0x85: // TUPLE1
        stack.push([pop()]);
        break;
      case 0x86: {
        // TUPLE2
        const b = pop();
        stack.push([pop(), b]);
        break;
      }
      case 0x87: {
        // TUPLE3
        const c = pop();
        const b = pop();
        stack.push([pop(), b, c]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        asList(top()).push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        asList(top()).push(...items);
        break;
      }
      case 0x64: {
        // DICT
        const items = popMark();
        const dict: [LiteralValue, LiteralValue][] = [];
        for (let i = 0; i + 1 < items.length; i += 2) dict.push([items[i]!, items[i + 1]!]);
        stack.push({ dict });
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        asDict(top()).push([k, v]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = asDict(top());
        for (let i = 0; i + 1 < items.length; i += 2) d.push([items[i]!, items[i + 1]!]);
        break;
      }
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        stack.push(uint(1));
        break;
      case 0x4d: // BININT2
        stack.push(uint(2));
        break;
      case 0x4a: // BININT
        stack.push(Number(signedLittle(take(4))));
        break;
      case 0x8a: // LONG1
        stack.push(small(signedLittle(take(uint(1)))));
        break;
      case 0x8b: // LONG4
        stack.push(small(signedLittle(take(uint(4)))));
        break;
      case 0x49: {
        // INT
        const text = line().trim();
        if (text === "01" || text === "00") stack.push(text === "01");
        else if (/^-?\d+$/.test(text)) stack.push(small(BigInt(text)));
        else fail("bad INT", opAt);
        break;
      }
      case 0x4c: {
        // LONG
        const text = line().trim().replace(/L$/, "");
        if (!/^-?\d+$/.test(text)) fail("bad LONG", opAt);
        stack.push(small(BigInt(text)));
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(utf8.decode(take(uint(4))));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(utf8.decode(take(uint(1))));
        break;
      case 0x8d: // BINUNICODE8
        stack.push(utf8.decode(take(uint(8))));
        break;
      case 0x54: // BINSTRING
        stack.push(new TextDecoder("latin1").decode(take(uint(4))));
        break;
      case 0x55: // SHORT_BINSTRING
        stack.push(new TextDecoder("latin1").decode(take(uint(1))));
        break;
      case 0x56: // UNICODE (raw-unicode-escape; plain ASCII keys are all we need)
        stack.push(line());
        break;
      case 0x53: {
        // STRING
        const text = line();
        const m = /^(['"])(.*)\1$/.exec(text);
        if (!m || (m[2] ?? "").includes("\\")) fail("unsupported STRING literal", opAt);
        stack.push(m[2] ?? "");
        break;
      }
      case 0x63: {
        // GLOBAL
        const module = line();
        const name = line();
        stack.push({ global: `${module}.${name}` });
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== "string" || typeof name !== "string")
          fail("STACK_GLOBAL of non-strings", opAt);
        stack.push({ global: `${module}.${name}` });
        break;
      }
      case 0x70: // PUT
        memo.set(Number(line()), top());
        break;
      case 0x71: // BINPUT
        memo.set(uint(1), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(uint(4), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x67: // GET
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const key = op === 0x67 ? Number(line()) : uint(op === 0x68 ? 1 : 4);
        const v = memo.get(key);
        if (v === undefined) fail(`memo key ${key} missing`, opAt);
        stack.push(v);
        break;
      }
      default:
        fail(`opcode 0x${op.toString(16)} is not plain data`, opAt);
    }
  }
  return fail("too many opcodes", at);
}
