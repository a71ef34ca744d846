/**
 * The marshal decoder under inspectMarshalledCode: reads one object tree as CPython's marshal.c
 * `r_object` would, for one code-object layout (the field order of a range of Python versions),
 * keeping only names and strings. Every read is bounded (objects, depth, strings kept).
 */

export interface MarshalLimits {
  /** Objects decoded before giving up. */
  maxObjects: number;
  /** Container nesting. */
  maxDepth: number;
  /** Strings kept for the report. */
  maxStrings: number;
}

export const DEFAULT_MARSHAL_LIMITS: MarshalLimits = {
  maxObjects: 200_000,
  maxDepth: 64,
  maxStrings: 200,
};

export type Layout = {
  name: string;
  /** int32 fields before the first object field. */
  ints: number;
  /** Object fields before co_firstlineno. */
  before: number;
  /** Object fields after co_firstlineno. */
  after: number;
  /** Index (among `before`) of co_names and co_name, to report them. */
  namesField: number;
  nameField: number;
};

// Field orders from CPython's marshal.c (w_object for code objects), by version.
export const LAYOUTS: readonly Layout[] = [
  // 3.11+: argcount, posonly, kwonly, stacksize, flags | code, consts, names, localsplusnames,
  // localspluskinds, filename, name, qualname | firstlineno | linetable, exceptiontable
  { name: "python>=3.11", ints: 5, before: 8, after: 2, namesField: 2, nameField: 6 },
  // 3.8–3.10: argcount, posonly, kwonly, nlocals, stacksize, flags | code, consts, names,
  // varnames, freevars, cellvars, filename, name | firstlineno | lnotab
  { name: "python3.8-3.10", ints: 6, before: 8, after: 1, namesField: 2, nameField: 7 },
  // 3.0–3.7: argcount, kwonly, nlocals, stacksize, flags | same objects as 3.8
  { name: "python3.0-3.7", ints: 5, before: 8, after: 1, namesField: 2, nameField: 7 },
  // 2.x: argcount, nlocals, stacksize, flags | same objects
  { name: "python2", ints: 4, before: 8, after: 1, namesField: 2, nameField: 7 },
];

export class MarshalError extends Error {}

type Value =
  | { kind: "str"; value: string }
  | { kind: "bytes"; value: string }
  | { kind: "seq"; items: Value[] }
  | { kind: "code"; name?: string }
  | { kind: "other" };

const OTHER: Value = { kind: "other" };

export class MarshalReader {
  private pos = 0;
  private objects = 0;
  private readonly refs: Value[] = [];
  private readonly interned: string[] = [];
  readonly strings = new Set<string>();
  readonly codeNames = new Set<string>();

  constructor(
    private readonly bytes: Uint8Array,
    private readonly layout: Layout,
    private readonly limits: MarshalLimits,
  ) {}

  get atEnd(): boolean {
    return this.pos === this.bytes.length;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) throw new MarshalError("truncated");
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private i32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }

  private skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  private text(n: number, latin1: boolean): string {
    this.need(n);
    const slice = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    if (latin1) return String.fromCharCode(...slice.subarray(0, 4096));
    return new TextDecoder("utf-8", { fatal: false }).decode(slice);
  }

  private keep(s: string): void {
    if (this.strings.size < this.limits.maxStrings) this.strings.add(s.slice(0, 120));
  }

  read(depth = 0): Value {
    if (depth > this.limits.maxDepth) throw new MarshalError("nested too deeply");
    if (++this.objects > this.limits.maxObjects) throw new MarshalError("too many objects");
    const code = this.u8();
    const flag = (code & 0x80) !== 0;
    const type = String.fromCharCode(code & 0x7f);
    let slot = -1;
    if (flag) slot = this.refs.push(OTHER) - 1;
    const value = this.readTyped(type, depth);
    if (slot >= 0) this.refs[slot] = value;
    return value;
  }

  private readSeq(count: number, depth: number): Value {
    if (count < 0) throw new MarshalError("negative length");
    const items: Value[] = [];
    for (let i = 0; i < count; i++) items.push(this.read(depth + 1));
    return { kind: "seq", items };
  }

  private readTyped(type: string, depth: number): Value {
    switch (type) {
      case "0":
        throw new MarshalError("NULL outside a dict");
      case "N":
      case "F":
      case "T":
      case "S":
      case ".":
        return OTHER;
      case "i":
        this.skip(4);
        return OTHER;
      case "I":
      case "g":
        this.skip(8);
        return OTHER;
      case "y":
        this.skip(16);
        return OTHER;
      case "f":
        this.skip(this.u8());
        return OTHER;
      case "x":
        this.skip(this.u8());
        this.skip(this.u8());
        return OTHER;
      case "l": {
        const n = this.i32();
        this.skip(Math.abs(n) * 2);
        return OTHER;
      }
      case "s": {
        const n = this.i32();
        const s = this.text(n, true);
        // Bytes objects are bytecode and line tables; Python 2 strings are bytes too.
        if (this.layout.name === "python2" && /^[\x20-\x7e]{1,200}$/.test(s)) this.keep(s);
        return { kind: "bytes", value: s };
      }
      case "t":
      case "u":
      case "a":
      case "A": {
        const s = this.text(this.i32(), type !== "u" && type !== "t");
        if (type === "t") this.interned.push(s);
        this.keep(s);
        return { kind: "str", value: s };
      }
      case "z":
      case "Z": {
        const s = this.text(this.u8(), true);
        this.keep(s);
        return { kind: "str", value: s };
      }
      case "R": {
        // Python 2 reference to an interned string.
        const s = this.interned[this.i32()];
        if (s === undefined) throw new MarshalError("bad string reference");
        return { kind: "str", value: s };
      }
      case "r": {
        const v = this.refs[this.i32()];
        if (v === undefined) throw new MarshalError("bad object reference");
        return v;
      }
      case "(":
      case "[":
      case "<":
      case ">":
        return this.readSeq(this.i32(), depth);
      case ")":
        return this.readSeq(this.u8(), depth);
      case "{": {
        for (;;) {
          const next = this.bytes[this.pos];
          if (next === undefined) throw new MarshalError("truncated");
          if (next === 0x30 /* '0' */) {
            this.pos++;
            return OTHER;
          }
          this.read(depth + 1);
          this.read(depth + 1);
        }
      }
      case "c":
        return this.readCode(depth);
      default:
        throw new MarshalError(`unknown type byte 0x${type.charCodeAt(0).toString(16)}`);
    }
  }

  private readCode(depth: number): Value {
    const l = this.layout;
    for (let i = 0; i < l.ints; i++) this.i32();
    const fields: Value[] = [];
    for (let i = 0; i < l.before; i++) fields.push(this.read(depth + 1));
    this.i32(); // co_firstlineno
    for (let i = 0; i < l.after; i++) this.read(depth + 1);
    const [bytecode, consts] = fields;
    const names = fields[l.namesField];
    const name = fields[l.nameField];
    const nameOk = name?.kind === "str" || (l.name === "python2" && name?.kind === "bytes");
    if (bytecode?.kind !== "bytes" || consts?.kind !== "seq" || names?.kind !== "seq" || !nameOk)
      throw new MarshalError("not a code object");
    const codeName = (name as { value: string }).value;
    this.codeNames.add(codeName);
    return { kind: "code", name: codeName };
  }
}
