import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { Budget } from "../../../src/scan/budget.js";
import type { ScanContext } from "../../../src/scan/context.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { evaluatePickle, scanPickleFile, walkPickle } from "../../../src/scan/pickle/index.js";
import type { ScanPolicy } from "../../../src/scan/policy.js";
import { bytesSource } from "../../../src/scan/source.js";
import { budget, codes, joblibWrapper, op, PAYLOAD0, pk, testPolicy } from "./helpers.js";

// The pickle scanner reads only `policy.pickle`; the other areas' parts are not needed here.
const policy = { pickle: testPolicy } as unknown as ScanPolicy;

function scan(bytes: Uint8Array): Promise<ScanNode> {
  const b = new Budget();
  const ctx: ScanContext = {
    policy,
    budget: b,
    depth: 0,
    path: "model.bin",
    scanChild: (source, name) => scanSource(source, { policy, path: name, budget: b, depth: 1 }),
  };
  return scanPickleFile(bytesSource(bytes), ctx, { format: "pickle" });
}

const data = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./data/${name}`, import.meta.url)));
const CLEAN = pk(
  op.proto(2),
  op.EMPTY_DICT,
  op.MARK,
  op.binunicode("layer.weight"),
  op.binint1(1),
  op.binunicode("layer.bias"),
  op.binint1(2),
  op.SETITEMS,
  op.STOP,
);

describe("scanPickleFile", () => {
  it("a clean pickle: verdict clean, summary with protocol, imports, and pickleparser content keys", async () => {
    const node = await scan(CLEAN);
    assert.equal(node.verdict, "clean");
    assert.equal(node.format, "pickle");
    assert.deepEqual(node.findings, []);
    assert.equal(node.summary?.pickles, 1);
    assert.deepEqual(node.summary?.protocols, [2]);
    assert.deepEqual(node.summary?.content, {
      type: "dict",
      entries: 2,
      keys: ["layer.weight", "layer.bias"],
    });
  });

  it("P12: every stacked pickle is scanned, not only the first", async () => {
    const node = await scan(pk(CLEAN, pk(PAYLOAD0, op.STOP), CLEAN));
    assert.equal(node.verdict, "malicious");
    assert.equal(node.summary?.pickles, 3);
    assert.ok(codes(node.findings).includes("PICKLE_DANGEROUS_CALL"));
    assert.equal(
      node.findings.find((f) => f.code === "PICKLE_DANGEROUS_GLOBAL")?.offset,
      CLEAN.length,
    );
  });

  it("P12: bytes after STOP that are not a pickle are trailing data (suspicious) and scanned as a member", async () => {
    const node = await scan(pk(CLEAN, "\x00\x01garbage that is not a pickle"));
    assert.ok(codes(node.findings).includes("PICKLE_TRAILING_DATA"));
    assert.equal(
      node.findings.find((f) => f.code === "PICKLE_TRAILING_DATA")?.verdict,
      "suspicious",
    );
    assert.equal(node.members?.length, 1);
    assert.notEqual(node.verdict, "clean");
  });

  it("a trailing newline is only worth knowing", async () => {
    const node = await scan(pk(CLEAN, "\n"));
    assert.equal(node.verdict, "clean");
    assert.deepEqual(codes(node.findings), ["PICKLE_TRAILING_DATA"]);
  });

  it("C8: payload before an invalid opcode and no STOP: payload reported and the file blocks", async () => {
    const node = await scan(pk(PAYLOAD0, 0xff, "junk"));
    assert.equal(node.verdict, "malicious");
    assert.deepEqual(codes(node.findings).sort(), [
      "PICKLE_DANGEROUS_CALL",
      "PICKLE_DANGEROUS_GLOBAL",
      "PICKLE_MALFORMED",
    ]);
  });

  it("a truncated clean pickle is unscannable", async () => {
    const node = await scan(CLEAN.subarray(0, CLEAN.length - 3));
    assert.equal(node.verdict, "unscannable");
  });

  it("unknown globals block as suspicious; the summary lists the imports", async () => {
    const node = await scan(
      pk(op.proto(2), op.global("mylib", "Thing"), op.EMPTY_TUPLE, op.REDUCE, op.STOP),
    );
    assert.equal(node.verdict, "suspicious");
    assert.deepEqual(node.summary?.imports, ["mylib.Thing"]);
    assert.equal(node.summary?.content, undefined);
  });

  it("persistent ids in a plain pickle file are suspicious (only a custom loader resolves them)", async () => {
    const node = await scan(pk(op.persid("0"), op.STOP));
    assert.deepEqual(codes(node.findings), ["PICKLE_PERSISTENT_ID"]);
    assert.equal(node.verdict, "suspicious");
  });

  it("through the dispatcher: C8 (protocol 4 payload, then an invalid opcode, no STOP) is malicious, not unknown", async () => {
    const node = await scanSource(bytesSource(pk(op.proto(4), PAYLOAD0, 0xff, 0xfe)), {
      policy,
      path: "x.bin",
    });
    assert.equal(node.format, "pickle");
    assert.equal(node.verdict, "malicious");
    assert.ok(codes(node.findings).includes("PICKLE_MALFORMED"));
  });

  it("through the dispatcher: a headerless pickle saved under any name is scanned as a pickle", async () => {
    const node = await scanSource(bytesSource(pk(PAYLOAD0, op.STOP)), {
      policy,
      path: "config.json",
    });
    assert.equal(node.format, "pickle");
    assert.equal(node.verdict, "malicious");
  });
});

describe("joblib inline arrays (real joblib.dump files)", () => {
  it("arange.joblib: the int64 array bytes (with alignment padding) are skipped exactly as joblib reads them", () => {
    const bytes = data("arange.joblib");
    const r = walkPickle(bytesSource(bytes), { budget: budget() });
    assert.deepEqual(r.findings, []);
    assert.equal(r.complete, true);
    assert.equal(r.end, bytes.length);
    assert.deepEqual(
      r.imports.map((i) => `${i.module}.${i.name}`),
      ["joblib.numpy_pickle.NumpyArrayWrapper", "numpy.ndarray", "numpy.dtype"],
    );
  });

  it("mixed.joblib: float32/unicode arrays skipped, the object array's inline pickle walked and its imports kept", () => {
    const bytes = data("mixed.joblib");
    const r = walkPickle(bytesSource(bytes), { budget: budget() });
    assert.deepEqual(r.findings, []);
    assert.equal(r.complete, true);
    assert.equal(r.end, bytes.length);
    const imports = r.imports.map((i) => `${i.module}.${i.name}`);
    assert.ok(imports.includes("numpy.core.multiarray._reconstruct"), imports.join(", "));
  });

  it("without the joblib hook (plain pickle.load) the inline bytes are opcodes and the walk breaks", () => {
    const bytes = data("arange.joblib");
    const r = walkPickle(bytesSource(bytes), { budget: budget(), hooks: {} });
    assert.equal(r.complete, false);
    assert.ok(codes(r.findings).includes("PICKLE_MALFORMED"));
  });

  it("a payload in a joblib object array's inline pickle is found", () => {
    const wrapper = (dtype: string, flags: number) =>
      pk(
        op.global("joblib.numpy_pickle", "NumpyArrayWrapper"),
        op.EMPTY_TUPLE,
        op.NEWOBJ,
        op.EMPTY_DICT,
        op.MARK,
        op.shortBinunicode("dtype"),
        op.global("numpy", "dtype"),
        op.shortBinunicode(dtype),
        op.NEWFALSE,
        op.NEWTRUE,
        op.TUPLE3,
        op.REDUCE,
        op.MARK,
        op.binint1(3),
        op.shortBinunicode("|"),
        op.NONE,
        op.NONE,
        op.NONE,
        op.binint(-1),
        op.binint(-1),
        op.binint1(flags),
        op.TUPLE,
        op.BUILD,
        op.shortBinunicode("shape"),
        op.binint1(1),
        op.TUPLE1,
        op.SETITEMS,
        op.BUILD,
      );
    const bytes = pk(op.proto(4), wrapper("O8", 63), pk(PAYLOAD0, op.STOP), op.STOP);
    const node = walkPickle(bytesSource(bytes), { budget: budget() });
    assert.equal(node.complete, true);
    assert.ok(node.calls.some((c) => c.callable === "os.system"));
  });

  it("array bytes that are themselves a pickle (what pickle.load would run) are scanned as nested", () => {
    const hidden = pk(PAYLOAD0, op.STOP);
    const bytes = pk(op.proto(4), joblibWrapper("u1", [hidden.length]), hidden, op.STOP);
    const r = walkPickle(bytesSource(bytes), { budget: budget() });
    assert.equal(r.complete, true);
    assert.equal(r.end, bytes.length);
    const f = [...r.findings, ...evaluatePickle(r, testPolicy)];
    assert.ok(codes(f).includes("PICKLE_NESTED"));
    assert.ok(
      f.some(
        (x) => x.code === "PICKLE_DANGEROUS_CALL" && x.message.startsWith("In the pickle nested"),
      ),
    );
  });
});
