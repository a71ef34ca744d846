/**
 * What the walk records at its caps and for values in unusual forms: repeats of one import or
 * call past the per-key cap (counted, the finding kept), getattr uses past their cap (nothing
 * excused), str operands decoded from escapes (judged by their value), constants that cannot
 * import anything (printable ASCII, no newline) against ones that can, and the descriptions of
 * callables and persistent ids that end up in findings and in the legacy-format reader.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { allFindings, codes, op, type Part, pk, walk } from "./helpers.js";

const shipped = loadScanPolicy().pickle;
const imported = (r: ReturnType<typeof walk>) => r.imports.map((i) => `${i.module}.${i.name}`);

function times(n: number, ...parts: Part[]): Part[] {
  const out: Part[] = [];
  for (let i = 0; i < n; i++) out.push(...parts);
  return out;
}

describe("pickle records: per-key cap", () => {
  it("70 GLOBAL posix.system + REDUCE: 64 of each kept, 12 counted as omitted, the danger still reported", () => {
    const r = walk(
      pk(
        op.EMPTY_LIST,
        ...times(
          70,
          op.global("posix", "system"),
          op.MARK,
          op.string("'id'"),
          op.TUPLE,
          op.REDUCE,
          op.POP,
        ),
        op.STOP,
      ),
    );
    assert.equal(r.complete, true);
    assert.equal(r.imports.length, 64);
    assert.equal(r.calls.length, 64);
    assert.equal(r.omitted, 12);
    const c = codes(allFindings(r, shipped));
    assert.ok(c.includes("PICKLE_DANGEROUS_GLOBAL"), JSON.stringify(c));
  });
});

describe("pickle records: getattr uses", () => {
  /** getattr(zoneinfo.ZoneInfo, <attr>)("UTC", 1), `n` times: getattr imported once, then from the memo. */
  const zoneinfoGets = (n: number, attr: Part = op.shortBinunicode("_unpickle")) => {
    const use: Part[] = [
      op.global("zoneinfo", "ZoneInfo"),
      attr,
      op.TUPLE2,
      op.REDUCE,
      op.shortBinunicode("UTC"),
      op.binint1(1),
      op.TUPLE2,
      op.REDUCE,
      op.APPEND,
    ];
    return pk(
      op.proto(4),
      op.EMPTY_LIST,
      op.global("builtins", "getattr"),
      op.binput(0),
      ...use,
      ...times(n - 1, op.binget(0), ...use),
      op.STOP,
    );
  };

  it("4096 getattr(ZoneInfo, '_unpickle') calls are each checked and excused (pandas writes one per tz value)", () => {
    const r = walk(zoneinfoGets(4096));
    assert.equal(r.complete, true);
    assert.deepEqual(codes(allFindings(r, shipped)), []);
  });

  it("the 4097th use passes the cap: no call is excused and getattr is reported", () => {
    const r = walk(zoneinfoGets(4097));
    assert.equal(r.complete, true);
    const c = codes(allFindings(r, shipped));
    assert.ok(c.includes("PICKLE_DANGEROUS_GLOBAL"), JSON.stringify(c));
  });

  it("an attribute name decoded from a STRING escape is judged by its value", () => {
    // '_unp\x69ckle' is "_unpickle"; 'from\x5ffile' is "from_file".
    const ok = walk(zoneinfoGets(1, op.string("'_unp\\x69ckle'")));
    assert.deepEqual(codes(allFindings(ok, shipped)), []);
    assert.equal(ok.getattrs?.[0]?.calls[0]?.attribute, "_unpickle");
    const bad = walk(zoneinfoGets(1, op.string("'from\\x5ffile'")));
    assert.ok(codes(allFindings(bad, shipped)).includes("PICKLE_DANGEROUS_CALL"));
  });

  it("an attribute name read from a protocol-0 UNICODE line (kept undecoded) is judged by its text", () => {
    const r = walk(zoneinfoGets(1, op.unicode("_unpickle")));
    assert.equal(r.getattrs?.[0]?.calls[0]?.attribute, "_unpickle");
    assert.deepEqual(codes(allFindings(r, shipped)), []);
  });
});

