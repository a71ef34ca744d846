/**
 * The plain-data pickle decoder (legacy torch headers, tar-format storages) over every opcode a
 * protocol 0-2 `pickle.dump` of dicts, lists, strings, numbers and None writes, hand-assembled;
 * anything else (or a malformed opcode) is a ScanError at its offset, never a guess.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ScanError } from "../../../src/core/errors.js";
import { decodeLiteralPickle } from "../../../src/scan/containers/literal-pickle.js";
import { bytesSource } from "../../../src/scan/source.js";
import { op, pk, u32, u64 } from "../pickle/helpers.js";

const decode = (...parts: Parameters<typeof pk>) =>
  decodeLiteralPickle(bytesSource(pk(...parts)), 0).value;

const rejects = (message: RegExp, ...parts: Parameters<typeof pk>) =>
  assert.throws(
    () => decodeLiteralPickle(bytesSource(pk(...parts)), 0),
    (e: unknown) => e instanceof ScanError && message.test(e.message),
  );

describe("literal pickle: protocol 0 text opcodes", () => {
  test("a dict of text keys, INT, LONG, bools, None, UNICODE and STRING", () => {
    const value = decode(
      op.MARK,
      "S'a'\n",
      "I42\n",
      'S"b"\n',
      "L-12345678901234567890L\n",
      "Vc\n",
      "I01\n",
      "Vd\n",
      "I00\n",
      "Ve\n",
      op.NONE,
      "d",
      op.STOP,
    );
    assert.deepEqual(value, {
      dict: [
        ["a", 42],
        ["b", -12345678901234567890n],
        ["c", true],
        ["d", false],
        ["e", null],
      ],
    });
  });

  test("PUT and GET share a value through the memo", () => {
    assert.deepEqual(decode(op.MARK, "S'x'\n", "p0\n", "g0\n", "l", op.STOP), ["x", "x"]);
  });

  test("malformed text opcodes are errors naming the opcode", () => {
    rejects(/bad INT/, "I4x\n", op.STOP);
    rejects(/bad LONG/, "L12a\n", op.STOP);
    rejects(/unsupported STRING literal/, "S'a\\x00'\n", op.STOP);
    rejects(/unsupported STRING literal/, "Sabc\n", op.STOP);
  });
});

describe("literal pickle: binary opcodes", () => {
  test("SETITEM and SETITEMS fill an empty dict; NEWTRUE, NEWFALSE, LONG4", () => {
    const value = decode(
      0x80,
      2,
      op.EMPTY_DICT,
      "X",
      u32(1),
      "k",
      0x88,
      "s",
      op.MARK,
      "U",
      1,
      "m",
      0x89,
      "T",
      u32(1),
      "n",
      0x8b,
      u32(2),
      [0x00, 0x80],
      "u",
      op.STOP,
    );
    assert.deepEqual(value, {
      dict: [
        ["k", true],
        ["m", false],
        ["n", -32768],
      ],
    });
  });

  test("BINUNICODE8 and LONG_BINPUT/LONG_BINGET", () => {
    const value = decode(
      0x80,
      4,
      op.MARK,
      0x8d,
      u64(2),
      "hi",
      "r",
      u32(7),
      "j",
      u32(7),
      "l",
      op.STOP,
    );
    assert.deepEqual(value, ["hi", "hi"]);
  });

  test("structural misuse is an error, not a guess", () => {
    rejects(/no MARK/, "e", op.STOP);
    rejects(/append to a non-list/, "N", "N", "a", op.STOP);
    rejects(/setitem on a non-dict/, "N", "N", "N", "s", op.STOP);
    rejects(/setitem on a non-dict/, "N", op.MARK, "u", op.STOP);
    rejects(/STACK_GLOBAL of non-strings/, "N", "N", 0x93, op.STOP);
  });

  test("a pickle that never stops is cut at the opcode limit", () => {
    const nones = new Uint8Array(1_000_001).fill(0x4e);
    assert.throws(
      () => decodeLiteralPickle(bytesSource(nones), 0),
      (e: unknown) => e instanceof ScanError && /too many opcodes|truncated/.test(e.message),
    );
  });
});
