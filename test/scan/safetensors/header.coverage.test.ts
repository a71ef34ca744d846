/**
 * Safetensors header cases the main tests do not reach: every JSON escape the reference (serde)
 * reader accepts, malformed numbers and literals, tensor entries missing their shape, overlapping
 * tensors named in the finding, and the metadata summary's bounds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { parseStrictJson, StrictJsonError } from "../../../src/scan/safetensors/strict-json.js";
import { bytesSource } from "../../../src/scan/source.js";
import { emptyPolicy } from "../protobuf/fixture-manifest.js";

function build(header: string, dataLength: number): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + dataLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

const scan = (header: string, dataLength: number): Promise<ScanNode> =>
  scanSource(bytesSource(build(header, dataLength)), {
    policy: emptyPolicy,
    path: "model.safetensors",
  });

const messages = (node: ScanNode): string => node.findings.map((f) => f.message).join("\n");

describe("strict JSON reader", () => {
  it("decodes every escape JSON defines", () => {
    const { value } = parseStrictJson(String.raw`["\"\\\/\b\f\n\r\t\u00e9\uD83D\uDE00"]`);
    assert.deepEqual(value, ['"\\/\b\f\n\r\té😀']);
  });

  it("reads false, true and null", () => {
    const { value } = parseStrictJson("[false,true,null]");
    assert.deepEqual(value, [false, true, null]);
  });

  const rejects = (text: string, message: RegExp) =>
    assert.throws(
      () => parseStrictJson(text),
      (e: unknown) => e instanceof StrictJsonError && message.test(e.message),
      text,
    );

  it("rejects what serde rejects, each with its reason", () => {
    rejects('["abc', /unterminated string/);
    rejects(String.raw`["\u12G4"]`, /bad \\u escape/);
    rejects("[-]", /bad number/);
    rejects(`[${"1".repeat(401)}]`, /number too long/);
    rejects('{"a":1 "b":2}', /expected ',' or '}'/);
    rejects("[fals]", /false|unexpected/);
    rejects("[", /unexpected end/);
    rejects("[#]", /unexpected character/);
  });
});

describe("safetensors header checks", () => {
  it("a tensor without a shape is named", async () => {
    const node = await scan(JSON.stringify({ a: { dtype: "F32", data_offsets: [0, 4] } }), 4);
    assert.equal(node.verdict, "unscannable");
    assert.match(messages(node), /tensor "a" has no shape array/);
  });

  it("an unknown dtype given as a number or an object is previewed, not dumped", async () => {
    const node = await scan(
      JSON.stringify({
        a: { dtype: 7, shape: [1], data_offsets: [0, 4] },
        b: { dtype: { x: 1 }, shape: [1], data_offsets: [4, 8] },
        c: { dtype: [1], shape: [1], data_offsets: [8, 12] },
        d: { dtype: null, shape: [1], data_offsets: [12, 16] },
      }),
      16,
    );
    assert.equal(node.verdict, "unscannable");
    const text = messages(node);
    assert.match(text, /tensor "a" has an unknown dtype "7"/);
    assert.match(text, /tensor "b" has an unknown dtype "\{…\}"/);
    assert.match(text, /tensor "c" has an unknown dtype "\[…\]"/);
    assert.match(text, /tensor "d" has an unknown dtype null/);
  });

  it("two tensors over the same bytes overlap, named by the earlier one", async () => {
    const node = await scan(
      JSON.stringify({
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
        c: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
      }),
      8,
    );
    assert.equal(node.verdict, "unscannable");
    const text = messages(node);
    // Sorted by begin then end: b [0,4), a [0,8), c [4,8).
    assert.match(text, /tensor "a" overlaps "b"/);
    assert.match(text, /tensor "c" overlaps "a"/);
  });

  it("null metadata is no metadata, as in the reference loader", async () => {
    const node = await scan(
      JSON.stringify({
        __metadata__: null,
        a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      }),
      4,
    );
    assert.equal(node.verdict, "clean", messages(node));
    assert.equal(node.summary?.metadata, undefined);
  });

  it("the summary bounds metadata to 32 keys of 200 characters and counts the rest", async () => {
    const metadata: Record<string, string> = {};
    for (let i = 0; i < 40; i++) metadata[`k${String(i).padStart(2, "0")}`] = "v".repeat(300);
    const node = await scan(
      JSON.stringify({
        __metadata__: metadata,
        a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      }),
      4,
    );
    assert.equal(node.verdict, "clean", messages(node));
    const shown = node.summary?.metadata as Record<string, string>;
    assert.equal(Object.keys(shown).length, 32);
    assert.equal(shown.k00, `${"v".repeat(200)}…`);
    assert.equal(node.summary?.metadataKeys, 40);
  });
});
