/**
 * Hostile GGUF headers that are well-formed but huge: counts past modelvet's limits end in
 * BUDGET_EXCEEDED without walking, and long arrays are checked a block at a time.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { MAX_METADATA_KEYS, MAX_TENSORS } from "../../../src/scan/gguf/header.js";
import { scanGguf } from "../../../src/scan/gguf/scan.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";
import { directContext } from "../protobuf/fixture-manifest.js";
import { gguf, gstr, type Kv, le64 } from "./writer.js";

const scan = (source: ByteSource): Promise<ScanNode> =>
  scanGguf(source, directContext("model.gguf"), { format: "gguf" });

/** `head` followed by zeros up to `size`, without holding them; counts reads. */
function sparse(head: Uint8Array, size: number): ByteSource & { reads: number } {
  const src = {
    size,
    reads: 0,
    read(offset: number, length: number): Uint8Array {
      src.reads += 1;
      const out = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
      if (offset < head.length) out.set(head.subarray(offset, offset + out.length));
      return out;
    },
  };
  return src;
}

function counts(tensors: number, kvs: number): Uint8Array {
  return Uint8Array.from(
    [..."GGUF"].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0], le64(tensors), le64(kvs)),
  );
}

/** A file whose only metadata is one array of `count` elements of type `element`. */
function arrayFile(element: number, count: number, body: Uint8Array): Uint8Array {
  const head = [...counts(0, 1), ...gstr("k"), 9, 0, 0, 0, element, 0, 0, 0, ...le64(count)];
  const out = new Uint8Array(Math.ceil((head.length + body.length) / 32) * 32);
  out.set(head);
  out.set(body, head.length);
  return out;
}

describe("GGUF limits", () => {
  it("a metadata count over the limit is BUDGET_EXCEEDED without walking the entries", async () => {
    const source = sparse(counts(0, MAX_METADATA_KEYS + 1), 200 * 1024 * 1024);
    const node = await scan(source);
    assert.equal(node.verdict, "unscannable");
    const f = node.findings.find((x) => x.code === "BUDGET_EXCEEDED");
    assert.ok(f && /limit of 65536 keys/.test(f.message), JSON.stringify(node.findings));
    assert.ok(source.reads <= 2, `${source.reads} reads`);
  });

  it("a tensor count over the limit is BUDGET_EXCEEDED without walking the infos", async () => {
    const source = sparse(counts(MAX_TENSORS + 1, 0), 200 * 1024 * 1024);
    const node = await scan(source);
    assert.equal(node.verdict, "unscannable");
    const f = node.findings.find((x) => x.code === "BUDGET_EXCEEDED");
    assert.ok(f && /limit of 262144 tensors/.test(f.message), JSON.stringify(node.findings));
    assert.ok(source.reads <= 2, `${source.reads} reads`);
  });

  it("counts at the limit are walked (and these zeros are then invalid, not over budget)", async () => {
    const node = await scan(sparse(counts(0, MAX_METADATA_KEYS), 2 * 1024 * 1024));
    assert.equal(node.verdict, "unscannable");
    assert.ok(!node.findings.some((x) => x.code === "BUDGET_EXCEEDED"));
    assert.ok(node.findings.some((x) => x.code === "GGUF_INVALID"));
  });

  it("a long bool array is checked in blocks: all 0/1 is clean, a 2 deep inside is caught at its offset", async () => {
    const n = 300_000;
    const bools = new Uint8Array(n).fill(1);
    assert.equal((await scan(bytesSource(arrayFile(7, n, bools)))).verdict, "clean");
    const bad = 200_001;
    bools[bad] = 2;
    const file = arrayFile(7, n, bools);
    const node = await scan(bytesSource(file));
    assert.equal(node.verdict, "unscannable");
    const f = node.findings.find((x) => x.code === "GGUF_INVALID");
    assert.ok(f && /bool with value 2/.test(f.message), JSON.stringify(node.findings));
    // The array body starts after the counts (24), the key (8 + 1), the types (4 + 4), the length (8).
    assert.equal(f.offset, 49 + bad);
  });

  it("a string array of empty strings is clean; a length with high bits set is invalid", async () => {
    const kvs: Kv[] = [{ key: "tokenizer.ggml.tokens", type: "strings", value: ["", "", "a", ""] }];
    assert.equal((await scan(bytesSource(gguf(kvs, [])))).verdict, "clean");
    const body = Uint8Array.from([...le64(0), ...le64(2n ** 53n), 0]);
    const node = await scan(bytesSource(arrayFile(8, 2, body)));
    assert.equal(node.verdict, "unscannable");
    assert.ok(
      node.findings.some(
        (x) => x.code === "GGUF_INVALID" && /declares 9007199254740992 bytes/.test(x.message),
      ),
      JSON.stringify(node.findings),
    );
  });
});
