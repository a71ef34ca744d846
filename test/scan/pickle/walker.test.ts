import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { walkPickle } from "../../../src/scan/pickle/index.js";
import { bytesSource } from "../../../src/scan/source.js";
import { allFindings, budget, codes, op, PAYLOAD0, pk, scanBytes, u32, walk } from "./helpers.js";

const importsOf = (bytes: Uint8Array) =>
  walk(bytes).imports.map((i) => `${i.opcode} ${i.module}.${i.name}`);
const callsOf = (bytes: Uint8Array) => walk(bytes).calls.map((c) => `${c.opcode} ${c.callable}`);

describe("pickle walker: protocols 0-5 walk to STOP with nothing to report", () => {
  const streams: [string, Uint8Array, number][] = [
    [
      "protocol 0 list",
      pk(op.MARK, "l", op.put(0), op.int("1"), op.APPEND, op.int("01"), op.APPEND, op.STOP),
      0,
    ],
    [
      "protocol 0 dict",
      pk(op.MARK, op.DICT, op.put(0), op.string("'k'"), op.float("2.5"), op.SETITEM, op.STOP),
      0,
    ],
    [
      "protocol 1 list",
      pk(
        op.EMPTY_LIST,
        op.binput(0),
        op.MARK,
        op.binint1(1),
        op.binint2(513),
        op.binint(-7),
        op.APPENDS,
        op.STOP,
      ),
      1 - 1,
    ],
    [
      "protocol 2 dict",
      pk(
        op.proto(2),
        op.EMPTY_DICT,
        op.binput(0),
        op.MARK,
        op.binunicode("a"),
        op.long1([5]),
        op.shortBinstring("b"),
        op.NEWTRUE,
        op.SETITEMS,
        op.STOP,
      ),
      2,
    ],
    [
      "protocol 3 bytes",
      pk(
        op.proto(3),
        op.shortBinbytes([1, 2, 3]),
        op.binput(0),
        op.binbytes([4]),
        op.TUPLE2,
        op.STOP,
      ),
      3,
    ],
    [
      "protocol 4 frame",
      pk(
        op.proto(4),
        op.frame(11),
        op.shortBinunicode("x"),
        op.MEMOIZE,
        op.EMPTY_SET,
        op.MARK,
        op.binint1(1),
        op.ADDITEMS,
        op.TUPLE2,
        op.STOP,
      ),
      4,
    ],
    [
      "protocol 5 buffers",
      pk(
        op.proto(5),
        op.bytearray8([9, 9]),
        op.NEXT_BUFFER,
        op.READONLY_BUFFER,
        op.TUPLE2,
        op.STOP,
      ),
      5,
    ],
  ];
  for (const [name, bytes, protocol] of streams) {
    it(name, () => {
      const r = walk(bytes);
      assert.deepEqual(allFindings(r), []);
      assert.equal(r.complete, true);
      assert.equal(r.end, bytes.length);
      assert.equal(r.protocol, protocol);
      assert.deepEqual(r.imports, []);
    });
  }

  it("walks every value opcode (all INT/LONG/FLOAT/STRING/UNICODE/BYTES variants)", () => {
    const bytes = pk(
      op.proto(4),
      op.MARK,
      op.int("42"),
      op.int("0x10"),
      op.int("00"),
      op.long("123456789012345678901234567890L"),
      op.long("-5"),
      op.float("-1.5e3"),
      op.float("nan"),
      op.binint(-1),
      op.binint1(255),
      op.binint2(65535),
      op.long1([0xff, 0x7f]),
      op.long4([0, 0, 0, 0x80]),
      op.long4(new Array(100).fill(1)),
      op.binfloat(3.25),
      op.string("'it\\'s \\x41\\101\\n'"),
      op.string('"dq"'),
      op.binstring("bin"),
      op.shortBinstring("sb"),
      op.unicode("caf\\u00e9 \\U0001F600"),
      op.binunicode("é"),
      op.shortBinunicode("ü"),
      op.binunicode8("long"),
      op.binbytes([1]),
      op.shortBinbytes([2]),
      op.binbytes8([3]),
      op.bytearray8([4]),
      op.NONE,
      op.NEWTRUE,
      op.NEWFALSE,
      op.EMPTY_TUPLE,
      op.EMPTY_LIST,
      op.EMPTY_DICT,
      op.EMPTY_SET,
      op.MARK,
      op.binint1(1),
      op.FROZENSET,
      op.MARK,
      op.LIST,
      op.MARK,
      op.TUPLE,
      op.DUP,
      op.TUPLE1,
      op.TUPLE3,
      op.TUPLE,
      op.STOP,
    );
    const r = walk(bytes);
    assert.deepEqual(allFindings(r), []);
    assert.equal(r.complete, true);
  });

  it("POP removes a MARK when a MARK is on top, as _pickle.c does", () => {
    const r = walk(pk(op.NONE, op.MARK, op.POP, op.POP, op.NONE, op.STOP));
    assert.deepEqual(allFindings(r), []);
    assert.equal(r.complete, true);
  });

  it("walkPickle starts at `offset` and reports `end` just after STOP, for stacked pickles", () => {
    const a = pk(op.proto(2), op.NONE, op.STOP);
    const b = pk(op.proto(4), op.binint1(1), op.STOP);
    const source = bytesSource(pk(a, b));
    const first = walkPickle(source, { budget: budget() });
    assert.equal(first.end, a.length);
    const second = walkPickle(source, { offset: first.end, budget: budget() });
    assert.equal(second.start, a.length);
    assert.equal(second.end, a.length + b.length);
    assert.equal(second.protocol, 4);
    assert.equal(second.complete, true);
  });

  it("records persistent ids as plain data (BINPERSID tuple with a global, PERSID string)", () => {
    const pid = pk(
      op.proto(2),
      op.MARK,
      op.binunicode("storage"),
      op.global("torch", "FloatStorage"),
      op.binunicode("0"),
      op.binunicode("cpu"),
      op.binint1(4),
      op.NONE,
      op.TUPLE,
      op.BINPERSID,
      op.persid("abc"),
      op.TUPLE2,
      op.STOP,
    );
    const r = walk(pid);
    assert.deepEqual(r.persistentIds, [
      ["storage", { global: "torch.FloatStorage" }, "0", "cpu", 4, null],
      "abc",
    ]);
    assert.deepEqual(allFindings(r), []);
  });
});

