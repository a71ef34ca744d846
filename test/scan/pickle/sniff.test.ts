import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectFormat } from "../../../src/scan/detect.js";
import { sniffPickle } from "../../../src/scan/pickle/index.js";
import { bytesSource } from "../../../src/scan/source.js";
import { op, PAYLOAD0, pk } from "./helpers.js";

const text = (s: string) => new TextEncoder().encode(s);

describe("sniffPickle: a real walk of the prefix", () => {
  const notPickles = [
    "hello\n",
    "Hello world\n",
    '{"a": 1, "b": [1, 2]}',
    "[1, 2, 3]\n",
    "import os\nprint(os.getcwd())\n",
    "from torch import nn\n",
    "def f(x):\n    return x\n",
    "class Model(nn.Module):\n    pass\n",
    "(see below)\n",
    "Lorem ipsum dolor sit amet\n",
    "N/A\n",
    "I am a README\n",
    "# Title\n\nSome text.\n",
    "S3 bucket notes\n",
    "Version 1.0\nThe end\n",
    "0.5\n",
    "a,b,c\n1,2,3\n",
    "cos\nsystem\n",
    "Kernel size: 3\n",
    "}\n",
  ];
  for (const s of notPickles) {
    it(`not a pickle: ${JSON.stringify(s)}`, () => {
      assert.equal(sniffPickle(text(s)), undefined);
    });
  }

  const pickles: [string, Uint8Array, number][] = [
    ["protocol 0 list, no PROTO", pk(op.MARK, "l", op.put(0), op.int("1"), op.APPEND, op.STOP), 0],
    ["protocol 0 payload, no PROTO", pk(PAYLOAD0, op.STOP), 0],
    [
      "protocol 1 dict, no PROTO",
      pk(
        op.EMPTY_DICT,
        op.binput(0),
        op.MARK,
        op.shortBinstring("a"),
        op.binint1(1),
        op.SETITEMS,
        op.STOP,
      ),
      0,
    ],
    ["protocol 2", pk(op.proto(2), op.NONE, op.STOP), 2],
    [
      "protocol 4 with a frame longer than the prefix",
      pk(op.proto(4), op.frame(100_000), op.EMPTY_DICT, op.MEMOIZE),
      4,
    ],
    ["tiny pickle", pk(op.NONE, op.STOP), 0],
    [
      "a pickle cut by the sniff window",
      pk(op.MARK, op.NONE, op.NONE, op.NONE, op.binbytes(new Uint8Array(10_000))).subarray(0, 8192),
      0,
    ],
  ];
  for (const [name, bytes, protocol] of pickles) {
    it(`a pickle: ${name}`, () => {
      assert.deepEqual(sniffPickle(bytes), { protocol });
    });
  }

  it("C8/P3: a stream that imports and then breaks is still a pickle (its payload may have run)", () => {
    assert.deepEqual(sniffPickle(pk(op.proto(4), PAYLOAD0, 0xff, 0xfe)), { protocol: 4 });
    assert.deepEqual(sniffPickle(pk(PAYLOAD0, 0xff)), { protocol: 0 });
    assert.deepEqual(sniffPickle(pk(PAYLOAD0, op.POP, op.get(9), op.STOP)), { protocol: 0 });
  });
  it("a headerless stream that breaks without importing anything is not a pickle", () => {
    assert.equal(sniffPickle(pk(op.NONE, op.NONE, op.NONE, op.NONE, op.NONE, 0xff)), undefined);
  });
  it("a PROTO header is enough for top-level detection, whatever follows", () => {
    assert.deepEqual(sniffPickle(pk(op.proto(2), 0xff, 0xff)), { protocol: 2 });
  });

  it("PROTO with an unsupported protocol is not a pickle", () => {
    assert.equal(sniffPickle(pk(op.proto(9), op.NONE, op.STOP)), undefined);
  });
  it("an empty prefix is not a pickle", () => {
    assert.equal(sniffPickle(new Uint8Array(0)), undefined);
  });

  it("detectFormat: text stays text, JSON stays JSON, a headerless pickle is a pickle", () => {
    assert.equal(detectFormat(bytesSource(text("hello\n"))).format, "text");
    assert.equal(detectFormat(bytesSource(text('{"a": 1}'))).format, "json");
    assert.equal(detectFormat(bytesSource(text("import os\n"))).format, "python");
    assert.equal(detectFormat(bytesSource(pk(PAYLOAD0, op.STOP))).format, "pickle");
  });
});
