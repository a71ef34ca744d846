/**
 * The marshal walker: real bytecode (made by CPython 3.11 with marshal.dumps, see
 * fixtures/gen/keras_templates.py), synthetic code objects in the older layouts, and a catalogue of
 * hostile blobs that must end in a described error, never a throw or a hang.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeBase64, inspectMarshalledCode } from "../../../src/scan/keras/marshal.js";

/** marshal.dumps(code of `lambda x: __import__('os').system('echo modelvet-fixture') or x`), CPython 3.11.2. */
const EVIL_311 =
  "4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACg\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3N6FWVjaG8g\nbW9kZWx2ZXQtZml4dHVyZSkC2gpfX2ltcG9ydF9f2gZzeXN0ZW0pAdoBeHMBAAAAIPoSPG1vZGVs\ndmV0LWZpeHR1cmU++gg8bGFtYmRhPnIHAAAAAQAAAHMiAAAAgACNKpBU0Qoa1Aoa1woh0goh0CI5\n0Qo61Ao60Ao/uGGAAPMAAAAA\n";
/** marshal.dumps(code of `lambda x: x * 2`), CPython 3.11.2. */
const PLAIN_311 =
  "4wEAAAAAAAAAAAAAAAIAAAADAAAA8wwAAACXAHwAZAF6BQAAUwApAk7pAgAAAKkAKQHaAXhzAQAA\nACD6Ejxtb2RlbHZldC1maXh0dXJlPvoIPGxhbWJkYT5yBgAAAAEAAABzCgAAAIAAiCGIYYklgADz\nAAAAAA==\n";

