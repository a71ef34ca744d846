import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { walkGgufHeader } from "../../../src/scan/gguf/header.js";
import { scanGguf } from "../../../src/scan/gguf/scan.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";
import {
  assertExpected,
  directContext,
  emptyPolicy,
  formatFixtures,
  scanFixture,
} from "../protobuf/fixture-manifest.js";
import { BASE_KVS, BASE_TENSORS, gguf, gstr, type Kv, le64 } from "./writer.js";

const scan = (data: Uint8Array | ByteSource): Promise<ScanNode> =>
  scanSource(data instanceof Uint8Array ? bytesSource(data) : data, {
    policy: emptyPolicy,
    path: "model.gguf",
  });

const direct = (data: Uint8Array): Promise<ScanNode> =>
  scanGguf(bytesSource(data), directContext("model.gguf"), { format: "gguf" });

describe("GGUF fixtures (written by fixtures/gen/formats.py)", () => {
  for (const fixture of formatFixtures("gguf/")) {
    it(`${fixture.path} → ${fixture.verdict}`, async () => {
      assertExpected(await scanFixture(fixture), fixture);
    });
  }
});

describe("GGUF scanner", () => {
  it("reports a valid file as clean with architecture, parameters and quantization", async () => {
    const node = await scan(gguf());
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.equal(node.summary?.architecture, "llama");
    assert.equal(node.summary?.quantization, "MOSTLY_F16");
    assert.equal(node.summary?.tensors, 2);
    assert.equal(node.summary?.parameters, 8);
    assert.deepEqual(node.summary?.tensorsByType, { F32: 2 });
    assert.equal(node.summary?.referenceCheck, "@huggingface/gguf");
  });

  it("checks every chat template, named ones included", async () => {
    const kvs: Kv[] = [
      ...BASE_KVS,
      { key: "tokenizer.chat_template", type: "string", value: "{{ messages[0]['content'] }}" },
      {
        key: "tokenizer.chat_template.tool_use",
        type: "string",
        value: "{{ self.__init__.__globals__.__builtins__.__import__('os').popen('echo x') }}",
      },
    ];
    const node = await scan(gguf(kvs));
    assert.equal(node.verdict, "malicious", JSON.stringify(node.findings));
    const dangerous = node.findings.filter((f) => f.code === "TEMPLATE_DANGEROUS");
    assert.ok(dangerous.length > 0);
    assert.ok(
      dangerous.every((f) => JSON.stringify(f).includes("tokenizer.chat_template.tool_use")),
    );
    assert.deepEqual(node.summary?.chatTemplates, [
      "tokenizer.chat_template",
      "tokenizer.chat_template.tool_use",
    ]);
  });

  it("a benign chat template keeps the file clean", async () => {
    const kvs: Kv[] = [
      ...BASE_KVS,
      {
        key: "tokenizer.chat_template",
        type: "string",
        value: "{% for m in messages %}{{ m['role'] }}{% endfor %}",
      },
    ];
    const node = await scan(gguf(kvs));
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
  });

  it("an unparseable chat template blocks", async () => {
    const kvs: Kv[] = [
      ...BASE_KVS,
      { key: "tokenizer.chat_template", type: "string", value: "{% for %}" },
    ];
    const node = await scan(gguf(kvs));
    assert.equal(node.verdict, "unscannable", JSON.stringify(node.findings));
  });

  it("reads only the header of a 2 GB file", async () => {
    const head = gguf(BASE_KVS, [{ name: "w", shape: [536870912], type: 0, offset: 0 }], {
      dataBytes: 0,
    });
    const size = head.length + 2147483648;
    let maxOffset = 0;
    const huge: ByteSource = {
      size,
      read(offset, length) {
        const end = Math.min(size, offset + length);
        maxOffset = Math.max(maxOffset, offset);
        // Bytes past the header are zeros, served without allocating the whole range.
        const out = new Uint8Array(Math.max(0, Math.min(end - offset, 4 << 20)));
        out.set(head.subarray(Math.min(offset, head.length), Math.min(end, head.length)));
        return out;
      },
    };
    const node = await scan(huge);
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.equal(node.summary?.parameters, 536870912);
    assert.ok(maxOffset < 4 << 20, `read at ${maxOffset}`);
  });
});