describe("pickle walker: every call path is recorded with its callable", () => {
  it("REDUCE", () => {
    assert.deepEqual(callsOf(PAYLOAD0), ["REDUCE os.system"]);
    assert.deepEqual(codes(scanBytes(pk(PAYLOAD0, op.STOP))), [
      "PICKLE_DANGEROUS_GLOBAL",
      "PICKLE_DANGEROUS_CALL",
    ]);
  });
  it("BUILD (__setstate__ of an object whose class is dangerous)", () => {
    const bytes = pk(
      op.proto(2),
      op.global("os", "system"),
      op.EMPTY_TUPLE,
      op.NEWOBJ,
      op.EMPTY_DICT,
      op.BUILD,
      op.STOP,
    );
    assert.deepEqual(callsOf(bytes), ["NEWOBJ os.system", "BUILD os.system.__setstate__"]);
    const f = scanBytes(bytes);
    assert.deepEqual(codes(f), [
      "PICKLE_DANGEROUS_GLOBAL",
      "PICKLE_DANGEROUS_CALL",
      "PICKLE_DANGEROUS_CALL",
    ]);
    assert.deepEqual(f[2]?.call, { opcode: "BUILD", callable: "os.system.__setstate__" });
  });
  it("BUILD of a safe class is recorded but allowed", () => {
    const bytes = pk(
      op.global("collections", "OrderedDict"),
      op.EMPTY_TUPLE,
      op.REDUCE,
      op.EMPTY_DICT,
      op.BUILD,
      op.STOP,
    );
    assert.deepEqual(callsOf(bytes), [
      "REDUCE collections.OrderedDict",
      "BUILD collections.OrderedDict.__setstate__",
    ]);
    assert.deepEqual(scanBytes(bytes), []);
  });
  it("INST imports and calls", () => {
    const bytes = pk(op.MARK, op.string("'echo hi'"), op.inst("os", "system"), op.STOP);
    assert.deepEqual(importsOf(bytes), ["INST os.system"]);
    assert.deepEqual(callsOf(bytes), ["INST os.system"]);
    assert.deepEqual(codes(scanBytes(bytes)), ["PICKLE_DANGEROUS_GLOBAL", "PICKLE_DANGEROUS_CALL"]);
  });
  it("OBJ", () => {
    const bytes = pk(op.MARK, op.global("os", "system"), op.string("'echo'"), op.OBJ, op.STOP);
    assert.deepEqual(callsOf(bytes), ["OBJ os.system"]);
    assert.ok(codes(scanBytes(bytes)).includes("PICKLE_DANGEROUS_CALL"));
  });
  it("NEWOBJ", () => {
    const bytes = pk(op.proto(2), op.global("os", "system"), op.EMPTY_TUPLE, op.NEWOBJ, op.STOP);
    assert.deepEqual(callsOf(bytes), ["NEWOBJ os.system"]);
  });
  it("NEWOBJ_EX", () => {
    const bytes = pk(
      op.proto(4),
      op.shortBinunicode("os"),
      op.shortBinunicode("system"),
      op.STACK_GLOBAL,
      op.EMPTY_TUPLE,
      op.EMPTY_DICT,
      op.NEWOBJ_EX,
      op.STOP,
    );
    assert.deepEqual(callsOf(bytes), ["NEWOBJ_EX os.system"]);
    assert.deepEqual(codes(scanBytes(bytes)), ["PICKLE_DANGEROUS_GLOBAL", "PICKLE_DANGEROUS_CALL"]);
  });
  it("a call on a call's result names where it came from", () => {
    const bytes = pk(
      op.global("builtins", "getattr"),
      op.MARK,
      op.global("builtins", "list"),
      op.string("'x'"),
      op.TUPLE,
      op.REDUCE,
      op.EMPTY_TUPLE,
      op.REDUCE,
      op.STOP,
    );
    assert.deepEqual(callsOf(bytes), [
      "REDUCE builtins.getattr",
      "REDUCE <result of builtins.getattr>",
    ]);
  });
});

