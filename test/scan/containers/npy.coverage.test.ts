/**
 * .npy headers as numpy's format.read_array_header reads them: sizes of text, bytes and void
 * dtypes, titled and nested structured fields, and every malformed header a loader would refuse,
 * each an error naming the fault (the scanner turns it into NUMPY_MALFORMED).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ScanError } from "../../../src/core/errors.js";
import { dtypeInfo, parseNpyHeader } from "../../../src/scan/containers/npy.js";
import { type PyLiteral, parsePyLiteral } from "../../../src/scan/containers/py-literal.js";
import { bytesSource } from "../../../src/scan/source.js";

function npy(header: Uint8Array | string, major = 1): Uint8Array {
  const h = typeof header === "string" ? new TextEncoder().encode(header) : header;
  const wide = major >= 2;
  const head = new Uint8Array(wide ? 12 : 10);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(head.buffer);
  if (wide) dv.setUint32(8, h.length, true);
  else dv.setUint16(8, h.length, true);
  const out = new Uint8Array(head.length + h.length);
  out.set(head);
  out.set(h, head.length);
  return out;
}

const info = (descr: string) => dtypeInfo(parsePyLiteral(descr));
const header = (body: string) => `{'descr': ${body}, 'fortran_order': False, 'shape': (1,), }`;
const rejects = (bytes: Uint8Array, message: RegExp) =>
  assert.throws(
    () => parseNpyHeader(bytesSource(bytes)),
    (e: unknown) => e instanceof ScanError && message.test(e.message),
  );
const rejectsDescr = (descr: string, message: RegExp) =>
  assert.throws(
    () => info(descr),
    (e: unknown) => e instanceof ScanError && message.test(e.message),
    descr,
  );

describe("npy dtype sizes", () => {
  it("text, bytes and void types are sized by their digits", () => {
    assert.deepEqual(info("'<U5'"), { size: 20, object: false });
    assert.deepEqual(info("'|S3'"), { size: 3, object: false });
    assert.deepEqual(info("'|a7'"), { size: 7, object: false });
    assert.deepEqual(info("'|V8'"), { size: 8, object: false });
    assert.deepEqual(info("'<u2'"), { size: 2, object: false });
    assert.deepEqual(info("'<i8'"), { size: 8, object: false });
    assert.deepEqual(info("'<M8[ns]'"), { size: 8, object: false });
  });

  it("titled fields and field shapes count; an object field anywhere makes it an object array", () => {
    assert.deepEqual(info("[(('title', 'a'), '<f4'), ('b', '<i2', (2, 3))]"), {
      size: 4 + 2 * 6,
      object: false,
    });
    assert.deepEqual(info("[('a', [('x', '|O'), ('y', '<f8')])]"), { size: 16, object: true });
  });

  it("malformed dtypes are refused, each with its reason", () => {
    rejectsDescr("'<u'", /has no size/);
    rejectsDescr("'<z4'", /unrecognised dtype/);
    rejectsDescr("5", /neither a dtype string nor a list of fields/);
    rejectsDescr("[('a',)]", /not \(name, dtype\[, shape\]\)/);
    rejectsDescr("['a']", /not \(name, dtype\[, shape\]\)/);
    rejectsDescr("[(5, '<f4')]", /field name is not a string/);
    rejectsDescr("[(('a', 5), '<f4')]", /field name is not a string/);
    rejectsDescr("[('a', '<f4', 3)]", /field shape is not a tuple/);
    // Deeper than the header literal reader allows: the dtype walk has its own bound too.
    let deep: PyLiteral = "<f4";
    for (let i = 0; i < 18; i++)
      deep = { kind: "list", items: [{ kind: "tuple", items: ["f", deep] }] };
    assert.throws(
      () => dtypeInfo(deep),
      (e: unknown) => e instanceof ScanError && /nested too deep/.test(e.message),
    );
  });
});

describe("npy headers", () => {
  it("a file cut inside the header length is refused", () => {
    rejects(npy(header("'<f4'")).subarray(0, 9), /truncated before the header length/);
    rejects(npy(header("'<f4'"), 2).subarray(0, 11), /truncated before the header length/);
  });

  it("a version 3 header that is not UTF-8 is not valid text", () => {
    rejects(npy(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d]), 3), /header is not valid text/);
  });

  it("a header that is not a dict of string keys is refused", () => {
    rejects(npy("[1, 2]"), /header is not a dict/);
    rejects(npy("{1: 2}"), /header key is not a string/);
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': 3}"), /shape is not a tuple/);
    rejects(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}"), /negative/);
  });
});