/** A GGUF prefix with no tensors and `kvCount` metadata entries, followed by raw bytes. */
const header = (kvCount: bigint, rest: number[]): Uint8Array =>
  Uint8Array.from([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0, ...le64(0), ...le64(kvCount), ...rest]);

describe("GGUF hostile catalogue", () => {
  const raw = (key: string, typeId: number, bytes: number[]): Kv => ({
    key,
    type: "raw",
    typeId,
    bytes,
  });
  const cases: Array<{ name: string; bytes: () => Uint8Array; expect: RegExp }> = [
    {
      name: "GGUF v1",
      bytes: () => gguf(BASE_KVS, BASE_TENSORS, { version: 1 }),
      expect: /version/,
    },
    {
      name: "GGUF v4",
      bytes: () => gguf(BASE_KVS, BASE_TENSORS, { version: 4 }),
      expect: /version/,
    },
    {
      name: "big-endian version",
      bytes: () => gguf(BASE_KVS, BASE_TENSORS, { version: 0x03000000 }),
      expect: /big-endian/,
    },
    {
      name: "tensor count 2^63",
      bytes: () => gguf(BASE_KVS, BASE_TENSORS, { tensorCount: 2n ** 63n }),
      expect: /tensor count/,
    },
    {
      name: "kv count 2^64-1",
      bytes: () => gguf(BASE_KVS, BASE_TENSORS, { kvCount: 2n ** 64n - 1n }),
      expect: /metadata count/,
    },
    {
      name: "kv count larger than the entries present",
      bytes: () => gguf(BASE_KVS, [], { kvCount: 9n, dataBytes: 0 }),
      expect: /cannot fit|remain/,
    },
    {
      name: "key length 2^60",
      bytes: () => header(1n, [...le64(2n ** 60n), 0x6b, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      expect: /declares/,
    },
    {
      name: "string value length 2^60",
      bytes: () => gguf([raw("general.name", 8, [...le64(2n ** 60n)])], []),
      expect: /declares/,
    },
    {
      name: "numeric array of 2^40 elements",
      bytes: () => gguf([raw("arr", 9, [4, 0, 0, 0, ...le64(2n ** 40n)])], []),
      expect: /more than fit/,
    },
    {
      name: "string array of 2^40 strings",
      bytes: () => gguf([raw("arr", 9, [8, 0, 0, 0, ...le64(2n ** 40n)])], []),
      expect: /more than fit/,
    },
    {
      name: "string array lying about one element",
      bytes: () =>
        gguf([raw("arr", 9, [8, 0, 0, 0, ...le64(2), ...gstr("a"), ...le64(1000)])], [], {
          dataBytes: 0,
        }),
      expect: /remain/,
    },
    {
      name: "nested array",
      bytes: () =>
        gguf([raw("arr", 9, [9, 0, 0, 0, ...le64(1), 4, 0, 0, 0, ...le64(1), 1, 0, 0, 0])], []),
      expect: /nests arrays/,
    },
    {
      name: "unknown value type",
      bytes: () => gguf([raw("k", 13, [0, 0, 0, 0])], []),
      expect: /unknown type/,
    },
    {
      name: "unknown array element type",
      bytes: () => gguf([raw("k", 9, [99, 0, 0, 0, ...le64(0)])], []),
      expect: /element type/,
    },
    { name: "bool with value 2", bytes: () => gguf([raw("k", 7, [2])], []), expect: /bool/ },
    {
      name: "duplicate key",
      bytes: () =>
        gguf([...BASE_KVS, { key: "general.architecture", type: "string", value: "evil" }]),
      expect: /duplicate metadata key/,
    },
    {
      name: "duplicate tensor name",
      bytes: () =>
        gguf(BASE_KVS, [
          { name: "a", shape: [4], type: 0, offset: 0 },
          { name: "a", shape: [4], type: 0, offset: 32 },
        ]),
      expect: /duplicate tensor/,
    },
    {
      name: "non-UTF-8 key",
      bytes: () => header(1n, [...gstr([0x6b, 0xff]), 4, 0, 0, 0, 1, 0, 0, 0]),
      expect: /UTF-8/,
    },
    {
      name: "tensor name over 64 bytes",
      bytes: () => gguf(BASE_KVS, [{ name: "x".repeat(65), shape: [4], type: 0, offset: 0 }]),
      expect: /longer than 64/,
    },
    {
      name: "five dimensions",
      bytes: () => gguf(BASE_KVS, [{ name: "t", shape: [1, 1, 1, 1, 4], type: 0, offset: 0 }]),
      expect: /dimensions/,
    },
    {
      name: "unknown ggml type",
      bytes: () => gguf(BASE_KVS, [{ name: "t", shape: [4], type: 77, offset: 0 }]),
      expect: /unknown ggml type/,
    },
    {
      name: "quantized row not a block multiple",
      bytes: () => gguf(BASE_KVS, [{ name: "t", shape: [16], type: 2, offset: 0 }]),
      expect: /multiple/,
    },
    {
      name: "shape overflowing int64",
      bytes: () =>
        gguf(BASE_KVS, [{ name: "t", shape: [2n ** 62n, 2n ** 62n], type: 0, offset: 0 }]),
      expect: /impossible shape/,
    },
    {
      name: "misaligned offset",
      bytes: () => gguf(BASE_KVS, [{ name: "t", shape: [1], type: 0, offset: 4 }]),
      expect: /not aligned/,
    },
    {
      name: "overlapping tensors",
      bytes: () =>
        gguf(
          BASE_KVS,
          [
            { name: "a", shape: [16], type: 0, offset: 0 },
            { name: "b", shape: [4], type: 0, offset: 32 },
          ],
          { dataBytes: 128 },
        ),
      expect: /expected 64/,
    },
    {
      name: "tensor past the end of the file",
      bytes: () => gguf(BASE_KVS, [{ name: "a", shape: [1024], type: 0, offset: 0 }]),
      expect: /runs past/,
    },
    {
      name: "offset 2^63",
      bytes: () => gguf(BASE_KVS, [{ name: "a", shape: [4], type: 0, offset: 2n ** 63n }]),
      expect: /expected 0/,
    },
    {
      name: "alignment not a power of two",
      bytes: () => gguf([...BASE_KVS, { key: "general.alignment", type: "u32", value: 24 }]),
      expect: /alignment/,
    },
    {
      name: "chat template that is not a string",
      bytes: () => gguf([...BASE_KVS, { key: "tokenizer.chat_template", type: "u32", value: 1 }]),
      expect: /not a string/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const node = await direct(c.bytes());
      assert.notEqual(node.verdict, "clean");
      assert.ok(
        node.findings.some((f) => c.expect.test(f.message)),
        JSON.stringify(node.findings),
      );
    });
  }

  it("every truncation of a valid file is invalid, never clean, never a throw", async () => {
    const full = gguf();
    for (let cut = 0; cut < full.length; cut++) {
      const node = await direct(full.subarray(0, cut));
      assert.equal(node.verdict, "unscannable", `cut at ${cut}: ${JSON.stringify(node.findings)}`);
    }
  });

  it("the bounded walk rejects a truncated file that the reference library zero-fills", () => {
    const full = gguf();
    assert.throws(() => walkGgufHeader(bytesSource(full.subarray(0, 100))), /remain/);
  });
});