describe("pickle walker: threat techniques P1-P13", () => {
  it("P1: memo PUT/GET with explicit indices out of order, MEMOIZE after an explicit PUT", () => {
    // "collections" is put at index 1; MEMOIZE then stores "os" at len(memo) == 1, replacing it.
    const bytes = pk(
      op.proto(4),
      op.shortBinunicode("collections"),
      op.longBinput(1),
      op.POP,
      op.shortBinunicode("os"),
      op.MEMOIZE,
      op.POP,
      op.shortBinunicode("system"),
      op.binput(9),
      op.POP,
      op.binget(1),
      op.binget(9),
      op.STACK_GLOBAL,
      op.STOP,
    );
    assert.deepEqual(importsOf(bytes), ["STACK_GLOBAL os.system"]);
    assert.deepEqual(codes(scanBytes(bytes)), ["PICKLE_DANGEROUS_GLOBAL"]);
  });
  it("P1: text PUT/GET overwrite an index", () => {
    const bytes = pk(
      op.proto(4),
      op.string("'collections'"),
      op.put(3),
      op.POP,
      op.string("'os'"),
      op.put(3),
      op.POP,
      op.get(3),
      op.string("'system'"),
      op.STACK_GLOBAL,
      op.STOP,
    );
    assert.deepEqual(importsOf(bytes), ["STACK_GLOBAL os.system"]);
  });
  it("P2: STACK_GLOBAL fed by protocol-0 STRING at the very start", () => {
    const bytes = pk(
      op.string("'os'"),
      op.string("'system'"),
      op.STACK_GLOBAL,
      op.MARK,
      op.string("'id'"),
      op.TUPLE,
      op.REDUCE,
      op.STOP,
    );
    assert.deepEqual(importsOf(bytes), ["STACK_GLOBAL os.system"]);
    assert.deepEqual(codes(scanBytes(bytes)), ["PICKLE_DANGEROUS_GLOBAL", "PICKLE_DANGEROUS_CALL"]);
  });
  it("P3: payload first, then a GET of a missing memo key: payload kept, stream malformed", () => {
    const bytes = pk(PAYLOAD0, op.POP, op.get(99), op.STOP);
    const r = walk(bytes);
    assert.equal(r.complete, false);
    assert.deepEqual(codes(allFindings(r)).sort(), [
      "PICKLE_DANGEROUS_CALL",
      "PICKLE_DANGEROUS_GLOBAL",
      "PICKLE_MALFORMED",
    ]);
    assert.match(r.findings[0]?.message ?? "", /memo value not found at index 99/);
  });
  it("P3: a STACK_GLOBAL reading a missing memo key after the payload", () => {
    const bytes = pk(
      op.proto(4),
      PAYLOAD0,
      op.POP,
      op.binget(7),
      op.binget(8),
      op.STACK_GLOBAL,
      op.STOP,
    );
    const f = scanBytes(bytes);
    assert.ok(codes(f).includes("PICKLE_DANGEROUS_CALL"));
    assert.ok(codes(f).includes("PICKLE_MALFORMED"));
  });
  it("P4: memo slots holding an int and a tuple used as STACK_GLOBAL operands", () => {
    const intModule = pk(
      op.proto(4),
      op.binint1(5),
      op.MEMOIZE,
      op.shortBinunicode("system"),
      op.MEMOIZE,
      op.binget(0),
      op.binget(1),
      op.STACK_GLOBAL,
      op.STOP,
    );
    const r = walk(intModule);
    assert.equal(r.imports[0]?.nonString, true);
    assert.deepEqual(codes(allFindings(r)), ["PICKLE_UNSAFE_NAME"]);
    const tupleName = pk(
      op.proto(4),
      op.shortBinunicode("os"),
      op.shortBinunicode("system"),
      op.TUPLE1,
      op.STACK_GLOBAL,
      op.STOP,
    );
    const f = scanBytes(tupleName);
    assert.deepEqual(codes(f), ["PICKLE_UNSAFE_NAME"]);
    assert.equal(f[0]?.verdict, "malicious");
  });
  it("P5: dotted qualnames from innocent modules are unsafe names", () => {
    const a = pk(op.global("collections", "OrderedDict.__init__.__globals__"), op.STOP);
    const b = pk(
      op.proto(4),
      op.shortBinunicode("torch.serialization"),
      op.shortBinunicode("os.system"),
      op.STACK_GLOBAL,
      op.STOP,
    );
    for (const bytes of [a, b]) {
      const f = scanBytes(bytes);
      assert.deepEqual(codes(f), ["PICKLE_UNSAFE_NAME"]);
      assert.equal(f[0]?.verdict, "malicious");
      assert.ok(f[0]?.global);
    }
    assert.deepEqual(codes(scanBytes(pk(op.global("builtins", "__import__"), op.STOP))), [
      "PICKLE_UNSAFE_NAME",
    ]);
  });
  it("P8: calls whose result is POPped still count (REDUCE, OBJ, INST, NEWOBJ)", () => {
    const streams = [
      pk(PAYLOAD0, op.POP, op.NONE, op.STOP),
      pk(op.MARK, op.global("os", "system"), op.string("'x'"), op.OBJ, op.POP, op.NONE, op.STOP),
      pk(op.MARK, op.string("'x'"), op.inst("os", "system"), op.POP, op.NONE, op.STOP),
      pk(
        op.proto(2),
        op.global("os", "system"),
        op.EMPTY_TUPLE,
        op.NEWOBJ,
        op.POP,
        op.NONE,
        op.STOP,
      ),
    ];
    for (const bytes of streams)
      assert.ok(codes(scanBytes(bytes)).includes("PICKLE_DANGEROUS_CALL"));
  });
  it("P11: EXT1/EXT2/EXT4 are extension-registry imports, with no GLOBAL visible", () => {
    for (const ext of [op.ext1(1), op.ext2(300), op.ext4(70000)]) {
      const f = scanBytes(pk(op.proto(2), ext, op.EMPTY_TUPLE, op.REDUCE, op.STOP));
      assert.deepEqual(codes(f), ["PICKLE_EXTENSION"]);
      assert.equal(f[0]?.verdict, "unscannable");
    }
    assert.deepEqual(codes(scanBytes(pk(op.proto(2), op.ext1(0), op.STOP))), ["PICKLE_MALFORMED"]);
  });
  it("P13: a bytes constant that is a pickle is scanned recursively", () => {
    const inner = pk(PAYLOAD0, op.STOP);
    const outer = pk(
      op.proto(3),
      op.global("pickle", "loads"),
      op.binbytes(inner),
      op.TUPLE1,
      op.REDUCE,
      op.STOP,
    );
    const r = walk(outer);
    assert.equal(r.nested.length, 1);
    const f = allFindings(r);
    assert.deepEqual(codes(f).sort(), [
      "PICKLE_DANGEROUS_CALL",
      "PICKLE_DANGEROUS_CALL",
      "PICKLE_DANGEROUS_GLOBAL",
      "PICKLE_DANGEROUS_GLOBAL",
      "PICKLE_NESTED",
    ]);
    const innerGlobal = f.find((x) => x.global?.module === "os");
    // Offsets of an in-place nested pickle are offsets in the file: PROTO(2) + GLOBAL(14) + BINBYTES header(5).
    assert.equal(innerGlobal?.offset, 2 + op.global("pickle", "loads").length + 5);
  });
  it("P13: a str constant whose latin-1 bytes are a protocol-2 pickle (the _codecs.encode form)", () => {
    const inner = pk(op.proto(2), PAYLOAD0, op.STOP);
    const text = String.fromCharCode(...inner);
    const outer = pk(
      op.proto(2),
      op.global("_codecs", "encode"),
      op.binunicode(text),
      op.binunicode("latin1"),
      op.TUPLE2,
      op.REDUCE,
      op.STOP,
    );
    const f = allFindings(walk(outer));
    assert.ok(codes(f).includes("PICKLE_NESTED"));
    const inside = f.filter((x) => x.message.startsWith("In the pickle nested"));
    assert.deepEqual(codes(inside).sort(), ["PICKLE_DANGEROUS_CALL", "PICKLE_DANGEROUS_GLOBAL"]);
  });
  it("P13: a protocol-0 STRING constant holding an escaped pickle", () => {
    const inner = "cos\\nsystem\\n(S\\'id\\'\\ntR.";
    const outer = pk(
      op.global("pickle", "loads"),
      op.MARK,
      op.string(`'${inner}'`),
      op.TUPLE,
      op.REDUCE,
      op.STOP,
    );
    const f = allFindings(walk(outer));
    assert.ok(codes(f).includes("PICKLE_NESTED"));
    assert.equal(f.filter((x) => x.message.startsWith("In the pickle nested")).length, 2);
  });
  it("P13: nesting deeper than maxNestedPickleDepth is a budget finding", () => {
    let bytes = pk(PAYLOAD0, op.STOP);
    for (let i = 0; i < 4; i++) bytes = pk(op.proto(3), op.binbytes(bytes), op.STOP);
    const f = allFindings(walk(bytes, { maxNestedPickleDepth: 2 }));
    assert.ok(codes(f).includes("BUDGET_EXCEEDED"));
    assert.equal(f.filter((x) => x.code === "PICKLE_NESTED").length, 3);
  });
});

