/**
 * GGUF header cases the fixture tests do not reach: every scalar type read the way ggml reads it,
 * numeric arrays skipped by size, a bad magic, a non-numeric alignment, an unknown file type, and
 * a header too large for the second reader (said in the summary, its template too large to check).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { GgufFormatError, walkGgufHeader } from "../../../src/scan/gguf/header.js";
import { REFERENCE_MAX_HEADER } from "../../../src/scan/gguf/reference.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";
import { emptyPolicy } from "../protobuf/fixture-manifest.js";
import { BASE_KVS, gguf, type Kv, kvBytes, le64, tensorInfo } from "./writer.js";

const scan = (source: ByteSource): Promise<ScanNode> =>
  scanSource(source, { policy: emptyPolicy, path: "model.gguf" });

const raw = (key: string, typeId: number, bytes: number[]): Kv => ({
  key,
  type: "raw",
  typeId,
  bytes,
});

describe("GGUF scalar values", () => {
  const kvs: Kv[] = [
    ...BASE_KVS,
    raw("t.i8", 1, [0xff]),
    raw("t.u16", 2, [0x34, 0x12]),
    raw("t.i16", 3, [0xfe, 0xff]),
    raw("t.i32", 5, [0xfd, 0xff, 0xff, 0xff]),
    raw("t.f32", 6, [0x00, 0x00, 0xc0, 0x3f]),
    raw("t.bool", 7, [1]),
    raw("t.false", 7, [0]),
    raw("t.u64", 10, le64(1n << 40n)),
    raw("t.i64", 11, le64((1n << 64n) - 2n)),
    raw("t.f64", 12, [0, 0, 0, 0, 0, 0, 0x04, 0xc0]),
  ];

  it("reads each type little-endian with its sign, as ggml does", () => {
    const header = walkGgufHeader(bytesSource(gguf(kvs)));
    const get = (k: string) => header.metadata.get(k);
    assert.deepEqual(get("t.i8"), { type: "number", value: -1 });
    assert.deepEqual(get("t.u16"), { type: "number", value: 0x1234 });
    assert.deepEqual(get("t.i16"), { type: "number", value: -2 });
    assert.deepEqual(get("t.i32"), { type: "number", value: -3 });
    assert.deepEqual(get("t.f32"), { type: "number", value: 1.5 });
    assert.deepEqual(get("t.bool"), { type: "bool", value: true });
    assert.deepEqual(get("t.false"), { type: "bool", value: false });
    assert.deepEqual(get("t.u64"), { type: "number", value: 1n << 40n });
    assert.deepEqual(get("t.i64"), { type: "number", value: -2n });
    assert.deepEqual(get("t.f64"), { type: "number", value: -2.5 });
  });

  it("a file with every scalar type is clean, and both readers agree on it", async () => {
    const node = await scan(bytesSource(gguf(kvs)));
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.equal(node.summary?.metadataKeys, kvs.length);
    assert.equal(node.summary?.referenceCheck, "@huggingface/gguf");
  });

  it("a bool that is neither 0 nor 1 is invalid", async () => {
    const node = await scan(bytesSource(gguf([...BASE_KVS, raw("t.bool", 7, [2])])));
    assert.equal(node.verdict, "unscannable");
    assert.match(node.findings[0]?.message ?? "", /t\.bool is a bool with value 2/);
    assert.equal(node.findings[0]?.code, "GGUF_INVALID");
  });
});

describe("GGUF arrays of numbers", () => {
  const i32Array = (count: number, elements: number) =>
    raw("t.ints", 9, [5, 0, 0, 0, ...le64(count), ...new Array(elements * 4).fill(7)]);

  it("are skipped by their size, and the walk goes on after them", () => {
    const header = walkGgufHeader(
      bytesSource(gguf([i32Array(3, 3), ...BASE_KVS, raw("t.after", 4, [9, 0, 0, 0])])),
    );
    assert.deepEqual(header.metadata.get("t.ints"), {
      type: "array",
      elementType: "int32",
      length: 3,
    });
    assert.deepEqual(header.metadata.get("t.after"), { type: "number", value: 9 });
    assert.equal(header.tensors.length, 2);
  });

  it("a count that does not fit the file is invalid, not read past the end", async () => {
    const node = await scan(bytesSource(gguf([...BASE_KVS, i32Array(1 << 20, 1)], [])));
    assert.equal(node.verdict, "unscannable");
    assert.match(node.findings[0]?.message ?? "", /declares 1048576 elements, more than fit/);
  });

  it("string arrays are kept only when asked for", () => {
    const bytes = gguf();
    const kept = walkGgufHeader(bytesSource(bytes), {
      keepStringArrays: new Set(["tokenizer.ggml.tokens"]),
    });
    assert.deepEqual(kept.metadata.get("tokenizer.ggml.tokens"), {
      type: "array",
      elementType: "string",
      length: 3,
      strings: ["<s>", "</s>", "a"],
    });
    const plain = walkGgufHeader(bytesSource(bytes));
    assert.equal(
      (plain.metadata.get("tokenizer.ggml.tokens") as { strings?: unknown }).strings,
      undefined,
    );
  });
});

describe("GGUF header checks", () => {
  it("a wrong magic is a format error at offset 0", () => {
    const bytes = gguf();
    bytes[0] = "X".charCodeAt(0);
    assert.throws(
      () => walkGgufHeader(bytesSource(bytes)),
      (e: unknown) => e instanceof GgufFormatError && /bad magic/.test(e.message) && e.offset === 0,
    );
  });

  it("an alignment given as a string is not a power of two", async () => {
    const node = await scan(
      bytesSource(gguf([...BASE_KVS, { key: "general.alignment", type: "string", value: "32" }])),
    );
    assert.equal(node.verdict, "unscannable");
    assert.match(node.findings[0]?.message ?? "", /general\.alignment is not a power of two/);
  });

  it("an alignment of 64 moves the data section to a 64-byte boundary", () => {
    const header = walkGgufHeader(
      bytesSource(
        gguf(
          [...BASE_KVS, { key: "general.alignment", type: "u32", value: 64 }],
          [
            { name: "a", shape: [4], type: 0, offset: 0 },
            { name: "b", shape: [2, 2], type: 0, offset: 64 },
          ],
          { alignment: 64, dataBytes: 128 },
        ),
      ),
    );
    assert.equal(header.alignment, 64);
    assert.equal(header.dataOffset % 64, 0);
  });

  it("an unknown file type is named by its number in the summary", async () => {
    const kvs: Kv[] = [
      { key: "general.architecture", type: "string", value: "llama" },
      { key: "general.file_type", type: "u32", value: 9999 },
      { key: "general.name", type: "string", value: "tiny" },
    ];
    const node = await scan(bytesSource(gguf(kvs)));
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.equal(node.summary?.quantization, "file type 9999");
    assert.equal(node.summary?.name, "tiny");
  });
});

/**
 * A source of `size` bytes: `head` at 0, `tail` at `size - tail.length`, zeros between, never
 * held in memory (the scanner reads headers, not whole files).
 */
