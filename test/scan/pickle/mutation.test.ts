/**
 * Seeded mutation loop: thousands of mutated streams per run (bit flips, truncation, insertion,
 * duplication, opcode splicing). Every result must be either clean with no errors (complete, no
 * findings) or carry findings; nothing may throw, and the opcode count stays within the budget.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { evaluatePickle, sniffPickle, walkPickle } from "../../../src/scan/pickle/index.js";
import { bytesSource } from "../../../src/scan/source.js";
import { budget, op, PAYLOAD0, pk, testPolicy } from "./helpers.js";

/** mulberry32: a tiny deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const data = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./data/${name}`, import.meta.url)));

const SEEDS: Uint8Array[] = [
  pk(PAYLOAD0, op.STOP),
  pk(
    op.proto(4),
    op.frame(27),
    op.shortBinunicode("collections"),
    op.MEMOIZE,
    op.shortBinunicode("OrderedDict"),
    op.MEMOIZE,
    op.STACK_GLOBAL,
    op.EMPTY_TUPLE,
    op.REDUCE,
    op.EMPTY_DICT,
    op.BUILD,
    op.STOP,
  ),
  pk(
    op.proto(2),
    op.EMPTY_DICT,
    op.binput(0),
    op.MARK,
    op.binunicode("a"),
    op.long1([5]),
    op.binunicode("b"),
    op.MARK,
    op.binint1(1),
    op.binint2(2),
    op.binint(3),
    op.TUPLE,
    op.SETITEMS,
    op.STOP,
  ),
  pk(
    op.MARK,
    op.LIST,
    op.put(0),
    op.string("'x\\n'"),
    op.APPEND,
    op.unicode("\\u00e9"),
    op.APPEND,
    op.get(0),
    op.POP,
    op.STOP,
  ),
  pk(
    op.proto(3),
    op.global("pickle", "loads"),
    op.binbytes(pk(PAYLOAD0, op.STOP)),
    op.TUPLE1,
    op.REDUCE,
    op.STOP,
  ),
  pk(
    op.proto(5),
    op.bytearray8([1, 2]),
    op.NEXT_BUFFER,
    op.READONLY_BUFFER,
    op.ext2(300),
    op.TUPLE3,
    op.STOP,
  ),
  data("arange.joblib"),
  data("mixed.joblib"),
];

const OPCODE_BYTES = [..."(.012FIJKLMNPQRSTUVXabcdeghijlopqrstu}])G"]
  .map((c) => c.charCodeAt(0))
  .concat([
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98,
  ]);

function mutate(input: Uint8Array, rnd: () => number): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  const steps = 1 + Math.floor(rnd() * 3);
  for (let s = 0; s < steps; s++) {
    const at = Math.floor(rnd() * (b.length + 1));
    switch (Math.floor(rnd() * 6)) {
      case 0: // bit flip
        if (b.length > 0) {
          const i = Math.min(at, b.length - 1);
          b[i] = (b[i] as number) ^ (1 << Math.floor(rnd() * 8));
        }
        break;
      case 1: // truncation
        b = b.subarray(0, at);
        break;
      case 2: {
        // insertion of random bytes
        const n = 1 + Math.floor(rnd() * 8);
        const ins = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
        b = pk(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 3: {
        // duplication of a slice
        const from = Math.floor(rnd() * (b.length + 1));
        const len = Math.floor(rnd() * 32);
        b = pk(b.subarray(0, at), b.subarray(from, from + len), b.subarray(at));
        break;
      }
      case 4: // an opcode byte spliced over
        if (b.length > 0)
          b[Math.min(at, b.length - 1)] = OPCODE_BYTES[
            Math.floor(rnd() * OPCODE_BYTES.length)
          ] as number;
        break;
      default: {
        // a length field made huge
        const huge = [0xff, 0xff, 0xff, 0x7f];
        b = pk(b.subarray(0, at), huge, b.subarray(Math.min(b.length, at + 4)));
      }
    }
  }
  return b;
}

describe("pickle walker: seeded mutation loop", () => {
  it("6000 mutated streams: no throw, bounded work, clean only when complete and error-free", () => {
    const rnd = prng(0x5eed1234);
    const maxPickleOpcodes = 200_000;
    let withFindings = 0;
    for (let i = 0; i < 6000; i++) {
      const seed = SEEDS[i % SEEDS.length] as Uint8Array;
      const bytes = mutate(seed, rnd);
      const r = walkPickle(bytesSource(bytes), { budget: budget({ maxPickleOpcodes }) });
      const findings = [...r.findings, ...evaluatePickle(r, testPolicy)];
      assert.ok(r.opcodes <= maxPickleOpcodes + 1, `case ${i}: ${r.opcodes} opcodes`);
      assert.ok(r.end >= r.start && r.end <= bytes.length, `case ${i}: end ${r.end}`);
      if (!r.complete)
        assert.ok(r.findings.length > 0, `case ${i}: incomplete walk with no finding`);
      if (findings.length === 0) {
        assert.equal(r.complete, true, `case ${i}: clean but incomplete`);
      } else withFindings++;
      sniffPickle(bytes.subarray(0, 8192));
    }
    assert.ok(withFindings > 3000, `only ${withFindings} mutated streams had findings`);
  });
});
