/**
 * The memo's two halves: dense slots (packed as numbers past slot 256) and a sparse map for indices
 * far past the end, which move into the dense part when it grows up to them. Whatever the path, a
 * GET must give back exactly the value last PUT at that index (CPython's memo is a dict), and the
 * entry count (the memo budget) must count each index once.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { allFindings, codes, op, type Part, pk, walk } from "./helpers.js";

/** `n` memo entries (ints) at 0..n-1, via MEMOIZE. */
function filler(n: number): Part[] {
  const parts: Part[] = [];
  for (let i = 0; i < n; i++) parts.push(op.binint2(i), op.MEMOIZE, op.POP);
  return parts;
}

const put = (i: number, ...value: Part[]): Part[] => [...value, op.longBinput(i), op.POP];
const get = (i: number): Part => op.longBinget(i);

/** Walks `setup`, then a persistent id made of the GETs; returns the id. */
function readBack(setup: Part[], gets: Part[], limits = {}): unknown[] {
  const r = walk(
    pk(op.proto(4), ...setup, op.MARK, ...gets, op.TUPLE, op.BINPERSID, op.STOP),
    limits,
  );
  assert.equal(r.complete, true, JSON.stringify(r.findings));
  return r.persistentIds[0] as unknown[];
}

describe("pickle memo: packed slots past 256", () => {
  it("True, False, None, a list, short and long decoded str, a bigint and a 20-item tuple come back as put", () => {
    const short = "é€x";
    const long = "ü".repeat(70);
    const big = [0, 0, 0, 0, 0, 0, 0, 0, 1]; // LONG1: 2^64
    const ids = readBack(
      [
        ...filler(300),
        ...put(300, op.NEWTRUE),
        ...put(301, op.NEWFALSE),
        ...put(302, op.NONE),
        ...put(303, op.EMPTY_LIST),
        ...put(304, op.shortBinunicode(short)),
        ...put(305, op.binunicode(long)),
        ...put(306, op.long1(big)),
        ...put(307, op.MARK, ...Array.from({ length: 20 }, (_, i) => op.binint1(i)), op.TUPLE),
      ],
      [300, 301, 302, 303, 304, 305, 306, 307].map(get),
    );
    assert.deepEqual(ids, [
      true,
      false,
      null,
      { kind: "list" },
      short,
      long,
      2n ** 64n,
      Array.from({ length: 20 }, (_, i) => i),
    ]);
  });

  it("a packed slot overwritten with another kind gives the new value", () => {
    const ids = readBack(
      [
        ...filler(260),
        ...put(258, op.shortBinunicode("ä")),
        ...put(258, op.NEWFALSE),
        ...put(259, op.NEWTRUE),
        ...put(259, op.shortBinunicode("ö")),
      ],
      [get(258), get(259)],
    );
    assert.deepEqual(ids, [false, "ö"]);
  });
});

describe("pickle memo: sparse indices", () => {
  it("an index far past the end is kept apart, and moves into the dense part when the memo grows over it", () => {
    const ids = readBack(
      [
        ...put(100, op.shortBinunicode("far")), // sparse: 100 is more than 64 past the end (0)
        ...put(40, op.shortBinunicode("dense")), // dense 0..40
        ...put(101, op.shortBinunicode("next")), // dense 41..101: 100 moves in
      ],
      [get(100), get(40), get(101)],
    );
    assert.deepEqual(ids, ["far", "dense", "next"]);
  });

  it("a PUT at a sparse index the dense part has just reached replaces its value and is not counted twice", () => {
    const setup = [
      ...put(100, op.shortBinunicode("old")),
      ...put(40, op.shortBinunicode("dense")),
      ...put(100, op.shortBinunicode("new")),
    ];
    assert.deepEqual(readBack(setup, [get(100)]), ["new"]);
    // Two distinct indices (40, 100): a memo budget of 2 holds them.
    assert.deepEqual(readBack(setup, [get(100)], { maxPickleMemo: 2 }), ["new"]);
  });

  it("a PUT that overwrites a sparse index replaces its value and is not counted twice", () => {
    const setup = [...put(5000, op.shortBinunicode("a")), ...put(5000, op.shortBinunicode("b"))];
    assert.deepEqual(readBack(setup, [get(5000)], { maxPickleMemo: 1 }), ["b"]);
  });

  it("a third distinct index past a memo budget of 2 stops the walk with BUDGET_EXCEEDED", () => {
    const r = walk(
      pk(
        op.proto(4),
        ...put(5000, op.NONE),
        ...put(6000, op.NONE),
        ...put(7000, op.NONE),
        op.NONE,
        op.STOP,
      ),
      { maxPickleMemo: 2 },
    );
    assert.deepEqual(codes(allFindings(r)), ["BUDGET_EXCEEDED"]);
    assert.match(r.findings[0]?.message ?? "", /memo grew past 2 entries/);
  });
});
