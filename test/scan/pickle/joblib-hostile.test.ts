/**
 * joblib's NumpyArrayWrapper with a state that lies or that the walker cannot size. joblib reads
 * count × itemsize raw bytes right after the wrapper's BUILD; if the walker cannot compute that
 * number exactly it does not know where the opcodes resume, so it must stop with PICKLE_MALFORMED
 * (unscannable) rather than guess. Sizes it can compute (bool, sized dtypes with a BUILD state)
 * must be skipped exactly: the opcode after them is read, and a payload there is found.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { codes, op, type Part, pk, walk } from "./helpers.js";

/** numpy.dtype(spec, False, True), optionally with a BUILD state tuple. */
const dtype = (spec: Part, state?: Part[]): Part[] => [
  op.global("numpy", "dtype"),
  spec,
  op.NEWFALSE,
  op.NEWTRUE,
  op.TUPLE3,
  op.REDUCE,
  ...(state ? [op.MARK, ...state, op.TUPLE, op.BUILD] : []),
];

/** NumpyArrayWrapper() with BUILD state `state` (the parts that push the state). */
const wrapper = (...state: Part[]): Part[] => [
  op.global("joblib.numpy_pickle", "NumpyArrayWrapper"),
  op.EMPTY_TUPLE,
  op.NEWOBJ,
  ...state,
  op.BUILD,
];

/** A state dict {dtype: <dtype>, shape: (<dims>)}. */
const stateOf = (dt: Part[], dims: Part[]): Part[] => [
  op.EMPTY_DICT,
  op.MARK,
  op.shortBinunicode("dtype"),
  ...dt,
  op.shortBinunicode("shape"),
  op.MARK,
  ...dims,
  op.TUPLE,
  op.SETITEMS,
];

const PAYLOAD: Part[] = [op.global("posix", "system"), op.POP];

function cannotSize(name: string, bytes: Uint8Array, why: RegExp): void {
  it(name, () => {
    const r = walk(bytes);
    assert.equal(r.complete, false);
    const f = r.findings; // structural: the policy findings for the imports come on top
    assert.deepEqual(codes(f), ["PICKLE_MALFORMED"], JSON.stringify(f));
    assert.equal(f[0]?.verdict, "unscannable");
    assert.match(f[0]?.message ?? "", why);
  });
}

const unsized = /a dtype or shape modelvet cannot size/;

