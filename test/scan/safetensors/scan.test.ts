import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import type { ScanPolicy } from "../../../src/scan/policy.js";
import { validateSafetensors } from "../../../src/scan/safetensors/header.js";
import { parseStrictJson } from "../../../src/scan/safetensors/strict-json.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";

// Safetensors scanning uses no policy data; an empty pickle policy satisfies the type.
const policy = { pickle: { safe: new Set(), dangerous: new Map() } } as unknown as ScanPolicy;

/** Builds a safetensors file from a header text (no padding) and a data length. */
function build(header: string, dataLength: number, declared?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, declared ?? BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

async function scan(bytes: Uint8Array | ByteSource): Promise<ScanNode> {
  const source = bytes instanceof Uint8Array ? bytesSource(bytes) : bytes;
  return scanSource(source, { policy, path: "model.safetensors" });
}

const VALID = JSON.stringify({
  __metadata__: { format: "pt" },
  a: { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] },
  b: { dtype: "BF16", shape: [4], data_offsets: [24, 32] },
  c: { dtype: "U8", shape: [], data_offsets: [32, 33] },
  d: { dtype: "F4", shape: [2], data_offsets: [33, 34] },
});

describe("safetensors scanner", () => {
  it("reports a valid file as clean with a summary by dtype", async () => {
    const node = await scan(build(VALID, 34));
    assert.equal(node.format, "safetensors");
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.equal(node.summary?.tensors, 4);
    assert.equal(node.summary?.parameters, 6 + 4 + 1 + 2);
    assert.deepEqual(node.summary?.parametersByDtype, { F32: 6, BF16: 4, U8: 1, F4: 2 });
    assert.deepEqual(node.summary?.metadata, { format: "pt" });
  });

  it("accepts an empty header and header padding with spaces", async () => {
    assert.equal((await scan(build("{}", 0))).verdict, "clean");
    assert.equal((await scan(build(`${VALID}      `, 34))).verdict, "clean");
  });

  it("reads only the header of a 2 GB file", async () => {
    const header = JSON.stringify({
      w: { dtype: "F32", shape: [536870912], data_offsets: [0, 2147483648] },
    });
    const head = build(header, 0);
    const size = head.length + 2147483648;
    const reads: Array<[number, number]> = [];
    const huge: ByteSource = {
      size,
      read(offset, length) {
        reads.push([offset, length]);
        if (offset >= head.length) throw new Error(`tensor data read at ${offset}`);
        return head.subarray(offset, Math.min(head.length, offset + length));
      },
    };
    const node = await scan(huge);
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.equal(node.summary?.parameters, 536870912);
    const bytesRead = reads.reduce((n, [, len]) => n + Math.min(len, head.length), 0);
    assert.ok(bytesRead < 64 * 1024, `read ${bytesRead} bytes`);
  });

  // Hostile catalogue: each case must end in SAFETENSORS_INVALID (unscannable), never clean/throw.
  const t = (dtype: string, shape: number[], offsets: unknown) =>
    `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":${JSON.stringify(offsets)}}`;
  const cases: Array<{ name: string; bytes: () => Uint8Array; expect: RegExp }> = [
    { name: "header longer than the file", bytes: () => build("{}", 0, 1000n), expect: /longer/ },
    { name: "header length 2^64-1", bytes: () => build("{}", 0, 2n ** 64n - 1n), expect: /limit/ },
    {
      name: "header length over the cap",
      bytes: () => build("{}", 0, 200_000_000n),
      expect: /limit/,
    },
    { name: "header not JSON", bytes: () => build("{nope", 0), expect: /not valid JSON/ },
    {
      name: "header not UTF-8",
      bytes: () => build('{"\uFFFD":1}', 0).map((b, i) => (i === 10 ? 0xff : b)),
      expect: /UTF-8/,
    },
    { name: "header is an array", bytes: () => build("[1]", 0), expect: /start with/ },
    { name: "trailing bytes after JSON", bytes: () => build("{} x", 0), expect: /trailing/ },
    {
      name: "duplicate tensor name",
      bytes: () => build(`{"a":${t("U8", [1], [0, 1])},"a":${t("U8", [1], [0, 1])}}`, 1),
      expect: /duplicate key "a"/,
    },
    {
      name: "duplicate key inside a tensor",
      bytes: () => build(`{"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}`, 1),
      expect: /duplicate key "dtype"/,
    },
    {
      name: "duplicate metadata key",
      bytes: () => build(`{"__metadata__":{"k":"1","k":"2"}}`, 0),
      expect: /duplicate key "k"/,
    },
    {
      name: "non-string metadata value",
      bytes: () => build(`{"__metadata__":{"k":1}}`, 0),
      expect: /not a string/,
    },
    {
      name: "metadata not an object",
      bytes: () => build(`{"__metadata__":"x"}`, 0),
      expect: /__metadata__/,
    },
    {
      name: "unknown dtype",
      bytes: () => build(`{"a":${t("Q4", [1], [0, 1])}}`, 1),
      expect: /unknown dtype/,
    },
    {
      name: "negative shape",
      bytes: () => build(`{"a":${t("U8", [-1], [0, 1])}}`, 1),
      expect: /shape dimension/,
    },
    {
      name: "float shape",
      bytes: () => build(`{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}`, 1),
      expect: /shape dimension/,
    },
    {
      name: "shape beyond 2^53",
      bytes: () => build(`{"a":{"dtype":"U8","shape":[9007199254740993],"data_offsets":[0,1]}}`, 1),
      expect: /shape dimension/,
    },
    {
      name: "begin after end",
      bytes: () => build(`{"a":${t("U8", [0], [1, 0])}}`, 1),
      expect: /begin/,
    },
    {
      name: "one offset only",
      bytes: () => build(`{"a":${t("U8", [1], [0])}}`, 1),
      expect: /data_offsets/,
    },
    {
      name: "dtype × shape ≠ length",
      bytes: () => build(`{"a":${t("F32", [2], [0, 4])}}`, 4),
      expect: /span/,
    },
    {
      name: "sub-byte dtype not filling bytes",
      bytes: () => build(`{"a":${t("F4", [3], [0, 2])}}`, 2),
      expect: /whole bytes/,
    },
    {
      name: "overlapping tensors",
      bytes: () => build(`{"a":${t("U8", [4], [0, 4])},"b":${t("U8", [4], [2, 6])}}`, 6),
      expect: /overlaps/,
    },
    {
      name: "gap between tensors",
      bytes: () => build(`{"a":${t("U8", [2], [0, 2])},"b":${t("U8", [2], [4, 6])}}`, 6),
      expect: /gap/,
    },
    {
      name: "slack after the last tensor",
      bytes: () => build(`{"a":${t("U8", [2], [0, 2])}}`, 5),
      expect: /not covered/,
    },
    {
      name: "tensor past the buffer",
      bytes: () => build(`{"a":${t("U8", [8], [0, 8])}}`, 4),
      expect: /past the/,
    },
    {
      name: "unexpected tensor key",
      bytes: () => build(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, 1),
      expect: /unexpected key/,
    },
    { name: "tensor not an object", bytes: () => build(`{"a":[1]}`, 0), expect: /not an object/ },
    {
      name: "deep nesting",
      bytes: () => build(`{"__metadata__":${"[".repeat(5000)}${"]".repeat(5000)}}`, 0),
      expect: /nesting/,
    },
    { name: "truncated header", bytes: () => build(VALID, 34).subarray(0, 40), expect: /longer/ },
    { name: "seven bytes", bytes: () => new Uint8Array([1, 0, 0, 0, 0, 0, 0]), expect: /./ },
  ];
  for (const c of cases) {
    it(`hostile: ${c.name}`, async () => {
      const bytes = c.bytes();
      const node = await scan(bytes);
      assert.notEqual(node.verdict, "clean");
      // Files that detection still calls safetensors must carry the specific finding.
      if (node.format === "safetensors") {
        const hit = node.findings.find(
          (f) => f.code === "SAFETENSORS_INVALID" && c.expect.test(f.message),
        );
        assert.ok(hit, JSON.stringify(node.findings));
        assert.equal(hit.verdict, "unscannable");
      }
      // The validator itself must flag it, whatever detection says.
      assert.ok(
        validateSafetensors(bytesSource(bytes)).violations.some((v) => c.expect.test(v.message)),
      );
    });
  }
});

describe("strict JSON", () => {
  it("keeps big integers exact and objects in order", () => {
    const { value, duplicates } = parseStrictJson(
      '{"b":18446744073709551615,"a":[true,null,"\\u00e9"]}',
    );
    assert.deepEqual(duplicates, []);
    assert.ok(
      typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        value.kind === "object",
    );
    assert.deepEqual([...value.entries.keys()], ["b", "a"]);
    assert.deepEqual(value.entries.get("b"), { kind: "number", raw: "18446744073709551615" });
    assert.deepEqual(value.entries.get("a"), [true, null, "é"]);
  });
  it("treats __proto__ as an ordinary key", () => {
    const { value } = parseStrictJson('{"__proto__":{"x":1}}');
    assert.ok(
      typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        value.kind === "object",
    );
    assert.equal(value.entries.size, 1);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
  for (const bad of ['{"a":1,}', "[01]", '"\\x"', "{'a':1}", '{"a" 1}', "", "tru", '"a\nb"']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => parseStrictJson(bad)));
  }
});
