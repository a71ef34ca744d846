/**
 * Frame boundaries (reader.ts enterFrame/crossFrame, frames.ts): where an argument runs past the
 * end of its FRAME, CPython's readers part ways. Linear walks record where the pure-Python reader
 * would stop; file walks drop the rest of a frame as the C unpickler reading with read() does.
 * The expectations below were checked against CPython 3.11 and 3.13 (pickle.loads,
 * pickle.load(io.BytesIO), pickle.load(open(path, "rb")), pickle._loads) with a harmless payload.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Budget } from "../../../src/scan/budget.js";
import { MAX_READINGS, scanFrameReadings } from "../../../src/scan/pickle/frames.js";
import { walkPickle } from "../../../src/scan/pickle/index.js";
import type { FrameDecision } from "../../../src/scan/pickle/types.js";
import { bytesSource } from "../../../src/scan/source.js";
import { codes, op, pk, testPolicy } from "./helpers.js";

const budget = () => new Budget();
const linear = (b: Uint8Array) => walkPickle(bytesSource(b), { budget: budget(), hooks: {} });
const file = (b: Uint8Array, decisions: FrameDecision[] = []) =>
  walkPickle(bytesSource(b), { budget: budget(), hooks: {}, frames: { mode: "file", decisions } });
const imports = (r: ReturnType<typeof linear>) => r.imports.map((i) => `${i.module}.${i.name}`);

/** NONE, POP, os.system("echo hi") by STACK_GLOBAL, padded to exactly n bytes. */
function payload(n: number): Uint8Array {
  const head = pk(op.POP, op.shortBinunicode("os"), op.shortBinunicode("system"), op.STACK_GLOBAL);
  const tail = pk(op.TUPLE1, op.REDUCE);
  const cmd = "echo hi".padEnd(n - head.length - tail.length - 2, " ");
  const out = pk(head, op.shortBinunicode(cmd), tail);
  assert.equal(out.length, n);
  return out;
}

/** FRAME 3 { SHORT_BINUNICODE 12, "A" } "fffffffffff" "C" | NONE payload(78) STOP */
const STRADDLE = pk(
  op.proto(4),
  op.frame(3),
  0x8c,
  12,
  "A",
  "fffffffffff",
  "C",
  op.NONE,
  payload(0x4e),
  op.STOP,
);

