/**
 * Protocol-0 text arguments are read straight from the bytes in their common forms (plain digits,
 * simple decimals, ASCII str with no escapes) and through the full text parsers otherwise. Both
 * ways must give the same values.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  digitsIn,
  parseDecimalLine,
  parseFloatLine,
  parseIntLine,
  plainIntIn,
  simpleFloatIn,
} from "../../../src/scan/pickle/text.js";
import { op, pk, walk } from "./helpers.js";

const bytesOf = (s: string): Uint8Array => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));

/** A seeded generator of short strings over the characters a number argument may hold. */
function* samples(count: number, seed: number): Generator<string> {
  let x = seed;
  const next = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  const alphabet = "0123456789012345678901234567890123456789..--+eE_ Lx";
  for (let i = 0; i < count; i++) {
    const n = next() % 20;
    let s = "";
    for (let k = 0; k < n; k++) s += alphabet[next() % alphabet.length];
    yield s;
  }
}

const EDGES = [
  "",
  "0",
  "00",
  "01",
  "-0",
  "-0.0",
  "0.1",
  "5.",
  ".5",
  "-.5",
  ".",
  "-",
  "1.2.3",
  "1e5",
  "123456789012345",
  "1234567890123456",
  "999999999999999.",
  "0.000000000000001",
  "3.141592653589793",
  "007",
  "+5",
  " 5",
];

describe("pickle text arguments: the byte fast paths agree with the text parsers", () => {
  it("FLOAT: simple decimals give the same double as parsing the text", () => {
    for (const s of [...EDGES, ...samples(20000, 7)]) {
      const fast = simpleFloatIn(bytesOf(s), 0, s.length);
      if (fast === undefined) continue;
      assert.ok(Object.is(fast, parseFloatLine(s)), `FLOAT ${JSON.stringify(s)}`);
    }
  });

  it("INT/LONG and GET/PUT: plain digits give the same number as parsing the text", () => {
    for (const s of [...EDGES, ...samples(20000, 11)]) {
      const b = bytesOf(s);
      const int = plainIntIn(b, 0, s.length);
      if (int >= 0) assert.equal(int, parseIntLine(s), `INT ${JSON.stringify(s)}`);
      const dec = digitsIn(b, 0, s.length);
      if (dec >= 0) assert.equal(dec, parseDecimalLine(s), `GET ${JSON.stringify(s)}`);
    }
  });

  it("the fast paths decline what only the text parsers handle", () => {
    assert.equal(simpleFloatIn(bytesOf("1e5"), 0, 3), undefined);
    assert.equal(simpleFloatIn(bytesOf("1234567890123456"), 0, 16), undefined);
    assert.equal(plainIntIn(bytesOf("007"), 0, 3), -1);
    assert.equal(plainIntIn(bytesOf("-5"), 0, 2), -1);
  });
});

describe("pickle walker: protocol-0 values, fast and slow forms", () => {
  it("INT, LONG, FLOAT, STRING and UNICODE values reach a persistent id exactly", () => {
    const bytes = pk(
      op.MARK,
      op.int("7"),
      op.int("-7"),
      op.int("00"),
      op.int("01"),
      op.int("0x10"),
      op.long("12L"),
      op.long("-3L"),
      op.long("123456789012345678901234567890L"),
      op.float("1.5"),
      op.float("-0.25"),
      op.float("1e-05"),
      op.float("-0.0"),
      op.string("'abc'"),
      op.string("'a\\nb'"),
      op.string('"q"'),
      op.unicode("plain text"),
      op.unicode("caf\\u00e9"),
      op.TUPLE,
      op.BINPERSID,
      op.STOP,
    );
    const r = walk(bytes);
    assert.equal(r.complete, true);
    assert.deepEqual(r.findings, []);
    assert.deepEqual(r.persistentIds, [
      [
        7,
        -7,
        false,
        true,
        16,
        12,
        -3,
        123456789012345678901234567890n,
        1.5,
        -0.25,
        1e-5,
        -0,
        "abc",
        "a\nb",
        "q",
        "plain text",
        "café",
      ],
    ]);
    assert.ok(Object.is((r.persistentIds[0] as unknown[])[11], -0));
  });

  it("STACK_GLOBAL fed by protocol-0 UNICODE and STRING lines, through PUT/GET", () => {
    const bytes = pk(
      op.unicode("os"),
      op.put(1),
      op.POP,
      op.string("'system'"),
      op.put(2),
      op.POP,
      op.get(1),
      op.get(2),
      op.STACK_GLOBAL,
      op.STOP,
    );
    const r = walk(bytes);
    assert.deepEqual(
      r.imports.map((i) => `${i.module}.${i.name}`),
      ["os.system"],
    );
  });

  it("an unescaped ASCII str line with control bytes that parses as a pickle is walked as nested (P13)", () => {
    // BININT1 5, BININT1 6, BININT1 7, POP, POP, STOP: no newline, no backslash, not printable.
    const inner = "K\x05K\x06K\x0700.";
    for (const bytes of [pk(op.unicode(inner), op.STOP), pk(op.string(`'${inner}'`), op.STOP)]) {
      const r = walk(bytes);
      assert.equal(r.complete, true);
      assert.equal(r.nested.length, 1);
      assert.equal(r.nested[0]?.stream.complete, true);
    }
  });

  it("an escaped str line that is a pickle is still walked as nested (P13)", () => {
    // UNICODE argument "cos\x0bsystem..." cannot hold "\n", but STRING escapes can: 'cos\nsystem\n.'
    const bytes = pk(op.string("'cos\\nsystem\\n(tR.'"), op.STOP);
    const r = walk(bytes);
    assert.equal(r.nested.length, 1);
    assert.deepEqual(
      r.nested[0]?.stream.imports.map((i) => `${i.module}.${i.name}`),
      ["os.system"],
    );
  });
});
