/**
 * Marshal values a Lambda's constants can hold besides strings (binary and text floats, complex
 * numbers, 64-bit ints) are skipped by their exact sizes so the names after them are still read;
 * Python 2 interned-string references resolve to their string, and a dangling one is an error.
 * Synthetic code objects in the 3.8-3.10 and Python 2 layouts, built byte by byte.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inspectMarshalledCode } from "../../../src/scan/keras/marshal.js";

const ch = (c: string) => c.charCodeAt(0);
const i32 = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
const short = (s: string) => [ch("z"), s.length, ...[...s].map(ch)];
const tuple = (items: number[][]) => [ch(")"), items.length, ...items.flat()];
const bytesObj = (b: number[]) => [ch("s"), ...i32(b.length), ...b];
const text = (s: string) => [s.length, ...[...s].map(ch)];

/** A 3.8-3.10 code object whose consts are `consts` (already marshalled). */
function code38(names: string[], consts: number[][]): Uint8Array {
  return Uint8Array.from([
    ch("c"),
    ...[1, 1, 1, 1, 1, 1].flatMap(i32),
    ...bytesObj([0x74, 0x00, 0x53, 0x00]),
    ch("("),
    ...i32(consts.length),
    ...consts.flat(),
    ...tuple(names.map(short)),
    ...tuple([short("x")]),
    ...tuple([]),
    ...tuple([]),
    ...short("<stdin>"),
    ...short("<lambda>"),
    ...i32(1),
    ...bytesObj([]),
  ]);
}

/** A Python 2 code object whose co_names are `names` (already marshalled). */
function code2(names: number[][]): Uint8Array {
  const interned = (s: string) => [ch("t"), ...i32(s.length), ...[...s].map(ch)];
  const emptyTuple = [ch("("), ...i32(0)];
  return Uint8Array.from([
    ch("c"),
    ...[1, 1, 1, 1].flatMap(i32),
    ...bytesObj([0x74, 0x00, 0x00, 0x53]),
    ch("("),
    ...i32(1),
    ch("N"),
    ch("("),
    ...i32(names.length),
    ...names.flat(),
    ...emptyTuple,
    ...emptyTuple,
    ...emptyTuple,
    ch("s"),
    ...i32(7),
    ...[..."<stdin>"].map(ch),
    ...interned("<lambda>"),
    ...i32(1),
    ...bytesObj([]),
  ]);
}

describe("marshal constants of every numeric type", () => {
  test("are skipped by size, and the names after them are read", () => {
    const s = inspectMarshalledCode(
      code38(
        ["os", "popen"],
        [
          [ch("g"), ...new Array(8).fill(0)],
          [ch("y"), ...new Array(16).fill(0)],
          [ch("I"), ...new Array(8).fill(0xff)],
          [ch("f"), ...text("1.5")],
          [ch("x"), ...text("1.0"), ...text("-2.0")],
          short("id"),
        ],
      ),
    );
    assert.equal(s.error, undefined);
    assert.equal(s.layout, "python3.8-3.10");
    assert.ok(s.strings.includes("id"));
    assert.deepEqual(s.dangerous, ["os", "popen"]);
  });
});

describe("Python 2 interned strings", () => {
  const interned = (s: string) => [ch("t"), ...i32(s.length), ...[...s].map(ch)];
  test("a reference resolves to the interned string it points at", () => {
    const s = inspectMarshalledCode(code2([interned("system"), [ch("R"), ...i32(0)]]));
    assert.equal(s.layout, "python2");
    assert.equal(s.error, undefined);
    assert.deepEqual(s.dangerous, ["system"]);
  });

  test("a reference past the interned strings is an error, not a decoded code object", () => {
    const s = inspectMarshalledCode(code2([interned("system"), [ch("R"), ...i32(9)]]));
    assert.equal(s.layout, undefined);
    assert.equal(s.error, "bad string reference");
  });
});

describe("marshal limits", () => {
  test("more objects than the limit stop the walk with an error", () => {
    const s = inspectMarshalledCode(code38(["os"], [short("a"), short("b")]), {
      maxObjects: 3,
      maxDepth: 64,
      maxStrings: 200,
    });
    assert.match(s.error ?? "", /too many objects/);
    assert.equal(s.layout, undefined);
  });
});