describe("frames: an argument that runs past the end of its frame", () => {
  it("linear (pickle.loads): a str and a bytes constant, no import; the event is recorded", () => {
    const r = linear(STRADDLE);
    assert.equal(r.complete, true);
    assert.deepEqual(imports(r), []);
    assert.equal(r.frames?.events[0]?.kind, "read-past-frame");
    assert.equal(r.frames?.events[0]?.offset, 11);
    assert.equal(r.frames?.events[0]?.frameEnd, 14);
  });

  it("file with read() (pickle.load(io.BytesIO)): the rest of the frame is dropped and os.system runs", () => {
    const r = file(STRADDLE);
    assert.deepEqual(imports(r), ["os.system"]);
    assert.equal(r.complete, true);
    assert.deepEqual(r.frames?.drops, [0]);
    assert.equal(r.frames?.events[0]?.kind, "dropped");
    assert.equal(r.frames?.events[0]?.at, 13);
  });

  it("file with peek() covering the frame (pickle.load(open(path))): linear again", () => {
    const r = file(STRADDLE, ["peek"]);
    assert.deepEqual(imports(r), []);
    assert.deepEqual(r.frames?.drops, []);
  });

  it("a protocol-0 line that runs past the frame end: file reading reads the line after it", () => {
    // FRAME 2 { "V", "a" } "b\n" STOP ... linear: str "ab"; file: the line is read from "b\n".
    const bytes = pk(op.proto(4), op.frame(2), "Va", "b\n", op.STOP);
    assert.equal(linear(bytes).frames?.events[0]?.kind, "read-past-frame");
    const f = file(bytes);
    assert.equal(f.complete, true);
    assert.equal(f.frames?.events[0]?.kind, "dropped");
    assert.equal(f.frames?.events[0]?.at, 12); // "a" at 12 dropped, the line read from 13
  });

  it("a bytes payload past the frame end is read on by both C readers (readinto), but not by pure Python", () => {
    const bytes = pk(op.proto(4), op.frame(3), op.shortBinbytes([1, 2, 3, 4]), op.STOP);
    assert.equal(linear(bytes).frames?.events[0]?.kind, "readinto-past-frame");
    const f = file(bytes);
    assert.equal(f.complete, true);
    assert.deepEqual(f.frames?.drops, []);
  });

  it("a FRAME inside a frame, longer than the rest of the outer one", () => {
    const body = pk(op.shortBinunicode("os"), op.shortBinunicode("system"), op.STACK_GLOBAL);
    const inner = pk(op.frame(body.length + 1), "C", body.length);
    const bytes = pk(op.proto(4), op.frame(inner.length), inner, body, op.STOP);
    const l = linear(bytes);
    assert.equal(l.frames?.events[0]?.kind, "frame-in-frame");
    assert.deepEqual(imports(l), []);
    assert.deepEqual(imports(file(bytes)), ["os.system"]);
  });

  it("a FRAME inside a frame that fits in the rest of it changes nothing for C readers", () => {
    const bytes = pk(op.proto(4), op.frame(11), op.frame(2), op.NONE, op.STOP);
    assert.equal(linear(bytes).frames?.events[0]?.kind, "frame-in-frame");
    assert.deepEqual(file(bytes).frames?.drops, []);
  });

  it("frames that end on opcode boundaries, as picklers write them, record nothing", () => {
    const f1 = pk(op.EMPTY_LIST, op.MEMOIZE, op.MARK, op.binint1(1));
    const f2 = pk(op.binint1(2), op.APPENDS, op.STOP);
    const bytes = pk(op.proto(4), op.frame(f1.length), f1, op.frame(f2.length), f2);
    const r = linear(bytes);
    assert.equal(r.complete, true);
    assert.equal(r.frames, undefined);
    assert.deepEqual(file(bytes).frames?.drops, []);
  });

  it("scanFrameReadings: a blocking disagreement naming the readings, and the file reading's payload", () => {
    const r = linear(STRADDLE);
    const found = scanFrameReadings(
      bytesSource(STRADDLE),
      r,
      { budget: budget(), policy: { pickle: testPolicy } as never },
      {},
      [],
    );
    assert.equal(found[0]?.code, "PICKLE_READER_DISAGREEMENT");
    assert.equal(found[0]?.verdict, "malicious");
    assert.match(found[0]?.message ?? "", /pure-Python/);
    assert.match(found[0]?.message ?? "", /pickle\.loads/);
    assert.match(found[0]?.message ?? "", /read\(\) skips bytes 13\.\.14: imports os\.system/);
    assert.ok(codes(found).includes("PICKLE_DANGEROUS_GLOBAL"));
    assert.ok(codes(found).includes("PICKLE_DANGEROUS_CALL"));
  });

  it("every combination of peek()/read() that changes the reading is walked, within a budget", () => {
    // Many frames, each with a straddle: more readings than MAX_READINGS.
    const parts: Uint8Array[] = [pk(op.proto(4))];
    for (let i = 0; i < 8; i++) parts.push(pk(op.frame(2), "Va", "b\n", op.POP));
    parts.push(pk(op.NONE, op.STOP));
    const bytes = pk(...parts);
    const found = scanFrameReadings(
      bytesSource(bytes),
      linear(bytes),
      { budget: budget(), policy: { pickle: testPolicy } as never },
      {},
      [],
    );
    assert.equal(found[0]?.code, "PICKLE_READER_DISAGREEMENT");
    assert.ok(
      found.some((f) => f.code === "BUDGET_EXCEEDED" && f.message.includes(`${MAX_READINGS}`)),
      JSON.stringify(codes(found)),
    );
  });
});
