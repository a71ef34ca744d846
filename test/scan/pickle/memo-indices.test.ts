/**
 * Protocol-0 PUT/GET indices are Python ints. The pure-Python unpickler (pickle._Unpickler, which
 * joblib.load uses) keeps its memo in a dict, so any two different indices are two different
 * slots, however large; the C unpickler fails on a PUT past its memo array. The walker's memo is
 * keyed by JavaScript numbers: an index it cannot keep apart from its neighbours must stop the
 * walk (fail closed), never alias another slot, or a GET gives the scanner a different value from
 * the one the loader gets.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scan, show } from "../containers/helpers.js";
import { allFindings, codes, op, pk, walk } from "./helpers.js";

// 2^53 + 1 .. 2^53 + 4: four different ints to Python, one double (2^53 or 2^53 + 4) each to JS.
const [A, B, C, D] = [
  "9007199254740993",
  "9007199254740994",
  "9007199254740995",
  "9007199254740996",
];

/**
 * To joblib: os.system("echo pwned"). A walker whose memo folded the four indices into one slot
 * reads collections.OrderedDict("echo pwned") instead: the later PUT overwrites the earlier one.
 */
const ALIASED = pk(
  op.unicode("os"),
  op.put(A),
  op.POP,
  op.unicode("collections"),
  op.put(B),
  op.POP,
  op.get(A),
  op.unicode("system"),
  op.put(C),
  op.POP,
  op.unicode("OrderedDict"),
  op.put(D),
  op.POP,
  op.get(C),
  op.STACK_GLOBAL,
  op.MARK,
  op.unicode("echo pwned"),
  op.TUPLE,
  op.REDUCE,
  op.STOP,
);

describe("pickle memo: PUT/GET indices past 2^53", () => {
  it("four PUTs at 2^53+1..2^53+4 that joblib keeps apart stop the walk with BUDGET_EXCEEDED, never read as collections.OrderedDict", () => {
    const r = walk(ALIASED);
    assert.equal(r.complete, false);
    assert.deepEqual(
      r.imports.map((i) => `${i.module}.${i.name}`),
      [],
      "no import may be read through an aliased slot",
    );
    const f = allFindings(r);
    assert.deepEqual(codes(f), ["BUDGET_EXCEEDED"]);
    assert.equal(f[0]?.verdict, "unscannable");
    assert.match(f[0]?.message ?? "", /PUT index 9007199254740993/);
    assert.equal(f[0]?.offset, 4, "the first PUT (after V os\\n)");
  });

  it("the same file through the dispatcher (shipped policy) is not clean", async () => {
    const node = await scan(ALIASED, "model.pkl");
    assert.equal(node.verdict, "unscannable", show(node));
  });

  it("a GET of a huge index also stops the walk (it names a slot the walker cannot address)", () => {
    const r = walk(pk(op.NONE, op.put(0), op.get("99999999999999999999"), op.STOP));
    assert.deepEqual(codes(allFindings(r)), ["BUDGET_EXCEEDED"]);
    assert.match(r.findings[0]?.message ?? "", /GET index 99999999999999999999/);
  });

  it("a huge negative PUT index is refused as negative, like both unpicklers do", () => {
    const r = walk(pk(op.NONE, op.put("-99999999999999999999"), op.STOP));
    const f = allFindings(r);
    assert.deepEqual(codes(f), ["PICKLE_MALFORMED"]);
    assert.match(f[0]?.message ?? "", /negative PUT argument/);
  });

  it("large indices up to 2^53-1 stay exact: neighbours are different slots", () => {
    const near = "9007199254740990";
    const max = "9007199254740991";
    const r = walk(
      pk(
        op.MARK,
        op.unicode("first"),
        op.put(near),
        op.POP,
        op.unicode("second"),
        op.put(max),
        op.POP,
        op.get(near),
        op.get(max),
        op.get(" 9_007_199_254_740_990 "), // int(s, 10) takes spaces and underscores
        op.TUPLE,
        op.BINPERSID,
        op.STOP,
      ),
    );
    assert.equal(r.complete, true, JSON.stringify(r.findings));
    assert.deepEqual(r.persistentIds, [["first", "second", "first"]]);
  });

  it("a GET of a large index next to a stored one is 'memo value not found', not the neighbour", () => {
    const r = walk(pk(op.NONE, op.put("1000000000000000"), op.get("1000000000000001"), op.STOP));
    const f = allFindings(r);
    assert.deepEqual(codes(f), ["PICKLE_MALFORMED"]);
    assert.match(f[0]?.message ?? "", /memo value not found at index 1000000000000001/);
  });
});