function sparse(head: Uint8Array, zeros: number, tail: Uint8Array): ByteSource {
  const size = head.length + zeros + tail.length;
  const tailAt = head.length + zeros;
  return {
    size,
    read(offset, length) {
      const end = Math.min(size, offset + length);
      const out = new Uint8Array(Math.max(0, end - offset));
      for (let i = offset; i < end; i++) {
        if (i < head.length) out[i - offset] = head[i] as number;
        else if (i >= tailAt) out[i - offset] = tail[i - tailAt] as number;
      }
      return out;
    },
  };
}

describe("GGUF headers larger than the second reader holds", () => {
  it("a 41 MB chat template is too large to check and the summary says one reader read it", async () => {
    const length = REFERENCE_MAX_HEADER + 1_000_000;
    const key = "tokenizer.chat_template";
    const head = Uint8Array.from([
      ..."GGUF".split("").map((c) => c.charCodeAt(0)),
      3,
      0,
      0,
      0,
      ...le64(1),
      ...le64(2),
      ...kvBytes({ key: "general.architecture", type: "string", value: "llama" }),
      // The template's key, type (string) and length; its bytes are the zeros that follow.
      ...kvBytes({ key, type: "raw", typeId: 8, bytes: le64(length) }),
    ]);
    const tensor = tensorInfo({ name: "a", shape: [4], type: 0, offset: 0 });
    const headerEnd = head.length + length + tensor.length;
    const pad = (32 - (headerEnd % 32)) % 32;
    const tail = Uint8Array.from([...tensor, ...new Array(pad + 16).fill(0)]);
    const node = await scan(sparse(head, length, tail));
    assert.equal(node.verdict, "unscannable", JSON.stringify(node.findings));
    const budget = node.findings.find((f) => f.code === "BUDGET_EXCEEDED");
    assert.match(budget?.message ?? "", new RegExp(`${key} is ${length} bytes, too large`));
    assert.match(String(node.summary?.referenceCheck), /^skipped: the \d+-byte header exceeds/);
    assert.deepEqual(node.summary?.chatTemplates, [key]);
  });
});
