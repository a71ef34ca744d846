/**
 * Hostile inputs: each named case must end in a finding with the right code — never a throw, a
 * hang or a clean result.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { FindingCode } from "../../../src/core/finding.js";
import { walkPickle } from "../../../src/scan/pickle/index.js";
import { OPCODE_BY_CODE } from "../../../src/scan/pickle/opcodes.js";
import type { ByteSource } from "../../../src/scan/source.js";
import {
  allFindings,
  budget,
  codes,
  joblibWrapper,
  op,
  PAYLOAD0,
  pk,
  u32,
  u64,
  walk,
} from "./helpers.js";

const data = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./data/${name}`, import.meta.url)));

function expectCode(bytes: Uint8Array, code: FindingCode, limits = {}) {
  const r = walk(bytes, limits);
  const found = codes(allFindings(r));
  assert.ok(found.includes(code), `expected ${code}, got ${JSON.stringify(found)}`);
  assert.equal(r.complete, false);
  return r;
}

const repeat = (parts: number[], times: number): Uint8Array => {
  const out = new Uint8Array(parts.length * times);
  for (let i = 0; i < times; i++) out.set(parts, i * parts.length);
  return out;
};

describe("hostile pickles: truncation", () => {
  const streams: [string, Uint8Array][] = [
    ["hand-made protocol 0 payload", pk(PAYLOAD0, op.STOP)],
    [
      "hand-made protocol 4 stream",
      pk(
        op.proto(4),
        op.frame(30),
        op.shortBinunicode("collections"),
        op.MEMOIZE,
        op.shortBinunicode("OrderedDict"),
        op.STACK_GLOBAL,
        op.EMPTY_TUPLE,
        op.REDUCE,
        op.binbytes8([1, 2, 3]),
        op.POP,
        op.STOP,
      ),
    ],
    ["real joblib file (inline arrays, object array as inline pickle)", data("mixed.joblib")],
  ];
  for (const [name, bytes] of streams) {
    it(`${name}: cut at every offset is PICKLE_MALFORMED, never complete`, () => {
      assert.equal(walk(bytes).complete, true);
      for (let cut = 0; cut < bytes.length; cut++) {
        const r = walk(bytes.subarray(0, cut));
        assert.equal(r.complete, false, `cut ${cut}`);
        assert.ok(
          codes(r.findings).includes("PICKLE_MALFORMED"),
          `cut ${cut}: ${JSON.stringify(r.findings)}`,
        );
        assert.ok(r.end <= cut);
      }
    });
  }
  it("an empty stream is truncated", () => {
    expectCode(new Uint8Array(0), "PICKLE_MALFORMED");
  });
  it("GLOBAL with no newline before the end", () => {
    expectCode(pk("cos\nsyst"), "PICKLE_MALFORMED");
  });
});

describe("hostile pickles: invalid opcodes and structure", () => {
  it("every byte that is not an opcode is an invalid load key", () => {
    for (let b = 0; b < 256; b++) {
      if (OPCODE_BY_CODE[b] !== undefined) continue;
      const r = expectCode(pk(op.proto(4), op.NONE, b, op.STOP), "PICKLE_MALFORMED");
      assert.match(r.findings[0]?.message ?? "", /invalid load key/);
      assert.equal(r.findings[0]?.offset, 3);
    }
  });
  const cases: [string, Uint8Array][] = [
    ["PROTO 6", pk(op.proto(6), op.NONE, op.STOP)],
    ["STOP on an empty stack", pk(op.STOP)],
    ["STOP right after a MARK", pk(op.NONE, op.MARK, op.STOP)],
    ["REDUCE with one item", pk(op.NONE, op.REDUCE, op.STOP)],
    ["APPEND on an empty stack", pk(op.APPEND)],
    ["POP_MARK with no MARK", pk(op.NONE, op.POP_MARK, op.STOP)],
    ["TUPLE with no MARK", pk(op.NONE, op.TUPLE, op.STOP)],
    ["DICT with an odd number of items", pk(op.MARK, op.NONE, op.DICT, op.STOP)],
    [
      "SETITEMS with an odd number of items",
      pk(op.EMPTY_DICT, op.MARK, op.NONE, op.SETITEMS, op.STOP),
    ],
    ["APPENDS with nothing below the MARK", pk(op.MARK, op.NONE, op.APPENDS, op.STOP)],
    ["DUP across a MARK", pk(op.NONE, op.MARK, op.DUP, op.STOP)],
    ["MEMOIZE on an empty stack", pk(op.proto(4), op.MEMOIZE, op.STOP)],
    ["GET of a missing key", pk(op.get(0), op.STOP)],
    ["BINGET of a missing key", pk(op.binget(3), op.STOP)],
    ["negative LONG_BINPUT", pk(op.NONE, [0x72], u32(0xffffffff), op.STOP)],
    ["negative PUT", pk(op.NONE, op.put(-1), op.STOP)],
    ["PUT with a non-integer", pk(op.NONE, op.put("x"), op.STOP)],
    ["INT that is not a number", pk(op.int("one"), op.STOP)],
    ["FLOAT that is not a number", pk(op.float("1.5x"), op.STOP)],
    ["STRING not quoted", pk(op.string("abc"), op.STOP)],
    ["STRING with mismatched quotes", pk(op.string("'abc\""), op.STOP)],
    ["STRING with a bad \\x escape", pk(op.string("'\\xZZ'"), op.STOP)],
    ["UNICODE with a truncated \\u escape", pk(op.unicode("\\u12"), op.STOP)],
    ["BINUNICODE that is not UTF-8", pk([0x58], u32(2), [0xff, 0xfe], op.STOP)],
    ["BINSTRING with a negative length", pk([0x54], u32(0xfffffff0), op.STOP)],
    ["LONG4 with a negative length", pk([0x8b], u32(0x80000000), op.STOP)],
    ["PERSID that is not ASCII", pk("P\xe9\n", op.STOP)],
    ["EXT4 with a negative code", pk(op.proto(2), [0x84], u32(0xffffffff), op.STOP)],
    [
      "a joblib wrapper whose dtype cannot be sized",
      pk(
        op.proto(4),
        op.global("joblib.numpy_pickle", "NumpyArrayWrapper"),
        op.EMPTY_TUPLE,
        op.NEWOBJ,
        op.EMPTY_DICT,
        op.BUILD,
        op.STOP,
      ),
    ],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      expectCode(bytes, "PICKLE_MALFORMED");
    });
  }
});

describe("hostile pickles: lying lengths are truncation, never a big read", () => {
  const cases: [string, Uint8Array][] = [
    ["LONG4 claiming 2 GB", pk(op.proto(2), [0x8b], u32(0x7fffffff), [1, 2], op.STOP)],
    ["BINBYTES claiming 4 GB", pk(op.proto(3), [0x42], u32(0xffffffff), [1], op.STOP)],
    ["BINBYTES8 claiming 2 GB", pk(op.proto(4), [0x8e], u64(2 ** 31), [1], op.STOP)],
    ["BINBYTES8 claiming 2^64-1", pk(op.proto(4), [0x8e], u64(0xffffffffffffffffn), op.STOP)],
    ["BINUNICODE8 claiming 2^63", pk(op.proto(4), [0x8d], u64(2n ** 63n), op.STOP)],
    ["BYTEARRAY8 claiming 1 TB", pk(op.proto(5), [0x96], u64(2 ** 40), op.STOP)],
    ["BINUNICODE claiming 4 GB", pk([0x58], u32(0xffffffff), "abc", op.STOP)],
    ["BINSTRING claiming 2 GB", pk([0x54], u32(0x7fffffff), "abc", op.STOP)],
    ["FRAME longer than the data", pk(op.proto(4), op.frame(1000), op.NONE, op.STOP)],
    ["FRAME claiming 2^64-1", pk(op.proto(4), op.frame(0xffffffffffffffffn), op.NONE, op.STOP)],
    [
      "joblib array bigger than the file",
      pk(op.proto(4), joblibWrapper("f8", [1_000_000_000]), op.STOP),
    ],
  ];
  for (const [name, bytes] of cases) {
    it(name, () => {
      expectCode(bytes, "PICKLE_MALFORMED");
    });
  }

  it("a real 2 GB BINBYTES8 constant is skipped by offset, not read", () => {
    const big = 2 ** 31;
    const head = pk(op.proto(4), [0x8e], u64(big));
    const tail = pk(op.STOP);
    let bytesRead = 0;
    const source: ByteSource = {
      size: head.length + big + tail.length,
      read(offset, length) {
        const end = Math.min(this.size, offset + length);
        bytesRead += end - offset;
        const out = new Uint8Array(Math.max(0, end - offset));
        for (let i = offset; i < end; i++) {
          if (i < head.length) out[i - offset] = head[i] as number;
          else if (i >= head.length + big) out[i - offset] = tail[i - head.length - big] as number;
        }
        return out;
      },
    };
    const r = walkPickle(source, { budget: budget() });
    assert.equal(r.complete, true);
    assert.deepEqual(r.findings, []);
    assert.ok(bytesRead < 4 * 1024 * 1024, `read ${bytesRead} bytes`);
  });
});

describe("hostile pickles: resource abuse (P14) is a budget finding", () => {
  it("deep MARK nesting", () => {
    const r = expectCode(repeat([0x28], 200_000), "BUDGET_EXCEEDED");
    assert.match(r.findings[0]?.message ?? "", /MARKs nest deeper/);
  });
  it("millions of DUP grow the stack past its budget", () => {
    expectCode(pk(op.NONE, repeat([0x32], 2_000_000)), "BUDGET_EXCEEDED");
  });
  it("millions of DUP+POP run past the opcode budget", () => {
    expectCode(pk(op.NONE, repeat([0x32, 0x30], 1_500_000), op.STOP), "BUDGET_EXCEEDED", {
      maxPickleOpcodes: 1_000_000,
    });
  });
  it("millions of GET run past the opcode budget", () => {
    expectCode(
      pk(op.NONE, op.binput(0), repeat([0x68, 0, 0x30], 1_500_000), op.STOP),
      "BUDGET_EXCEEDED",
      { maxPickleOpcodes: 1_000_000 },
    );
  });
  it("a memo bomb (distinct LONG_BINPUT indices) runs past the memo budget", () => {
    const parts: number[] = [0x4e];
    for (let i = 0; i < 5000; i++) parts.push(0x72, ...u32(i * 7919));
    expectCode(pk(parts, op.STOP), "BUDGET_EXCEEDED", { maxPickleMemo: 1000 });
  });
  it("more than 100,000 distinct imports stop the walk (findings stay bounded)", () => {
    const parts: string[] = [];
    for (let i = 0; i < 120_000; i++) parts.push(`cm\nn${i}\n0`);
    expectCode(pk(parts.join(""), op.NONE, op.STOP), "BUDGET_EXCEEDED");
  });
  it("more than 1,000 nested pickles stop the walk", () => {
    const inner = pk(PAYLOAD0, op.STOP);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < 1100; i++) parts.push(pk(op.binbytes(inner), op.POP));
    expectCode(pk(op.proto(3), ...parts, op.NONE, op.STOP), "BUDGET_EXCEEDED");
  });
  it("a huge sparse memo index is just one entry (no array sized by the index)", () => {
    const r = walk(pk(op.NONE, [0x72], u32(0x7ffffffe), op.POP, [0x6a], u32(0x7ffffffe), op.STOP));
    assert.equal(r.complete, true);
  });
  it("a huge tuple does not keep its items beyond the retention cap", () => {
    const r = walk(pk(op.MARK, repeat([0x4e], 90_000), op.TUPLE, op.STOP));
    assert.equal(r.complete, true);
  });
});