/** Builds marshal bytes by hand for the layouts we cannot generate here. */
class Marshal {
  private readonly out: number[] = [];
  byte(b: number): this {
    this.out.push(b & 0xff);
    return this;
  }
  i32(n: number): this {
    for (let i = 0; i < 4; i++) this.out.push((n >>> (8 * i)) & 0xff);
    return this;
  }
  str(s: string, type = "z"): this {
    this.byte(type.charCodeAt(0));
    if (type === "z" || type === "Z") this.byte(s.length);
    else this.i32(s.length);
    for (const c of s) this.out.push(c.charCodeAt(0));
    return this;
  }
  tuple(items: string[]): this {
    this.byte(")".charCodeAt(0)).byte(items.length);
    for (const s of items) this.str(s);
    return this;
  }
  bytes(b: number[]): this {
    this.byte("s".charCodeAt(0)).i32(b.length);
    this.out.push(...b);
    return this;
  }
  none(): this {
    return this.byte("N".charCodeAt(0));
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

/** A code object in the 3.8–3.10 layout (6 ints; code consts names varnames freevars cellvars filename name; line; lnotab). */
function code38(names: string[], consts: string[]): Uint8Array {
  const m = new Marshal().byte("c".charCodeAt(0));
  for (let i = 0; i < 6; i++) m.i32(1);
  m.bytes([0x74, 0x00, 0x53, 0x00]);
  m.byte("(".charCodeAt(0)).i32(consts.length);
  for (const c of consts) m.str(c);
  m.tuple(names).tuple(["x"]).tuple([]).tuple([]).str("<stdin>").str("<lambda>").i32(1).bytes([]);
  return m.done();
}

/** A code object in the 3.0–3.7 layout (5 ints; same objects as 3.8), with a nested code object in consts. */
function code37(names: string[]): Uint8Array {
  const inner = new Marshal().byte("c".charCodeAt(0));
  for (let i = 0; i < 5; i++) inner.i32(0);
  inner.bytes([0x64, 0x00, 0x53, 0x00]).tuple([]).tuple(["system"]).tuple([]).tuple([]).tuple([]);
  inner.str("<stdin>").str("<inner>").i32(2).bytes([]);
  const m = new Marshal().byte("c".charCodeAt(0));
  for (let i = 0; i < 5; i++) m.i32(1);
  m.bytes([0x74, 0x00, 0x53, 0x00]);
  const out = [...m.done(), 0x28, 1, 0, 0, 0, ...inner.done()];
  const rest = new Marshal()
    .tuple(names)
    .tuple(["x"])
    .tuple([])
    .tuple([])
    .str("<stdin>")
    .str("<lambda>")
    .i32(1)
    .bytes([]);
  return Uint8Array.from([...out, ...rest.done()]);
}

/** Python 2 layout (4 ints; same objects; strings as bytes). */
function code2(names: string[]): Uint8Array {
  const m = new Marshal().byte("c".charCodeAt(0));
  for (let i = 0; i < 4; i++) m.i32(1);
  m.bytes([0x74, 0x00, 0x00, 0x53]);
  m.byte("(".charCodeAt(0)).i32(1).none();
  m.byte("(".charCodeAt(0)).i32(names.length);
  for (const n of names) m.str(n, "t");
  m.byte("(".charCodeAt(0)).i32(0).byte("(".charCodeAt(0)).i32(0).byte("(".charCodeAt(0)).i32(0);
  m.str("<stdin>", "s").str("<lambda>", "t").i32(1).bytes([]);
  return m.done();
}

describe("inspectMarshalledCode", () => {
  test("real 3.11 lambda bytecode: layout, names and the dangerous ones", () => {
    const bytes = decodeBase64(EVIL_311);
    assert.ok(bytes);
    const s = inspectMarshalledCode(bytes);
    assert.equal(s.error, undefined);
    assert.equal(s.layout, "python>=3.11");
    assert.deepEqual(s.codeNames, ["<lambda>"]);
    for (const name of ["os", "system", "__import__", "echo modelvet-fixture"])
      assert.ok(s.strings.includes(name), name);
    assert.deepEqual(s.dangerous, ["__import__", "os", "system"]);
  });

  test("harmless bytecode decodes with no dangerous names", () => {
    const s = inspectMarshalledCode(decodeBase64(PLAIN_311)!);
    assert.equal(s.layout, "python>=3.11");
    assert.deepEqual(s.dangerous, []);
  });

  test("3.8-3.10 layout is recognised", () => {
    const s = inspectMarshalledCode(code38(["os", "popen"], ["id"]));
    assert.equal(s.error, undefined);
    assert.equal(s.layout, "python3.8-3.10");
    assert.deepEqual(s.dangerous, ["os", "popen"]);
  });

  test("3.0-3.7 layout is recognised, nested code objects included", () => {
    const s = inspectMarshalledCode(code37(["os"]));
    assert.equal(s.error, undefined);
    assert.equal(s.layout, "python3.0-3.7");
    assert.deepEqual(s.codeNames.sort(), ["<inner>", "<lambda>"]);
    assert.deepEqual(s.dangerous, ["os", "system"]);
  });

  test("Python 2 layout is recognised", () => {
    const s = inspectMarshalledCode(code2(["subprocess", "check_output"]));
    assert.equal(s.layout, "python2");
    assert.deepEqual(s.dangerous, ["check_output", "subprocess"]);
  });

  test("a .pyc header is reported with its Python version", () => {
    const body = decodeBase64(EVIL_311)!;
    const pyc = new Uint8Array(16 + body.length);
    pyc.set([0xa7, 0x0d, 0x0d, 0x0a]);
    pyc.set(body, 16);
    const s = inspectMarshalledCode(pyc);
    assert.deepEqual(s.pycMagic, { value: 0x0da7, python: "3.11" });
    assert.equal(s.layout, "python>=3.11");
  });

  const hostile: Array<[string, Uint8Array]> = [
    ["empty", new Uint8Array()],
    ["truncated real bytecode", decodeBase64(EVIL_311)!.subarray(0, 60)],
    ["unknown type byte", Uint8Array.of(0x63, 0, 0, 0, 0, 0x01)],
    ["not a code object", new Marshal().str("os").done()],
    ["tuple claiming 2^31 items", Uint8Array.of(0x28, 0xff, 0xff, 0xff, 0x7f)],
    ["negative string length", Uint8Array.of(0x73, 0xff, 0xff, 0xff, 0xff)],
    ["back-reference to nothing", Uint8Array.of(0x72, 5, 0, 0, 0)],
    [
      "tuples nested 10000 deep",
      Uint8Array.from(Array.from({ length: 10000 }, (_, i) => (i % 2 ? 1 : 0x29))),
    ],
    ["dict without terminator", Uint8Array.of(0x7b, 0x4e, 0x4e)],
    ["trailing bytes after the code", Uint8Array.from([...code38(["os"], []), 0x4e])],
  ];
  for (const [name, bytes] of hostile) {
    test(`hostile: ${name} → described error, no throw`, () => {
      const s = inspectMarshalledCode(bytes);
      assert.equal(typeof s.error, "string");
      assert.equal(s.layout, undefined);
    });
  }

  test("hostile: printable strings are still reported when decoding fails", () => {
    const s = inspectMarshalledCode(new TextEncoder().encode("\u0001os\u0002system\u0003"));
    assert.ok(s.error);
    assert.deepEqual(s.dangerous, ["os", "system"]);
  });

  test("seeded mutations of real bytecode never throw", () => {
    const base = decodeBase64(EVIL_311)!;
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const m = base.slice();
      for (let k = 0; k < 1 + rand(4); k++) m[rand(m.length)] = rand(256);
      const s = inspectMarshalledCode(m.subarray(0, rand(4) === 0 ? rand(m.length) : m.length));
      assert.ok(s.error !== undefined || s.layout !== undefined);
    }
  });
});

describe("decodeBase64", () => {
  test("accepts Keras's 76-column lines", () => {
    assert.ok(decodeBase64(EVIL_311));
  });
  for (const bad of ["", "!!! not base64 @@@", "abc", "ab=c", "YWJj\u0000"]) {
    test(`rejects ${JSON.stringify(bad)}`, () => assert.equal(decodeBase64(bad), undefined));
  }
});
