import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { ScanError } from "../../../src/core/errors.js";
import { isTorchLegacyStart } from "../../../src/scan/containers/legacy-detect.js";
import { decodeLiteralPickle } from "../../../src/scan/containers/literal-pickle.js";
import { storageElementSize } from "../../../src/scan/containers/torch-legacy.js";
import { detectFormat } from "../../../src/scan/detect.js";
import { bytesSource } from "../../../src/scan/source.js";
import {
  cat,
  codesOf,
  EVIL,
  keysPickle,
  LEGACY_MAGIC_PICKLE,
  le,
  legacyHead,
  objectPickle,
  PROTOCOL_PICKLE,
  scan,
  show,
  ustr,
  virtualSource,
} from "./helpers.js";

const FLOAT = { key: "0", type: "torch.FloatStorage", numel: 4 };
const floats = (n: number) => new Uint8Array(4 * n);

describe("literal pickle decoder", () => {
  const decode = (b: Uint8Array) => decodeLiteralPickle(bytesSource(b), 0);

  it("decodes lists of keys, ints, tuples with globals, dicts and memo references", () => {
    assert.deepEqual(decode(keysPickle(["1", "22"])).value, ["1", "22"]);
    assert.equal(decode(cat("\x80\x02K\x07.")).value, 7);
    assert.equal(decode(cat("\x80\x02J", le(-5, 4), ".")).value, -5);
    assert.equal(decode(cat("\x80\x02\x8a\x09", le(1n << 64n, 8), [1], ".")).value, 1n << 64n);
    assert.deepEqual(
      decode(cat("\x80\x02(", ustr("k"), ustr("cpu"), "ctorch\nFloatStorage\nt.")).value,
      ["k", "cpu", { global: "torch.FloatStorage" }],
    );
    assert.deepEqual(decode(cat("\x80\x02", ustr("a"), "q\x00h\x00\x86.")).value, ["a", "a"]);
    assert.deepEqual(decode(cat("I1001\n.")).value, 1001);
    assert.deepEqual(decode(cat("(S'a'\nS'b'\nl.")).value, ["a", "b"]);
  });

  it("rejects anything that is not plain data, and hostile streams, with a typed error", () => {
    for (const bad of [
      EVIL, // REDUCE
      cat("\x80\x02](", ustr("a")), // truncated, no STOP
      cat("\x80\x02h\x05."), // missing memo key
      cat("\x80\x02a."), // APPEND on empty stack
      cat("\x80\x02X", le(0x7fffffff, 4)), // huge length
      cat("\x80\x02Q."), // BINPERSID
      cat("I", "9".repeat(600)), // line without newline in reach
    ]) {
      assert.throws(() => decode(bad), ScanError);
    }
  });
});

describe("storage element sizes", () => {
  it("maps the legacy storage classes and refuses others", () => {
    assert.equal(storageElementSize("torch.FloatStorage"), 4);
    assert.equal(storageElementSize("torch.cuda.HalfStorage"), 2);
    assert.equal(storageElementSize("torch.LongStorage"), 8);
    assert.equal(storageElementSize("os.system"), undefined);
    assert.equal(storageElementSize("torch.FooStorage"), undefined);
  });
});

