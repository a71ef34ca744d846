/**
 * Python string literals read as Python reads them, so an escaped or encoded module name folds to
 * the name the interpreter imports: every escape form, what bytes literals do not decode, code
 * points past Unicode, unknown escapes kept as written, and the hex and base64 decoders.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeBase64, decodeHex, unescapePython } from "../../../src/scan/code/strings.js";
import { analyze } from "./helpers.js";

describe("unescapePython", () => {
  test("simple, octal, \\x, \\u and \\U escapes", () => {
    assert.equal(unescapePython(String.raw`\a\b\f\n\r\t\v\\\'\"`, false), "\x07\b\f\n\r\t\v\\'\"");
    assert.equal(unescapePython(String.raw`\157\163`, false), "os");
    assert.equal(unescapePython(String.raw`\x6f\x73`, false), "os");
    assert.equal(unescapePython(String.raw`\u006f\u0073`, false), "os");
    assert.equal(unescapePython(String.raw`\U0001F600`, false), "😀");
    assert.equal(unescapePython("a\\\nb", false), "ab");
  });

  test("bytes literals have no \\u or \\U escapes: they stay as written", () => {
    assert.equal(unescapePython(String.raw`\u006f`, true), String.raw`\u006f`);
    assert.equal(unescapePython(String.raw`\U0000006f`, true), String.raw`\U0000006f`);
    assert.equal(unescapePython(String.raw`\x6f`, true), "o");
  });

  test("unknown or short escapes stay as written; a code point past Unicode is dropped", () => {
    assert.equal(unescapePython(String.raw`\q`, false), String.raw`\q`);
    assert.equal(unescapePython(String.raw`\x6`, false), String.raw`\x6`);
    assert.equal(unescapePython(String.raw`\u12G4`, false), String.raw`\u12G4`);
    assert.equal(unescapePython(String.raw`a\U00110000b`, false), "ab");
    assert.equal(unescapePython("trailing\\", false), "trailing\\");
  });
});

describe("decoders", () => {
  test("hex: pairs of hex digits, whitespace ignored; anything else is not hex", () => {
    assert.equal(decodeHex("6f 73"), "os");
    assert.equal(decodeHex("6f7"), undefined);
    assert.equal(decodeHex("zz"), undefined);
  });

  test("base64: standard and URL-safe; other text and empty text are not base64", () => {
    assert.equal(decodeBase64("b3M="), "os");
    assert.equal(decodeBase64("Pz8-"), "??>");
    assert.equal(decodeBase64("not base64!"), undefined);
    assert.equal(decodeBase64("  "), undefined);
  });
});

describe("escaped names in code", () => {
  test("an import spelled with \\x and \\u escapes is followed to os.system", async () => {
    const r = await analyze('m = __import__("\\x6f\\u0073")\nm.system("id")\n');
    assert.equal(r.verdict, "malicious");
  });

  test("a raw string keeps its backslashes: no os import is folded from it", async () => {
    const r = await analyze('m = __import__(r"\\x6f\\x73")\n');
    const folded = r.findings.filter((f) => f.verdict === "malicious" && /\bos\b/.test(f.message));
    assert.deepEqual(folded, []);
  });
});
