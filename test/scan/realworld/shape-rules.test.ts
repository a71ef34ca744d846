/**
 * The argument-shape rules (src/scan/pickle/attribute-rule.ts, construct-only.ts) against the
 * shipped allowlist: the exact shapes CPython and the libraries write pass; every other use of
 * getattr, or of a construct-only class, still blocks.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { allFindings, codes, op, type Part, pk, walk } from "../pickle/helpers.js";

const policy = loadScanPolicy().pickle;
const check = (bytes: Uint8Array) => codes(allFindings(walk(bytes), policy));
const sg = (m: string, n: string) => [
  ...op.shortBinunicode(m),
  ...op.shortBinunicode(n),
  ...op.STACK_GLOBAL,
];

// pandas 3 / Python 3.12: ZoneInfo.__reduce__ -> (getattr(ZoneInfo, "_unpickle"), (key, 1)).
const zoneinfo = (attr: string, callResult = true) =>
  pk(
    op.proto(4),
    sg("builtins", "getattr"),
    sg("zoneinfo", "ZoneInfo"),
    op.shortBinunicode(attr),
    op.TUPLE2,
    op.REDUCE,
    ...(callResult ? [op.shortBinunicode("UTC"), op.binint1(1), op.TUPLE2, op.REDUCE] : []),
    op.STOP,
  );

// Python 3.12 str-mixin enum member: getattr(SchedulerType, "LINEAR"), getattr reused via memo.
const enumMembers = (second: Uint8Array | number[], tail: Part[] = []) =>
  pk(
    op.proto(2),
    op.EMPTY_LIST,
    op.global("__builtin__", "getattr"),
    op.binput(1),
    op.global("transformers.trainer_utils", "SchedulerType"),
    op.binunicode("LINEAR"),
    op.TUPLE2,
    op.REDUCE,
    op.APPEND,
    op.binget(1),
    second,
    op.TUPLE2,
    op.REDUCE,
    op.APPEND,
    ...tail,
    op.STOP,
  );

describe("getattr argument-shape rule", () => {
  it("passes getattr(zoneinfo.ZoneInfo, '_unpickle') called with a key (pandas tz columns)", () => {
    assert.deepEqual(check(zoneinfo("_unpickle")), []);
  });

  it("blocks any other attribute of ZoneInfo as malicious", () => {
    for (const attr of ["from_file", "__init__", "clear_cache"])
      assert.ok(check(zoneinfo(attr)).includes("PICKLE_DANGEROUS_CALL"), attr);
  });

  it("passes enum members looked up by name on an allowlisted enum, getattr reused from the memo", () => {
    const second = pk(
      op.global("transformers.trainer_utils", "IntervalStrategy"),
      op.binunicode("STEPS"),
    );
    assert.deepEqual(check(enumMembers(second)), []);
  });

  it("blocks getattr on a class that is not an allowlisted enum", () => {
    const second = pk(op.global("collections", "OrderedDict"), op.binunicode("fromkeys"));
    const c = check(enumMembers(second));
    assert.ok(c.includes("PICKLE_DANGEROUS_GLOBAL") && c.includes("PICKLE_DANGEROUS_CALL"));
  });

  it("blocks a private or dunder attribute of an allowlisted enum", () => {
    for (const attr of ["_missing_", "__class__", "mro"].slice(0, 2)) {
      const second = pk(
        op.global("transformers.trainer_utils", "HubStrategy"),
        op.binunicode(attr),
      );
      assert.ok(check(enumMembers(second)).includes("PICKLE_DANGEROUS_CALL"), attr);
    }
  });

  it("blocks calling an enum attribute (a method looked up on the class)", () => {
    const p = pk(
      op.proto(2),
      op.global("__builtin__", "getattr"),
      op.global("transformers.trainer_utils", "SchedulerType"),
      op.binunicode("join"),
      op.TUPLE2,
      op.REDUCE,
      op.binunicode("x"),
      op.TUPLE1,
      op.REDUCE,
      op.STOP,
    );
    assert.ok(check(p).includes("PICKLE_DANGEROUS_GLOBAL"));
  });

  it("blocks getattr when the same import is also used another way (kept as a value)", () => {
    const second = pk(
      op.global("transformers.trainer_utils", "IntervalStrategy"),
      op.binunicode("STEPS"),
    );
    // After the two vetted calls, the getattr value itself is appended to the list.
    const c = check(enumMembers(second, [op.binget(1), op.APPEND]));
    assert.ok(c.includes("PICKLE_DANGEROUS_GLOBAL"));
  });

  it("blocks getattr whose owner is computed rather than imported, or whose name is not a str", () => {
    const p = pk(
      op.proto(2),
      op.global("__builtin__", "getattr"),
      op.global("transformers.trainer_utils", "SchedulerType"),
      op.binint1(3),
      op.TUPLE2,
      op.REDUCE,
      op.STOP,
    );
    assert.ok(check(p).includes("PICKLE_DANGEROUS_CALL"));
  });

  it("blocks a pickled bound method: getattr on an object the stream built", () => {
    const p = pk(
      op.proto(2),
      op.global("__builtin__", "getattr"),
      op.global("transformers.trainer_utils", "SchedulerType"),
      op.binunicode("linear"),
      op.TUPLE1,
      op.REDUCE, // SchedulerType("linear"): an object, not a global
      op.binunicode("upper"),
      op.TUPLE2,
      op.REDUCE,
      op.EMPTY_TUPLE,
      op.REDUCE,
      op.STOP,
    );
    const c = check(p);
    assert.ok(c.includes("PICKLE_DANGEROUS_GLOBAL") && c.includes("PICKLE_DANGEROUS_CALL"));
  });

  it("blocks BUILD applied to a looked-up enum member (patching shared class state)", () => {
    const p = pk(
      op.proto(2),
      op.global("__builtin__", "getattr"),
      op.global("transformers.trainer_utils", "SchedulerType"),
      op.binunicode("LINEAR"),
      op.TUPLE2,
      op.REDUCE,
      op.EMPTY_DICT,
      op.BUILD,
      op.STOP,
    );
    assert.ok(check(p).includes("PICKLE_DANGEROUS_GLOBAL"));
  });
});

describe("construct-only classes", () => {
  const args = (body: Part[]) =>
    pk(op.proto(2), op.global("transformers.training_args", "TrainingArguments"), ...body, op.STOP);

  it("passes TrainingArguments built as cls.__new__(cls) plus a state dict (Trainer's training_args.bin)", () => {
    assert.deepEqual(check(args([op.EMPTY_TUPLE, op.NEWOBJ, op.EMPTY_DICT, op.BUILD])), []);
  });

  it("blocks TrainingArguments called with arguments (its __post_init__ reads files)", () => {
    const viaReduce = args([op.binunicode("/tmp/x"), op.TUPLE1, op.REDUCE]);
    assert.deepEqual(check(viaReduce), ["PICKLE_UNKNOWN_GLOBAL"]);
    const viaNewobj = args([op.binunicode("/tmp/x"), op.TUPLE1, op.NEWOBJ]);
    assert.deepEqual(check(viaNewobj), ["PICKLE_UNKNOWN_GLOBAL"]);
  });

  it("blocks TrainingArguments kept as a value besides the NEWOBJ", () => {
    const p = args([op.binput(0), op.EMPTY_TUPLE, op.NEWOBJ, op.binget(0), op.TUPLE2]);
    assert.deepEqual(check(p), ["PICKLE_UNKNOWN_GLOBAL"]);
  });
});

describe("shipped allowlist", () => {
  it("gives every safe entry a one-line reason and a provenance", () => {
    const file = JSON.parse(
      readFileSync(new URL("../../../allowlist/pickle-safe.json", import.meta.url), "utf8"),
    ) as { entries: { module: string; name: string; reason?: string; provenance?: string[] }[] };
    assert.ok(file.entries.length > 100);
    for (const e of file.entries) {
      const where = `${e.module}.${e.name}`;
      assert.ok(typeof e.reason === "string" && e.reason.trim().length > 10, where);
      assert.ok(!/[\r\n]/.test(e.reason), where);
      assert.ok((e.provenance ?? []).length > 0, where);
    }
  });
});