describe("pickle records: str operands and constants", () => {
  it("STACK_GLOBAL operands decoded from STRING escapes ('o\\x73', 'sy\\x73tem') import os.system", () => {
    const r = walk(pk(op.string("'o\\x73'"), op.string("'sy\\x73tem'"), op.STACK_GLOBAL, op.STOP));
    assert.deepEqual(imported(r), ["os.system"]);
    assert.ok(codes(allFindings(r, shipped)).includes("PICKLE_DANGEROUS_GLOBAL"));
  });

  it("STACK_GLOBAL whose module operand is an imported global: recorded as not-a-str unless that global yields one", () => {
    const r = walk(
      pk(op.global("builtins", "str"), op.shortBinunicode("system"), op.STACK_GLOBAL, op.STOP),
    );
    const rec = r.imports.find((i) => i.opcode === "STACK_GLOBAL");
    assert.equal(rec?.nonString, true);
    assert.deepEqual(rec?.notStrUnless, [{ module: "builtins", name: "str" }]);
    const unsafe = allFindings(r, shipped).filter((f) => f.code === "PICKLE_UNSAFE_NAME");
    assert.equal(unsafe.length, 1);
    assert.equal(unsafe[0]?.verdict, "malicious");
    assert.match(unsafe[0]?.message ?? "", /STACK_GLOBAL .* not a plain str/);
  });

  it("a printable-ASCII bytes constant that starts like GLOBAL but has no newline imports nothing: not walked", () => {
    const r = walk(
      pk(op.shortBinbytes([..."cposix system (Vx tR."].map((c) => c.charCodeAt(0))), op.STOP),
    );
    assert.equal(r.complete, true);
    assert.equal(r.nested.length, 0);
    assert.deepEqual(r.findings, []);
  });

  it("the same bytes with newlines are a pickle: walked, posix.system found", () => {
    const r = walk(
      pk(op.shortBinbytes([..."cposix\nsystem\n(Vx\ntR."].map((c) => c.charCodeAt(0))), op.STOP),
    );
    assert.deepEqual(imported(r.nested[0]?.stream ?? r), ["posix.system"]);
    assert.ok(codes(allFindings(r, shipped)).includes("PICKLE_NESTED"));
  });

  it("a decoded STRING that is printable ASCII starting like a pickle is not walked", () => {
    const r = walk(pk(op.string("'(\\x41bcdefgh'"), op.STOP));
    assert.equal(r.complete, true);
    assert.equal(r.nested.length, 0);
  });
});

describe("pickle records: descriptions of callables and persistent ids", () => {
  it("a call on a str constant longer than 80 chars is described by its first 80 and an ellipsis", () => {
    const long = `x${"é".repeat(99)}`;
    const r = walk(pk(op.binunicode(long), op.EMPTY_TUPLE, op.REDUCE, op.STOP));
    assert.equal(r.calls[0]?.callable, JSON.stringify(`${long.slice(0, 80)}…`));
  });

  it("a call on a big int constant names the int", () => {
    const r = walk(
      pk(op.long("123456789012345678901234567890L"), op.EMPTY_TUPLE, op.REDUCE, op.STOP),
    );
    assert.equal(r.calls[0]?.callable, "123456789012345678901234567890");
  });

  it("a call on the result of a call on the result of…: described three levels deep, then 'a call'", () => {
    const r = walk(
      pk(op.global("builtins", "list"), ...times(5, op.EMPTY_TUPLE, op.REDUCE), op.STOP),
    );
    assert.deepEqual(
      r.calls.map((c) => c.callable),
      [
        "builtins.list",
        "<result of builtins.list>",
        "<result of <result of builtins.list>>",
        "<result of <result of <result of builtins.list>>>",
        "<result of <result of <result of <result of a call>>>>",
      ],
    );
  });

  it("a persistent id holding a call result and tuples ten deep is described, not expanded past depth 8", () => {
    const deep: Part[] = [...times(10, op.MARK), op.NONE, ...times(10, op.TUPLE)];
    const r = walk(
      pk(
        op.MARK,
        op.global("builtins", "list"),
        op.EMPTY_TUPLE,
        op.REDUCE,
        ...deep,
        op.TUPLE,
        op.BINPERSID,
        op.STOP,
      ),
    );
    assert.equal(r.complete, true);
    const [call, nested] = r.persistentIds[0] as unknown[];
    assert.deepEqual(call, { call: "builtins.list" });
    let v = nested;
    for (let i = 0; i < 8; i++) {
      assert.ok(Array.isArray(v) && v.length === 1, `level ${i}`);
      v = (v as unknown[])[0];
    }
    assert.deepEqual(v, { kind: "deep" }, "past depth 8, a tuple is not expanded");
  });
});
