/**
 * Memo slots far into a large memo are stored compactly (strings and small tuples as plain
 * numbers); what a GET gives back must be exactly what was put, including after overwrites.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { op, type Part, pk, walk } from "./helpers.js";

/** `n` memo entries (ints), so everything after lands at index >= n. */
function filler(n: number): Part[] {
  const parts: Part[] = [];
  for (let i = 0; i < n; i++) parts.push(op.binint2(i), op.MEMOIZE, op.POP);
  return parts;
}

const ODD = "é€\u{1F600}\u0000x";
const LONG = `m${"o".repeat(99)}`;

describe("pickle walker: large memo", () => {
  it("strings and tuples memoized past the first thousand entries come back exactly", () => {
    const bytes = pk(
      op.proto(4),
      ...filler(2000),
      op.shortBinunicode("os"), // 2000
      op.MEMOIZE,
      op.POP,
      op.MARK, // 2001: a tuple of plain items
      op.shortBinunicode("storage"),
      op.shortBinunicode(ODD),
      op.binint(-5),
      op.NONE,
      op.NEWTRUE,
      op.NEWFALSE,
      op.binfloat(1.5),
      op.EMPTY_LIST,
      op.TUPLE,
      op.MEMOIZE,
      op.POP,
      op.global("builtins", "print"), // 2002
      op.MEMOIZE,
      op.shortBinunicode("x"), // 2003: a tuple holding a global (kept by reference)
      op.MEMOIZE,
      op.TUPLE2,
      op.MEMOIZE, // 2004
      op.POP,
      op.binunicode(LONG), // 2005: longer than the packed strings
      op.MEMOIZE,
      op.POP,
      op.longBinget(2000),
      op.shortBinunicode("system"),
      op.STACK_GLOBAL,
      op.POP,
      op.longBinget(2001),
      op.BINPERSID,
      op.POP,
      op.longBinget(2004),
      op.BINPERSID,
      op.POP,
      op.longBinget(2005),
      op.longBinget(2003),
      op.STACK_GLOBAL,
      op.POP,
      // Overwrite a packed slot with a dict, then with another string.
      op.EMPTY_DICT,
      op.longBinput(2000),
      op.POP,
      op.longBinget(2000),
      op.longBinget(2003),
      op.STACK_GLOBAL,
      op.POP,
      op.shortBinunicode("posix"),
      op.longBinput(2000),
      op.POP,
      op.longBinget(2000),
      op.shortBinunicode("system"),
      op.STACK_GLOBAL,
      op.STOP,
    );
    const r = walk(bytes);
    assert.equal(r.complete, true);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.imports.map((i) => `${i.module}.${i.name}${i.nonString ? " (non-string)" : ""}`),
      ["builtins.print", "os.system", `${LONG}.x`, '<dict>."x" (non-string)', "posix.system"],
    );
    assert.deepEqual(r.persistentIds, [
      ["storage", ODD, -5, null, true, false, { kind: "float" }, { kind: "list" }],
      [{ global: "builtins.print" }, "x"],
    ]);
  });

  it("str constants memoized far back are read back exactly once their bytes left the read window", () => {
    // Short ASCII str constants are kept as places in the source, not decoded; 3 MiB of bytes
    // between PUT and GET push them out of the (at most 1 MiB) read window.
    const bytes = pk(
      op.proto(4),
      ...filler(300),
      op.shortBinunicode("os"), // 300
      op.MEMOIZE,
      op.POP,
      op.MARK,
      op.shortBinunicode("storage"),
      op.shortBinunicode("0"),
      op.shortBinunicode("cpu"),
      op.TUPLE,
      op.MEMOIZE, // 301
      op.POP,
      op.binbytes8(new Uint8Array(3 * 1024 * 1024)),
      op.POP,
      op.longBinget(300),
      op.shortBinunicode("system"),
      op.STACK_GLOBAL,
      op.POP,
      op.longBinget(301),
      op.BINPERSID,
      op.POP,
      op.longBinget(301),
      op.BINPERSID,
      op.POP,
      op.longBinget(300),
      op.longBinget(300),
      op.STACK_GLOBAL,
      op.STOP,
    );
    const r = walk(bytes);
    assert.equal(r.complete, true);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(
      r.imports.map((i) => `${i.module}.${i.name}`),
      ["os.system", "os.os"],
    );
    assert.deepEqual(r.persistentIds, [
      ["storage", "0", "cpu"],
      ["storage", "0", "cpu"],
    ]);
  });

  it("a GET of a never-filled slot past the first thousand is still malformed", () => {
    const bytes = pk(
      op.proto(4),
      ...filler(1500),
      op.shortBinunicode("a"),
      op.longBinput(1600), // leaves 1500..1599 unset
      op.POP,
      op.longBinget(1550),
      op.STOP,
    );
    const r = walk(bytes);
    assert.equal(r.complete, false);
    assert.match(r.findings[0]?.message ?? "", /memo value not found at index 1550/);
  });
});