describe("joblib NumpyArrayWrapper: states the walker cannot size stop the walk", () => {
  cannotSize(
    "a state that is a tuple, not a dict",
    pk(op.proto(4), ...wrapper(op.MARK, op.binint1(1), op.TUPLE), op.STOP),
    /state that is not a plain dict/,
  );

  const entries: Part[] = [];
  for (let i = 0; i < 300; i++) entries.push(op.binint2(i), op.NONE);
  cannotSize(
    "a state dict of 300 entries (more than the walker keeps): dtype and shape come after the first 256",
    pk(
      op.proto(4),
      ...wrapper(
        op.EMPTY_DICT,
        op.MARK,
        ...entries,
        op.SETITEMS,
        op.MARK,
        op.shortBinunicode("dtype"),
        ...dtype(op.shortBinunicode("u1")),
        op.shortBinunicode("shape"),
        op.binint1(1),
        op.TUPLE1,
        op.SETITEMS,
      ),
      op.STOP,
    ),
    /state that is not a plain dict/,
  );

  cannotSize(
    "a dtype whose spec is an int, not a str",
    pk(op.proto(4), ...wrapper(...stateOf(dtype(op.binint1(8)), [op.binint1(4)])), op.STOP),
    unsized,
  );

  cannotSize(
    "a dtype spec with a kind but no size and no state ('f')",
    pk(
      op.proto(4),
      ...wrapper(...stateOf(dtype(op.shortBinunicode("f")), [op.binint1(4)])),
      op.STOP,
    ),
    unsized,
  );

  cannotSize(
    "a dtype spec whose size is past 2^53 ('f99999999999999999999')",
    pk(
      op.proto(4),
      ...wrapper(...stateOf(dtype(op.shortBinunicode("f99999999999999999999")), [op.binint1(1)])),
      op.STOP,
    ),
    unsized,
  );

  cannotSize(
    "a subarray dtype (state tuple with a subarray)",
    pk(
      op.proto(4),
      ...wrapper(
        ...stateOf(
          dtype(op.shortBinunicode("V16"), [
            op.binint1(3),
            op.shortBinunicode("|"),
            op.MARK,
            ...dtype(op.shortBinunicode("f8")),
            op.binint1(2),
            op.TUPLE1,
            op.TUPLE,
            op.NONE,
            op.NONE,
            op.binint1(16),
            op.binint1(1),
            op.binint1(0),
          ]),
          [op.binint1(2)],
        ),
      ),
      op.STOP,
    ),
    unsized,
  );

  cannotSize(
    "a negative shape dimension",
    pk(
      op.proto(4),
      ...wrapper(...stateOf(dtype(op.shortBinunicode("u1")), [op.binint(-1)])),
      op.STOP,
    ),
    unsized,
  );

  cannotSize(
    "a shape dimension of 2^60 (a LONG1 the walker keeps as a bigint)",
    pk(
      op.proto(4),
      ...wrapper(
        ...stateOf(dtype(op.shortBinunicode("u1")), [op.long1([0, 0, 0, 0, 0, 0, 0, 0x10])]),
      ),
      op.STOP,
    ),
    unsized,
  );

  cannotSize(
    "a shape (2^30, 2^30) whose element count is past 2^53",
    pk(
      op.proto(4),
      ...wrapper(
        ...stateOf(dtype(op.shortBinunicode("u1")), [op.binint(2 ** 30), op.binint(2 ** 30)]),
      ),
      op.STOP,
    ),
    unsized,
  );

  cannotSize(
    "2^50 float64s: a byte count past 2^53",
    pk(
      op.proto(4),
      ...wrapper(
        ...stateOf(dtype(op.shortBinunicode("f8")), [op.binint(2 ** 25), op.binint(2 ** 25)]),
      ),
      op.STOP,
    ),
    /byte size is too large/,
  );
});

describe("joblib NumpyArrayWrapper: sizes the walker computes are skipped exactly", () => {
  it("a bool array ('?', one byte each) of 3: the 3 bytes are skipped and the GLOBAL after them is read", () => {
    const r = walk(
      pk(
        op.proto(4),
        ...wrapper(...stateOf(dtype(op.shortBinunicode("?")), [op.binint1(3)])),
        [1, 0, 1],
        ...PAYLOAD,
        op.STOP,
      ),
    );
    assert.equal(r.complete, true, JSON.stringify(r.findings));
    assert.ok(r.imports.some((i) => i.module === "posix" && i.name === "system"));
  });

  it("a dtype whose BUILD state gives elsize 2 for 'V' is sized by the state: 2 × 2 bytes skipped", () => {
    const state: Part[] = [
      op.binint1(3),
      op.shortBinunicode("|"),
      op.NONE,
      op.NONE,
      op.NONE,
      op.binint1(2),
      op.binint1(1),
      op.binint1(0),
    ];
    const r = walk(
      pk(
        op.proto(4),
        ...wrapper(...stateOf(dtype(op.shortBinunicode("V"), state), [op.binint1(2)])),
        [0x63, 0x63, 0x63, 0x63], // four 'c' bytes: opcodes if the size were wrong
        ...PAYLOAD,
        op.STOP,
      ),
    );
    assert.equal(r.complete, true, JSON.stringify(r.findings));
    assert.deepEqual(
      r.imports.map((i) => `${i.module}.${i.name}`),
      ["joblib.numpy_pickle.NumpyArrayWrapper", "numpy.dtype", "posix.system"],
    );
  });
});
