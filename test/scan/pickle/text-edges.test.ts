/**
 * Protocol-0 text arguments at their edges, as CPython reads them: escapes a STRING may hold (and
 * the ones `codecs.escape_decode` rejects), raw-unicode-escape past the BMP and past 64 Ki units,
 * the int and float spellings `strtol`, `int(s, 0)` and `PyOS_string_to_double` accept, lines
 * longer than the walker keeps, and str constants whose latin-1 bytes start with PROTO. Each must
 * give CPython's value, or stop the walk where CPython raises; a pickle hidden behind escapes or
 * behind a long line must still be walked.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeStringLine } from "../../../src/scan/pickle/text.js";
import { allFindings, codes, op, type Part, pk, walk } from "./helpers.js";

const MIB = 1 << 20;

/** The persistent id of a tuple of `parts` (MARK parts TUPLE BINPERSID): the values read. */
function values(...parts: Part[]): unknown[] {
  const r = walk(pk(op.MARK, ...parts, op.TUPLE, op.BINPERSID, op.STOP));
  assert.equal(r.complete, true, JSON.stringify(r.findings));
  assert.deepEqual(r.findings, []);
  return r.persistentIds[0] as unknown[];
}

/** The walk of `parts` + STOP must stop with PICKLE_MALFORMED whose message matches `why`. */
function malformed(why: RegExp, ...parts: Part[]): void {
  const r = walk(pk(...parts, op.STOP));
  assert.equal(r.complete, false);
  const f = allFindings(r);
  assert.deepEqual(codes(f), ["PICKLE_MALFORMED"], JSON.stringify(f));
  assert.equal(f[0]?.verdict, "unscannable");
  assert.match(f[0]?.message ?? "", why);
}

const latin1 = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

describe("pickle STRING escapes (codecs.escape_decode)", () => {
  it("\\v, an octal escape cut short by a non-octal digit, and \\xHH decode to their bytes", () => {
    assert.deepEqual(values(op.string("'\\v\\18\\x41\\q'")), ["\x0b\x018A\\q"]);
  });

  it("a trailing backslash before the closing quote is refused ('Trailing \\ in string')", () => {
    malformed(/must be quoted and validly escaped/, op.string("'abc\\'"));
  });

  it("\\x with no hex digit, or one, is refused ('invalid \\x escape')", () => {
    malformed(/must be quoted and validly escaped/, op.string("'\\x'"));
    malformed(/must be quoted and validly escaped/, op.string("'\\x4'"));
  });

  it("backslash-newline inside the literal is a line continuation (nothing is written)", () => {
    // A pickle line cannot hold "\n", so only the decoder itself can see this form.
    assert.deepEqual(decodeStringLine(latin1("'a\\\nb'")), latin1("ab"));
  });

  it("a STRING that decodes past 4096 bytes is kept as an opaque str of its decoded length", () => {
    assert.deepEqual(values(op.string(`'${"\\x41".repeat(5000)}'`)), [
      { kind: "str", offset: 2, length: 5000 },
    ]);
  });
});

describe("pickle UNICODE (raw-unicode-escape)", () => {
  it("\\U0010ffff is the last code point; \\U00110000 is refused like CPython ('\\Uxxxxxxxx out of range')", () => {
    assert.deepEqual(values(op.unicode("\\U0010ffff")), ["\u{10ffff}"]);
    malformed(/bad raw-unicode-escape/, op.unicode("\\U00110000"));
  });

  it("a pickle behind escapes in a UNICODE line longer than 64 Ki units is decoded whole and walked", () => {
    // Decoded: PROTO 2, GLOBAL posix system, MARK, UNICODE 'A'*70000, TUPLE, REDUCE, STOP.
    const raw = `\\u0080\\u0002cposix\\u000asystem\\u000a(V${"A".repeat(70_000)}\\u000atR.`;
    const r = walk(pk(op.unicode(raw), op.STOP));
    assert.equal(r.complete, true, JSON.stringify(r.findings));
    assert.equal(r.nested.length, 1);
    const inner = r.nested[0]?.stream;
    assert.equal(inner?.complete, true, JSON.stringify(inner?.findings));
    assert.deepEqual(
      inner?.imports.map((i) => `${i.module}.${i.name}`),
      ["posix.system"],
    );
    assert.ok(codes(allFindings(r)).includes("PICKLE_NESTED"));
  });

  it("a UNICODE str starting like PROTO but holding a char above U+00FF has no latin-1 bytes: not walked as a pickle", () => {
    const r = walk(pk(op.unicode("\\u0080\\u0002cos\\u000a\\u0100system\\u000a."), op.STOP));
    assert.equal(r.complete, true);
    assert.equal(r.nested.length, 0);
    assert.deepEqual(r.findings, []);
  });
});