describe("legacy stacked checkpoints", () => {
  it("a well-formed stack is clean and lists its five pickles", async () => {
    const node = await scan(cat(legacyHead({ storages: [FLOAT] }), le(4, 8), floats(4)), "m.pt");
    assert.equal(node.format, "pytorch-legacy");
    assert.equal(node.verdict, "clean", show(node));
    assert.equal(node.members?.length, 5);
    assert.deepEqual(node.summary, { pickles: 5, storages: 1, storageBytes: 16 });
  });

  it("several storages of different element sizes are walked by their counts", async () => {
    const storages = [
      { key: "1", type: "torch.LongStorage", numel: 2 },
      { key: "2", type: "torch.HalfStorage", numel: 3 },
    ];
    const bytes = cat(
      legacyHead({ storages }),
      le(2, 8),
      new Uint8Array(16),
      le(3, 8),
      new Uint8Array(6),
    );
    const node = await scan(bytes);
    assert.equal(node.verdict, "clean", show(node));
    assert.equal(node.summary?.storageBytes, 22);
  });

  it("a 2 GiB storage is skipped, not read (virtual file, bounded reads)", async () => {
    const numel = 2 ** 29;
    const head = cat(legacyHead({ storages: [{ ...FLOAT, numel }] }), le(numel, 8));
    const source = virtualSource(head, numel * 4);
    const node = await scan(source);
    assert.equal(node.verdict, "clean", show(node));
    assert.ok(
      source.bytesRead < 16 * 1024 * 1024,
      `read ${source.bytesRead} bytes of ${source.size}`,
    );
  });

  it("C7: a payload in any pickle of the stack is found", async () => {
    const stacks = [
      legacyHead({ storages: [], object: EVIL }),
      legacyHead({ storages: [], protocol: EVIL }),
      cat(legacyHead({ storages: [], keys: EVIL })),
    ];
    for (const bytes of stacks) {
      const node = await scan(bytes);
      assert.equal(node.verdict, "malicious", show(node));
      assert.ok(codesOf(node).has("PICKLE_DANGEROUS_GLOBAL"));
    }
  });

  it("truncation inside a pickle is unscannable and keeps what was found before", async () => {
    const head = legacyHead({ storages: [FLOAT], object: cat(EVIL.subarray(0, -1), "(") });
    const node = await scan(head.subarray(0, head.length - 20));
    assert.equal(node.verdict, "malicious", show(node)); // the payload ran before the stream broke
    assert.ok(codesOf(node).has("TORCH_MALFORMED"));
    const clean = legacyHead({ storages: [FLOAT] });
    const cut = await scan(clean.subarray(0, clean.length - 3));
    assert.equal(cut.verdict, "unscannable", show(cut));
  });

  it("a storage count past the end of the file is unscannable", async () => {
    const node = await scan(cat(legacyHead({ storages: [FLOAT] }), le(1n << 40n, 8), floats(4)));
    assert.equal(node.verdict, "unscannable", show(node));
    assert.ok(codesOf(node).has("TORCH_MALFORMED"));
  });

  it("more storage keys than the member budget is a budget finding", async () => {
    const keys = Array.from({ length: 20 }, (_, i) => String(i));
    const node = await scan(legacyHead({ storages: [FLOAT], keys: keysPickle(keys) }), "f", {
      maxMembers: 10,
    });
    assert.equal(node.verdict, "unscannable", show(node));
    assert.ok(codesOf(node).has("BUDGET_EXCEEDED"));
  });

  it("a truncated 8-byte count is unscannable", async () => {
    const node = await scan(cat(legacyHead({ storages: [FLOAT] }), [4, 0, 0]));
    assert.equal(node.verdict, "unscannable", show(node));
  });

  it("a storage key the object pickle never declared is unscannable", async () => {
    const node = await scan(
      cat(
        legacyHead({ storages: [FLOAT], keys: keysPickle(["0", "9"]) }),
        le(4, 8),
        floats(4),
        le(1, 8),
      ),
    );
    assert.equal(node.verdict, "unscannable", show(node));
  });

  it("an unknown storage type is unscannable", async () => {
    const object = objectPickle([{ key: "0", type: "torch.EvilStorage", numel: 1 }]);
    const node = await scan(cat(legacyHead({ storages: [FLOAT], object }), le(1, 8), floats(1)));
    assert.equal(node.verdict, "unscannable", show(node));
  });

  it("a key list that is not plain data is unscannable (and its pickle is still evaluated)", async () => {
    const keys = cat("\x80\x02cbuiltins\nlist\n)R.");
    const node = await scan(legacyHead({ storages: [], keys }));
    assert.ok(node.verdict === "unscannable" || node.verdict === "suspicious", show(node));
    assert.ok(codesOf(node).has("TORCH_MALFORMED"));
  });

  it("bytes after the last storage are reported", async () => {
    const node = await scan(cat(legacyHead({ storages: [FLOAT] }), le(4, 8), floats(4), EVIL));
    assert.equal(node.verdict, "suspicious", show(node));
  });

  it("a wrong protocol version is reported", async () => {
    const node = await scan(
      legacyHead({ storages: [], protocol: cat("\x80\x02M", le(1002, 2), ".") }),
    );
    assert.equal(node.verdict, "suspicious", show(node));
    void PROTOCOL_PICKLE;
  });
});

describe("legacy detection from the first pickle's value", () => {
  it("a legacy checkpoint written with pickle protocol 4 is read as the legacy format", async () => {
    const bytes = readFileSync("fixtures/containers/torch/state-dict-legacy-p4.pt");
    assert.equal(detectFormat(bytesSource(bytes)).format, "pytorch-legacy");
    const node = await scan(new Uint8Array(bytes));
    assert.equal(node.verdict, "clean", show(node));
  });

  it("a first pickle that calls something is not the magic number (C6 stays a pickle)", () => {
    assert.equal(isTorchLegacyStart(EVIL), false);
    assert.equal(isTorchLegacyStart(cat("\x80\x04\x95", le(3, 8), "K\x01.")), false);
    assert.equal(isTorchLegacyStart(LEGACY_MAGIC_PICKLE), true);
  });

  it("joblib's LZMA-alone streams are named as such and decoded (the pickle inside is scanned)", async () => {
    const bytes = readFileSync("fixtures/containers/joblib/model-lzma.joblib.lzma");
    assert.deepEqual(detectFormat(bytesSource(bytes)), { format: "xz", detail: "lzma-alone" });
    const node = await scan(new Uint8Array(bytes));
    assert.equal(node.verdict, "clean");
    assert.equal(node.members?.[0]?.format, "pickle");
  });
});