describe("pickle walker: builtins aliasing and whole dangerous modules come from the policy", () => {
  it("protocol < 3 maps __builtin__ to builtins, as the loader's fix_imports does", () => {
    const f = scanBytes(pk(op.global("__builtin__", "eval"), op.STOP));
    assert.deepEqual(codes(f), ["PICKLE_DANGEROUS_GLOBAL"]);
    assert.match(f[0]?.message ?? "", /loaded as builtins\.eval/);
  });
  it("protocol 3+ does not map: __builtin__.eval is only unknown unless the policy lists it", () => {
    assert.deepEqual(codes(scanBytes(pk(op.proto(3), op.global("__builtin__", "eval"), op.STOP))), [
      "PICKLE_UNKNOWN_GLOBAL",
    ]);
  });
  it("commands.getoutput (protocol 0) is subprocess.getoutput: the whole module is dangerous", () => {
    assert.deepEqual(codes(scanBytes(pk(op.global("commands", "getoutput"), op.STOP))), [
      "PICKLE_DANGEROUS_GLOBAL",
    ]);
    assert.deepEqual(codes(scanBytes(pk(op.proto(4), op.global("subprocess", "Popen"), op.STOP))), [
      "PICKLE_DANGEROUS_GLOBAL",
    ]);
  });
  it("nt.system is unknown with a policy that lists only os/posix: the data decides, not the code", () => {
    assert.deepEqual(codes(scanBytes(pk(op.global("nt", "system"), op.STOP))), [
      "PICKLE_UNKNOWN_GLOBAL",
    ]);
  });
  it("an allowlisted pair is clean; the same name from another module is not", () => {
    assert.deepEqual(scanBytes(pk(op.global("collections", "OrderedDict"), op.STOP)), []);
    assert.deepEqual(codes(scanBytes(pk(op.global("typing", "OrderedDict"), op.STOP))), [
      "PICKLE_UNKNOWN_GLOBAL",
    ]);
  });
  it("each policy finding has code, verdict, offset, global or call, and a sentence", () => {
    for (const f of scanBytes(pk(PAYLOAD0, op.STOP))) {
      assert.equal(typeof f.offset, "number");
      assert.ok(f.global !== undefined || f.call !== undefined);
      assert.match(f.message, /^[A-Z_0-9]+ at offset \d+ .+\.$/);
    }
  });
});

describe("pickle walker: keeps findings from before an error (C8)", () => {
  it("payload before an invalid opcode and no STOP", () => {
    const r = walk(pk(PAYLOAD0, 0xff, 0xfe));
    assert.equal(r.complete, false);
    const f = allFindings(r);
    assert.deepEqual(codes(f).sort(), [
      "PICKLE_DANGEROUS_CALL",
      "PICKLE_DANGEROUS_GLOBAL",
      "PICKLE_MALFORMED",
    ]);
    assert.equal(f.find((x) => x.code === "PICKLE_MALFORMED")?.offset, PAYLOAD0.length);
  });
  it("payload then end of data", () => {
    const r = walk(pk(PAYLOAD0));
    assert.equal(r.complete, false);
    assert.equal(r.end, PAYLOAD0.length);
    assert.ok(codes(allFindings(r)).includes("PICKLE_DANGEROUS_CALL"));
  });
  it("a LONG_BINPUT index is read as 4 bytes", () => {
    assert.deepEqual(walk(pk(op.NONE, [0x72], u32(0x7fffffff), op.STOP)).findings, []);
  });
});
