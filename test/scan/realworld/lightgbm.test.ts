/**
 * Pickled LightGBM models (issue #13): a `lightgbm.basic.Booster` restored the way LightGBM
 * pickles it (Booster.__new__ with no arguments, then BUILD with a state dict whose `_handle` is
 * the model text) passes only when that text passes the strict model-text check; every other
 * shape of Booster stays blocked. The sklearn wrappers are allowlisted as plain estimators.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { REPO_ROOT } from "../../helpers/run-cli.js";
import { model, TREE } from "../lightgbm/helpers.js";
import { allFindings, codes, op, type Part, pk, walk } from "../pickle/helpers.js";

const policy = loadScanPolicy().pickle;
const check = (bytes: Uint8Array) => allFindings(walk(bytes), policy);
const blocking = (bytes: Uint8Array) =>
  check(bytes)
    .filter((f) => f.verdict !== "clean")
    .map((f) => f.code);
const sg = (m: string, n: string) => [
  ...op.shortBinunicode(m),
  ...op.shortBinunicode(n),
  ...op.STACK_GLOBAL,
];

const GOOD = model([TREE, TREE]);
const LONG = model(Array.from({ length: 40 }, () => TREE)); // > 4 kB: a located long str constant

/** Booster.__new__(Booster) then BUILD({key: value, "_network": False, ...}). */
function booster(value: Part, options: { key?: string; call?: Part[]; state?: Part[] } = {}) {
  return pk(
    op.proto(4),
    sg("lightgbm.basic", "Booster"),
    ...(options.call ?? [op.EMPTY_TUPLE, op.NEWOBJ]),
    ...(options.state ?? [
      op.EMPTY_DICT,
      op.MARK,
      op.shortBinunicode(options.key ?? "_handle"),
      value,
      op.shortBinunicode("_network"),
      op.NEWFALSE,
      op.shortBinunicode("best_iteration"),
      op.binint1(0),
      op.SETITEMS,
    ]),
    op.BUILD,
    op.STOP,
  );
}

describe("pickled LightGBM Booster", () => {
  it("passes the Booster shape LightGBM writes, with a short or a long model text", () => {
    for (const text of [GOOD, LONG]) {
      const found = check(booster(op.binunicode(text)));
      assert.deepEqual(blocking(booster(op.binunicode(text))), [], JSON.stringify(found));
      const note = found.find((f) => f.code === "LIGHTGBM_MODEL");
      assert.ok(note && /4\.6\.0/.test(note.message) && /CVE-2024-43598/.test(note.message));
    }
  });

  it("passes the older `handle` key and a None handle", () => {
    assert.deepEqual(blocking(booster(op.binunicode(GOOD), { key: "handle" })), []);
    assert.deepEqual(blocking(booster(op.NONE)), []);
  });

  it("blocks a Booster whose model text fails the check (with the reason)", () => {
    const bad = GOOD.replace("split_feature=0 1", "split_feature=0 9");
    const found = check(booster(op.binunicode(bad)));
    const c = codes(found);
    assert.ok(c.includes("LIGHTGBM_INVALID") && c.includes("PICKLE_UNKNOWN_GLOBAL"), c.join());
    assert.match(
      found.find((f) => f.code === "LIGHTGBM_INVALID")?.message ?? "",
      /split_feature 9/,
    );
    assert.ok(!c.includes("LIGHTGBM_MODEL"));
  });

  it("blocks a handle that is not a str constant (bytes, a number, a call result)", () => {
    for (const value of [
      op.shortBinbytes([0x74, 0x72, 0x65, 0x65]),
      op.binint1(3),
      pk(sg("builtins", "str"), op.EMPTY_TUPLE, op.REDUCE),
    ])
      assert.ok(blocking(booster(value)).includes("PICKLE_UNKNOWN_GLOBAL"));
  });

  it("blocks a Booster called with arguments (its __init__ reads files and trains)", () => {
    const called = booster(op.binunicode(GOOD), {
      call: [op.shortBinunicode("model.txt"), op.TUPLE1, op.REDUCE],
    });
    assert.ok(blocking(called).includes("PICKLE_UNKNOWN_GLOBAL"));
  });

  it("blocks a Booster that is never built, or built with a state that is no dict", () => {
    const unbuilt = pk(
      op.proto(4),
      sg("lightgbm.basic", "Booster"),
      op.EMPTY_TUPLE,
      op.NEWOBJ,
      op.STOP,
    );
    assert.ok(blocking(unbuilt).includes("PICKLE_UNKNOWN_GLOBAL"));
    const tupleState = booster(op.NONE, { state: [op.binunicode(GOOD), op.NONE, op.TUPLE2] });
    assert.ok(blocking(tupleState).includes("PICKLE_UNKNOWN_GLOBAL"));
  });

  it("blocks when one of two Boosters from the same import has a bad text", () => {
    const bad = GOOD.replace("tree_sizes=", "tree_sizes=1");
    const two = pk(
      op.proto(4),
      sg("lightgbm.basic", "Booster"),
      op.MEMOIZE,
      op.EMPTY_TUPLE,
      op.NEWOBJ,
      op.EMPTY_DICT,
      op.shortBinunicode("_handle"),
      op.binunicode(GOOD),
      op.SETITEM,
      op.BUILD,
      op.binget(0),
      op.EMPTY_TUPLE,
      op.NEWOBJ,
      op.EMPTY_DICT,
      op.shortBinunicode("_handle"),
      op.binunicode(bad),
      op.SETITEM,
      op.BUILD,
      op.TUPLE2,
      op.STOP,
    );
    const c = blocking(two);
    assert.ok(c.includes("LIGHTGBM_INVALID") && c.includes("PICKLE_UNKNOWN_GLOBAL"), c.join());
  });

  it("still reports a dangerous call in the Booster's state", () => {
    const evil = booster(
      pk(sg("os", "system"), op.shortBinunicode("echo hi"), op.TUPLE1, op.REDUCE),
      {
        key: "_train_data_name",
      },
    );
    assert.ok(blocking(evil).includes("PICKLE_DANGEROUS_GLOBAL"));
  });
});

describe("pickled LightGBM files written by lightgbm 4.7", () => {
  const DIR = join(REPO_ROOT, "fixtures", "realworld", "current");
  for (const file of ["lightgbm_models/classifier.pkl"]) {
    it(`${file}: clean, with the model-text note`, () => {
      const found = check(new Uint8Array(readFileSync(join(DIR, file))));
      assert.deepEqual(
        found.filter((f) => f.verdict !== "clean").map((f) => f.message),
        [],
      );
      assert.ok(codes(found).includes("LIGHTGBM_MODEL"));
    });
  }
});
