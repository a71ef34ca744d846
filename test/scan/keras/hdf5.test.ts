/**
 * The HDF5 scanner through the dispatcher, on the committed fixtures (fixtures/keras, made with
 * h5py by fixtures/gen/keras_templates.py), plus budget and mutation cases.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { Budget } from "../../../src/scan/budget.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { findHdf5Signature, readHdf5Contents } from "../../../src/scan/keras/hdf5.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";

const DIR = join(import.meta.dirname, "..", "..", "..", "fixtures", "keras");
const policy = loadScanPolicy();
const fixture = (p: string) => new Uint8Array(readFileSync(join(DIR, p)));

async function scan(bytes: Uint8Array, path = "model.h5", budget?: Budget): Promise<ScanNode> {
  return scanSource(bytesSource(bytes), { policy, path, ...(budget ? { budget } : {}) });
}

describe("HDF5 / legacy Keras .h5", () => {
  test("benign Keras 2 model: clean, with a summary of the architecture", async () => {
    const node = await scan(fixture("benign/sequential-keras2.h5"));
    assert.equal(node.format, "hdf5");
    assert.equal(node.verdict, "clean");
    assert.equal(node.summary?.keras, true);
    assert.equal(node.summary?.kerasVersion, "2.4.0");
    const model = node.summary?.model as { modelClass: string; classes: Record<string, number> };
    assert.equal(model.modelClass, "Sequential");
    assert.equal(model.classes.Dense, 2);
  });

  test("model_config and training_config are read as the loader reads them", async () => {
    const c = await readHdf5Contents(bytesSource(fixture("benign/sequential-keras2.h5")), {
      maxAttributeBytes: 1 << 20,
      maxReadBytes: 1 << 20,
    });
    assert.equal(JSON.parse(c.modelConfig ?? "").class_name, "Sequential");
    assert.equal(JSON.parse(c.trainingConfig ?? "").optimizer_config.class_name, "Adam");
    assert.deepEqual(c.keys, ["model_weights"]);
  });

  test("plain HDF5 data (no model_config): clean, keras false, attributes listed", async () => {
    const node = await scan(fixture("benign/plain-data.h5"));
    assert.equal(node.verdict, "clean");
    assert.equal(node.summary?.keras, false);
    assert.deepEqual(node.summary?.rootKeys, ["meta", "readings"]);
  });

  test("K1: Lambda in model_config → malicious KERAS_LAMBDA naming the layer", async () => {
    const node = await scan(fixture("malicious/lambda-keras2.h5"));
    assert.equal(node.verdict, "malicious");
    const f = node.findings.find((x) => x.code === "KERAS_LAMBDA");
    assert.equal(f?.evidence?.layer, "evil");
    assert.match(f?.message ?? "", /^model_config: /);
  });

  test("K3 in training_config → malicious", async () => {
    const node = await scan(fixture("malicious/training-config-builtins.h5"));
    assert.equal(node.verdict, "malicious");
    assert.match(node.findings[0]?.message ?? "", /^training_config: /);
  });

  const hostile: Array<[string, string, string]> = [
    ["truncated file", "hostile/truncated.h5", "UNSCANNABLE"],
    ["signature then garbage", "hostile/magic-then-garbage.h5", "UNSCANNABLE"],
    ["model_config nested 20000 deep", "hostile/deep-config.h5", "KERAS_INVALID"],
    ["model_config cut before its end", "hostile/huge-unterminated-config.h5", "KERAS_INVALID"],
    ["model_config not JSON", "hostile/model-config-not-json.h5", "KERAS_INVALID"],
    ["model_config an integer", "hostile/model-config-integer.h5", "UNSCANNABLE"],
  ];
  for (const [name, path, code] of hostile) {
    test(`hostile: ${name} → unscannable (${code})`, async () => {
      const node = await scan(fixture(path));
      assert.equal(node.verdict, "unscannable");
      assert.ok(
        node.findings.some((f) => f.code === code),
        JSON.stringify(node.findings),
      );
    });
  }

  test("hostile: the truncation is named in the message (innermost HDF5 error)", async () => {
    const node = await scan(fixture("hostile/truncated.h5"));
    assert.match(node.findings[0]?.message ?? "", /truncated file: eof = \d+/);
  });

  test("a file far larger than the in-memory budget is read lazily: only its metadata", async () => {
    // The Lambda model followed by 4 GiB that exist only as a size: HDF5 ignores bytes past its
    // end-of-allocation, so this opens like the fixture, and any whole-file copy would fail.
    const bytes = fixture("malicious/lambda-keras2.h5");
    const size = bytes.length + 4 * 2 ** 30;
    let read = 0;
    const source: ByteSource = {
      size,
      read(offset, length) {
        const end = Math.min(size, offset + length);
        const out = new Uint8Array(Math.max(0, end - offset));
        if (offset < bytes.length) out.set(bytes.subarray(offset, Math.min(end, bytes.length)));
        read += out.length;
        return out;
      },
    };
    const node = await scanSource(source, {
      policy,
      path: "tf_model.h5",
      budget: new Budget({ maxInMemoryBytes: 1 << 20 }),
    });
    assert.equal(node.verdict, "malicious", JSON.stringify(node.findings));
    assert.ok(node.findings.some((f) => f.code === "KERAS_LAMBDA"));
    assert.ok(read < 1 << 20, `read ${read} bytes of ${size}`);
  });

  test("hostile: HDF5 reading more than the budget → BUDGET_EXCEEDED", async () => {
    const node = await scan(
      fixture("benign/sequential-keras2.h5"),
      "big.h5",
      new Budget({ maxInMemoryBytes: 1000 }),
    );
    assert.equal(node.verdict, "unscannable");
    assert.deepEqual(
      node.findings.map((f) => [f.code, f.expected]),
      [["BUDGET_EXCEEDED", 1000]],
    );
    assert.match(node.findings[0]?.message ?? "", /read more than 1000 bytes/);
  });

  test("hostile: a source that fails mid-read → unscannable naming the failure", async () => {
    const bytes = fixture("malicious/lambda-keras2.h5");
    const source: ByteSource = {
      size: bytes.length,
      read(offset, length) {
        if (offset + length > 2048) throw new Error("disk went away");
        return bytes.subarray(offset, offset + length);
      },
    };
    const node = await scanSource(source, { policy, path: "model.h5" });
    assert.equal(node.verdict, "unscannable");
    assert.match(node.findings[0]?.message ?? "", /disk went away/);
  });

  test("hostile: an attribute larger than the budget is refused", async () => {
    await assert.rejects(
      readHdf5Contents(bytesSource(fixture("hostile/huge-unterminated-config.h5")), {
        maxAttributeBytes: 1000,
        maxReadBytes: 1 << 20,
      }),
      /too large/,
    );
  });

  test("the in-memory file system is cleaned up and reusable after errors", async () => {
    await scan(fixture("hostile/truncated.h5"));
    await scan(fixture("hostile/magic-then-garbage.h5"));
    const node = await scan(fixture("malicious/lambda-keras2.h5"));
    assert.equal(node.verdict, "malicious");
  });

  test("seeded mutations of a Keras .h5 end in a verdict, never a crash, and Lambda files never come out clean", async () => {
    const base = fixture("malicious/lambda-keras2.h5");
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 60; i++) {
      const m = base.slice();
      for (let k = 0; k < 1 + rand(8); k++) m[rand(m.length)] = rand(256);
      const node = await scan(m.subarray(0, rand(5) === 0 ? 8 + rand(m.length) : m.length));
      assert.ok(
        ["malicious", "unscannable", "suspicious"].includes(node.verdict),
        `${i}: ${node.verdict} ${JSON.stringify(node.findings)}`,
      );
    }
  });
});

describe("HDF5 behind a user block", () => {
  test("the signature is found at 0 and at 512 · 2^k, nowhere else", () => {
    const sig = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
    const at = (offset: number, size = 40_000) => {
      const b = new Uint8Array(size);
      b.set(sig, offset);
      return findHdf5Signature(bytesSource(b));
    };
    assert.equal(at(0), 0);
    assert.equal(at(512), 512);
    assert.equal(at(16384), 16384);
    assert.equal(at(700), undefined);
    assert.equal(findHdf5Signature(bytesSource(new Uint8Array(10))), undefined);
  });

  test("a Keras .h5 behind a JSON-looking user block is detected as JSON and still scanned as HDF5", async () => {
    const node = await scan(fixture("malicious/lambda-behind-json-userblock.h5"), "notes.json");
    assert.equal(node.format, "json");
    assert.equal(node.verdict, "malicious");
    const mismatch = node.findings.find((f) => f.code === "FORMAT_MISMATCH");
    assert.equal(mismatch?.offset, 16384);
    assert.ok(node.findings.some((f) => f.code === "KERAS_LAMBDA"));
  });

  test("the same behind Markdown text", async () => {
    const node = await scan(fixture("malicious/lambda-behind-text-userblock.h5"), "README.md");
    assert.equal(node.format, "text");
    assert.equal(node.verdict, "malicious");
  });
});

describe(".keras archives (zip scanner → config.json through the JSON scanner, weights through HDF5)", () => {
  test("benign .keras is clean", async () => {
    assert.equal((await scan(fixture("benign/sequential.keras"), "m.keras")).verdict, "clean");
  });
  test("Lambda in config.json → malicious", async () => {
    const node = await scan(fixture("malicious/lambda.keras"), "m.keras");
    assert.equal(node.verdict, "malicious");
  });
});
