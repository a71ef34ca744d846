import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ScanError } from "../../../src/core/errors.js";
import { dtypeInfo, parseNpyHeader } from "../../../src/scan/containers/npy.js";
import { parsePyLiteral } from "../../../src/scan/containers/py-literal.js";
import { bytesSource } from "../../../src/scan/source.js";

const enc = new TextEncoder();

function npy(
  header: string,
  body = new Uint8Array(),
  version: [number, number] = [1, 0],
): Uint8Array {
  const h = enc.encode(header);
  const wide = version[0] >= 2;
  const head = new Uint8Array(wide ? 12 : 10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version[0], version[1]]);
  const dv = new DataView(head.buffer);
  if (wide) dv.setUint32(8, h.length, true);
  else dv.setUint16(8, h.length, true);
  const out = new Uint8Array(head.length + h.length + body.length);
  out.set(head);
  out.set(h, head.length);
  out.set(body, head.length + h.length);
  return out;
}

const parse = (b: Uint8Array) => parseNpyHeader(bytesSource(b));
const rejects = (b: Uint8Array) => assert.throws(() => parse(b), ScanError);

describe("npy header", () => {
  it("parses the header numpy writes (1.0, 2.0, 3.0)", () => {
    const text = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }          \n";
    for (const v of [
      [1, 0],
      [2, 0],
      [3, 0],
    ] as [number, number][]) {
      const h = parse(npy(text, new Uint8Array(24), v));
      assert.deepEqual(h.shape, [2, 3]);
      assert.equal(h.itemSize, 4);
      assert.equal(h.hasObject, false);
      assert.equal(h.dataOffset, (v[0] >= 2 ? 12 : 10) + text.length);
    }
  });

  it("scalars have shape ()", () => {
    assert.deepEqual(parse(npy("{'descr': '<i8', 'fortran_order': True, 'shape': ()}")).shape, []);
  });

  it("object dtypes are found, also inside structured dtypes", () => {
    assert.equal(
      parse(npy("{'descr': '|O', 'fortran_order': False, 'shape': (1,)}")).hasObject,
      true,
    );
    assert.equal(
      parse(
        npy(
          "{'descr': [('a', '<f8'), ('b', [('c', '|O')])], 'fortran_order': False, 'shape': (1,)}",
        ),
      ).hasObject,
      true,
    );
    assert.equal(
      parse(
        npy("{'descr': [('a', '<f8'), ('b', '<i4', (2,))], 'fortran_order': False, 'shape': (1,)}"),
      ).itemSize,
      16,
    );
  });

  it("item sizes of common dtypes", () => {
    const cases: [string, number][] = [
      ["<f8", 8],
      ["|b1", 1],
      ["<U5", 20],
      ["|S3", 3],
      ["<M8[ns]", 8],
      ["|V16", 16],
      ["<c16", 16],
      ["<f2", 2],
    ];
    for (const [d, size] of cases) assert.equal(dtypeInfo(d).size, size, d);
  });

  it("hostile headers are typed errors", () => {
    rejects(new Uint8Array([0x93, 0x4e, 0x55])); // truncated magic
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}", undefined, [4, 0])); // unknown version
    const past = npy("{'descr': '<f4'}");
    new DataView(past.buffer).setUint16(8, 60000, true);
    rejects(past); // header length past the end
    rejects(npy("{'descr': '<f4', 'fortran_order': False}")); // missing key
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}")); // extra key
    rejects(npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}")); // duplicate key
    rejects(npy("{'descr': __import__('os'), 'fortran_order': False, 'shape': (1,)}")); // expression
    rejects(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}")); // not a bool
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}")); // negative dim
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1.5,)}")); // float dim
    rejects(npy("{'descr': 'weird', 'fortran_order': False, 'shape': (1,)}")); // unknown dtype
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} trailing")); // trailing text
    rejects(
      npy(`{'descr': ${"[".repeat(100)}${"]".repeat(100)}, 'fortran_order': False, 'shape': ()}`),
    ); // deep
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)")); // unterminated
  });
});

describe("Python literal subset", () => {
  it("parses tuples, lists, dicts, strings with escapes, ints, bools, None", () => {
    assert.deepEqual(parsePyLiteral("(1,)"), { kind: "tuple", items: [1] });
    assert.equal(parsePyLiteral("(1)"), 1);
    assert.deepEqual(parsePyLiteral("[True, None, 'a\\'b', \"c\"]"), {
      kind: "list",
      items: [true, null, "a'b", "c"],
    });
    assert.deepEqual(parsePyLiteral("{'k': -3}"), { kind: "dict", entries: [["k", -3]] });
  });

  it("rejects names, calls, floats, concatenation and huge integers", () => {
    for (const text of [
      "os",
      "f()",
      "1.5",
      "'a' 'b'",
      "99999999999999999999",
      "{1: }",
      "(1 2)",
      "'\\q'",
    ]) {
      assert.throws(() => parsePyLiteral(text), ScanError, text);
    }
  });
});