describe("pickle INT, LONG and FLOAT spellings", () => {
  it("INT takes strtol's octal (017 = 15) and falls back to int(s, 0) for 0b, 0o and underscores", () => {
    assert.deepEqual(
      values(op.int("017"), op.int("0b101"), op.int("0o17"), op.int("1_000")),
      [15, 5, 15, 1000],
    );
  });

  it("LONG takes int(s, 0) spellings with the trailing L", () => {
    assert.deepEqual(values(op.long("0x_ffL"), op.long("-0b11L")), [255, -3]);
  });

  it("an INT that neither strtol nor int(s, 0) reads is refused", () => {
    malformed(/could not convert string to int/, op.int("1__0"));
    malformed(/could not convert string to int/, op.int("0x"));
  });

  it("FLOAT takes inf, -inf, infinity and nan in any case (PyOS_string_to_double)", () => {
    const v = values(op.float("inf"), op.float("-Inf"), op.float("+infinity"), op.float("NaN"));
    assert.deepEqual(v.slice(0, 3), [Infinity, -Infinity, Infinity]);
    assert.ok(Number.isNaN(v[3]));
    malformed(/could not convert string to float/, op.float("-infx"));
  });
});

describe("pickle lines longer than the walker keeps (1 MiB)", () => {
  const long = "7".repeat(MIB + 10);

  it("an INT argument over 1 MiB stops the walk (CPython refuses ints of over 4300 digits too)", () => {
    malformed(/INT argument is longer than 1048576 bytes/, op.int(long));
  });

  it("a STRING or UNICODE line over 1 MiB is skipped as an opaque str and the walk goes on to what follows", () => {
    for (const line of [op.string(`'${long}'`), op.unicode(long)]) {
      const r = walk(pk(line, op.POP, op.global("posix", "system"), op.STOP));
      assert.equal(r.complete, true, JSON.stringify(r.findings));
      assert.deepEqual(
        r.imports.map((i) => `${i.module}.${i.name}`),
        ["posix.system"],
      );
    }
  });

  it("a GLOBAL whose module line is over 1 MiB is recorded as an over-long import, never allowed (PICKLE_UNSAFE_NAME)", () => {
    const r = walk(pk(op.global(`a${long}`, "system"), op.STOP));
    assert.equal(r.complete, true, JSON.stringify(r.findings));
    assert.equal(r.imports[0]?.module, "<over-long name>");
    assert.equal(r.imports[0]?.name, "system");
    const f = allFindings(r);
    assert.deepEqual(codes(f), ["PICKLE_UNSAFE_NAME"]);
    assert.equal(f[0]?.verdict, "malicious");
  });

  it("a PERSID line over 1 MiB stops the walk", () => {
    malformed(/PERSID argument is too long/, op.persid(long));
  });
});

describe("pickle str constants whose latin-1 bytes start with PROTO (U+0080 U+00xx)", () => {
  /** BINUNICODE of `text` (UTF-8). */
  const binunicode = (text: string) => op.binunicode(text);
  /** A pickle importing posix.system, as the str whose latin-1 encoding it is. */
  const hidden = `\x80\x02cposix\nsystem\n(V${"A".repeat(10_000)}\ntR.`;

  it("a 10 KB one (past the walker's window) is decoded from the source and walked: posix.system is found", () => {
    const r = walk(pk(binunicode(hidden), op.STOP));
    assert.equal(r.complete, true, JSON.stringify(r.findings));
    assert.deepEqual(
      r.nested[0]?.stream.imports.map((i) => `${i.module}.${i.name}`),
      ["posix.system"],
    );
  });

  it("one larger than the constant budget is BUDGET_EXCEEDED (unscannable), not skipped", () => {
    const r = walk(pk(binunicode(hidden), op.STOP), { maxPickleConstant: 4096 });
    const f = allFindings(r);
    assert.ok(
      f.some((x) => x.code === "BUDGET_EXCEEDED" && x.verdict === "unscannable"),
      JSON.stringify(f),
    );
    assert.match(f.find((x) => x.code === "BUDGET_EXCEEDED")?.message ?? "", /may hold a pickle/);
  });

  it("one that is not valid UTF-8 stops the walk as malformed", () => {
    malformed(
      /str constant is not valid UTF-8/,
      [0x58, 8, 0, 0, 0, 0xc2, 0x80, 0xff, 0xfe, 0x41, 0x41, 0x41, 0x41],
    );
  });
});
