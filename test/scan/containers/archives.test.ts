/**
 * Zip, tar and compression-wrapper scanners through scanSource, with hand-built hostile bytes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { deflateSync, gzipSync } from "node:zlib";
import { contentName } from "../../../src/scan/containers/compressed.js";
import {
  cat,
  codesOf,
  EVIL,
  le,
  objectPickle,
  plainPickle,
  scan,
  show,
  tarEnd,
  tarMember,
  ustr,
  virtualSource,
} from "./helpers.js";
import { buildZip } from "./zip-builder.js";

const BENIGN = plainPickle(cat("}(", ustr("a"), "K\x01u"));

describe("zip scanner", () => {
  it("C1: members are detected from their bytes, not their names", async () => {
    const node = await scan(buildZip([{ name: "notes/data.txt", data: EVIL }]));
    assert.equal(node.verdict, "malicious", show(node));
    assert.equal(node.members?.[0]?.format, "pickle");
  });

  it("members named *.pkl are unpickled by loaders whatever their bytes look like", async () => {
    // A protocol-0 pickle starting with PERSID ('P') sniffs as text, yet pickle.load runs it.
    const node = await scan(buildZip([{ name: "x/extra.pkl", data: "Pabc\n." }]));
    assert.equal(node.members?.[0]?.format, "pickle", show(node));
    assert.notEqual(node.verdict, "clean");
  });

  it("C3/C4: flags and wrong CRCs are reported and the data is still scanned", async () => {
    const node = await scan(
      buildZip([
        { name: "a/data.pkl", data: EVIL, flags: 0x1 },
        { name: "a/other.pkl", data: BENIGN, crc: 1234 },
      ]),
    );
    assert.equal(node.verdict, "malicious", show(node));
    const codes = codesOf(node);
    assert.ok(
      codes.has("ZIP_FLAGS") &&
        codes.has("ZIP_CRC_MISMATCH") &&
        codes.has("PICKLE_DANGEROUS_GLOBAL"),
    );
  });

  it("deflated members are inflated and scanned", async () => {
    const node = await scan(buildZip([{ name: "a/data.pkl", data: EVIL, method: 8 }]));
    assert.equal(node.verdict, "malicious", show(node));
  });

  it("corrupt deflate data is unscannable", async () => {
    const node = await scan(
      buildZip([{ name: "a/x", data: "hello", method: 8, raw: cat([0xff, 0xff, 0xff]) }]),
    );
    assert.equal(node.verdict, "unscannable", show(node));
  });

  it("a deflate bomb stops at the cap and is ARCHIVE_BOMB, even when its declared size lies", async () => {
    const zeros = new Uint8Array(8 * 1024 * 1024);
    const node = await scan(
      buildZip([
        {
          name: "a/z",
          data: zeros,
          method: 8,
          central: { uncompressedSize: 10 },
          local: { uncompressedSize: 10 },
        },
      ]),
    );
    assert.equal(node.verdict, "unscannable", show(node));
    assert.ok(codesOf(node).has("ARCHIVE_BOMB"));
  });

  it("the decompression budget is shared across members", async () => {
    const data = new Uint8Array(3000).fill(7);
    const node = await scan(
      buildZip([
        { name: "a", data, method: 8 },
        { name: "b", data, method: 8 },
      ]),
      "f",
      { maxDecompressedBytes: 4000 },
    );
    assert.ok(codesOf(node).has("BUDGET_EXCEEDED"), show(node));
    assert.equal(node.verdict, "unscannable");
  });

  it("an overlapping-files bomb (many entries sharing one deflate stream) ends at the budget", async () => {
    const one = buildZip([{ name: "z0", data: new Uint8Array(1024 * 1024), method: 8 }]);
    const dv = new DataView(one.buffer, one.byteOffset);
    const cdAt = dv.getUint32(one.length - 6, true);
    const record = one.subarray(cdAt, one.length - 22);
    const copies = 64;
    const cd = cat(...Array.from({ length: copies }, () => record));
    const eocd = cat(
      le(0x06054b50, 4),
      le(0, 2),
      le(0, 2),
      le(copies, 2),
      le(copies, 2),
      le(cd.length, 4),
      le(cdAt, 4),
      le(0, 2),
    );
    const node = await scan(cat(one.subarray(0, cdAt), cd, eocd), "f", {
      maxDecompressedBytes: 16 * 1024 * 1024,
    });
    assert.equal(node.verdict, "unscannable", show(node).slice(0, 2000));
    assert.ok(codesOf(node).has("BUDGET_EXCEEDED"));
    assert.ok(codesOf(node).has("ZIP_OVERLAP"));
  });

  it("the member budget is enforced", async () => {
    const zip = buildZip(Array.from({ length: 10 }, (_, i) => ({ name: `f${i}.txt`, data: "x" })));
    const node = await scan(zip, "f", { maxMembers: 5 });
    assert.equal(node.verdict, "unscannable", show(node));
  });

  it("PyTorch layout: storages are counted, not read; persistent ids are checked against them", async () => {
    const pickle = objectPickle([{ key: "0", type: "torch.FloatStorage", numel: 2 }], false);
    const good = await scan(
      buildZip([
        { name: "archive/data.pkl", data: pickle },
        { name: "archive/data/0", data: EVIL }, // raw bytes: never unpickled by torch.load
        { name: "archive/version", data: "3\n" },
      ]),
    );
    assert.equal(good.format, "pytorch-zip");
    assert.equal(good.verdict, "clean", show(good));
    assert.equal(good.summary?.storages, 1);
    const stray = await scan(
      buildZip([
        { name: "archive/data.pkl", data: pickle },
        { name: "archive/data/0", data: "raw" },
        { name: "archive/data/9", data: EVIL }, // referenced by no pickle: not a storage, so scanned
      ]),
    );
    assert.equal(stray.verdict, "malicious", show(stray));
    assert.ok(codesOf(stray).has("ARCHIVE_ODD_MEMBER"));
    const missing = await scan(buildZip([{ name: "archive/data.pkl", data: pickle }]));
    assert.equal(missing.verdict, "suspicious", show(missing));
    assert.ok(codesOf(missing).has("TORCH_MALFORMED"));
  });

  it("a 2 GiB stored storage member is never read (virtual file, bounded reads)", async () => {
    const size = 2 ** 31;
    const pickle = objectPickle([{ key: "0", type: "torch.FloatStorage", numel: size / 4 }], false);
    const head = buildZip([{ name: "archive/data.pkl", data: pickle }]);
    // Keep the local headers, then add the storage's local header, a hole, and a fresh directory.
    const cdStart = new DataView(head.buffer).getUint32(head.length - 6, true);
    const locals = head.subarray(0, cdStart);
    const name = "archive/data/0";
    const lh = cat(
      le(0x04034b50, 4),
      le(20, 2),
      le(0, 2),
      le(0, 2),
      le(0, 4),
      le(0, 4),
      le(size, 4),
      le(size, 4),
      le(name.length, 2),
      le(0, 2),
      name,
    );
    const storageAt = locals.length;
    const cdAt = storageAt + lh.length + size;
    const entry = (n: string, len: number, off: number, crc: number) =>
      cat(
        le(0x02014b50, 4),
        le(20, 2),
        le(20, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(crc, 4),
        le(len, 4),
        le(len, 4),
        le(n.length, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(off, 4),
        n,
      );
    const pickleCrc = new DataView(head.buffer).getUint32(cdStart + 16, true);
    const cd = cat(
      entry("archive/data.pkl", pickle.length, 0, pickleCrc),
      entry(name, size, storageAt, 0),
    );
    const eocd = cat(
      le(0x06054b50, 4),
      le(0, 2),
      le(0, 2),
      le(2, 2),
      le(2, 2),
      le(cd.length, 4),
      le(cdAt, 4),
      le(0, 2),
    );
    const source = virtualSource(cat(locals, lh), size, cat(cd, eocd));
    const node = await scan(source);
    assert.equal(node.verdict, "clean", show(node));
    assert.ok(source.bytesRead < 4 * 1024 * 1024, `read ${source.bytesRead}`);
  });

  it("TorchScript layout: code is listed, __torch__ names are TorchScript's, posix.system still is not", async () => {
    const data = cat("\x80\x02c__torch__\nM\n)\x81.");
    const node = await scan(
      buildZip([
        { name: "m/data.pkl", data },
        { name: "m/constants.pkl", data: EVIL },
        {
          name: "m/code/__torch__.py",
          data: "def forward(self, x):\n  return torch.ops.myns.run(x)\n",
        },
      ]),
    );
    assert.equal(node.format, "torchscript");
    assert.equal(node.verdict, "malicious", show(node));
    const data_pkl = node.members?.find((m) => m.path === "m/data.pkl");
    assert.equal(data_pkl?.verdict, "clean", show(node));
    assert.deepEqual(data_pkl?.findings, []);
    assert.deepEqual(data_pkl?.summary?.loaderNames, ["__torch__.M"]);
    const code = node.members?.find((m) => m.path === "m/code/__torch__.py");
    assert.equal(code?.verdict, "suspicious"); // custom op namespace
    assert.deepEqual(node.summary?.code, ["m/code/__torch__.py"]);
  });

  it("zip in zip in zip is followed to the depth limit, then fails closed", async () => {
    let inner: Uint8Array = EVIL;
    for (let i = 0; i < 6; i++) inner = buildZip([{ name: `l${i}`, data: inner }]);
    const node = await scan(inner, "f", { maxDepth: 3 });
    assert.equal(node.verdict, "unscannable", show(node));
    assert.ok(codesOf(node).has("BUDGET_EXCEEDED"));
    const shallow = await scan(inner, "f", { maxDepth: 8 });
    assert.equal(shallow.verdict, "malicious", show(shallow));
  });
});

describe("tar scanner", () => {
  const torchTar = (pickle: Uint8Array, extra: Uint8Array[] = []) =>
    cat(
      tarMember("sys_info", plainPickle(cat("}"))),
      tarMember("pickle", pickle),
      tarMember("storages", cat(plainPickle("K\x00"), plainPickle("]"))),
      tarMember("tensors", plainPickle("K\x00")),
      ...extra,
      tarEnd(),
    );

  it("a legacy torch tar with plain members is clean; an evil `pickle` member is malicious", async () => {
    const ok = await scan(torchTar(plainPickle("}")));
    assert.equal(ok.format, "pytorch-legacy-tar");
    assert.equal(ok.verdict, "clean", show(ok));
    const bad = await scan(torchTar(EVIL));
    assert.equal(bad.verdict, "malicious", show(bad));
  });

  it("storages: every per-storage pickle is scanned and raw bytes are skipped by count", async () => {
    const storages = cat(
      plainPickle("K\x01"),
      EVIL.subarray(0, -1),
      "0", // POP the call result, then the real (key, location, type) tuple
      "(",
      ustr("1"),
      ustr("cpu"),
      "ctorch\nFloatStorage\nt.",
      le(2, 8),
      new Uint8Array(8),
      plainPickle("]"),
    );
    const tar = cat(
      tarMember("pickle", plainPickle("}")),
      tarMember("storages", storages),
      tarEnd(),
    );
    const node = await scan(tar);
    assert.equal(node.verdict, "malicious", show(node));
  });

  it("a link named like a loader member is unscannable; other links are suspicious", async () => {
    const a = await scan(cat(tarMember("storages", "", "2", "/etc/passwd"), tarEnd()));
    assert.equal(a.verdict, "unscannable", show(a));
    assert.ok(codesOf(a).has("ARCHIVE_LINK"));
    const b = await scan(cat(tarMember("notes", "", "1", "other"), tarEnd()));
    assert.equal(b.verdict, "suspicious", show(b));
  });

  it("path escapes, devices and duplicates are findings", async () => {
    const node = await scan(
      cat(
        tarMember("../../x.txt", "hi"),
        tarMember("dev", "", "3"),
        tarMember("pickle", plainPickle("}")),
        tarMember("pickle", EVIL),
        tarEnd(),
      ),
    );
    const codes = codesOf(node);
    assert.ok(codes.has("ARCHIVE_PATH_ESCAPE") && codes.has("ARCHIVE_ODD_MEMBER"), show(node));
    assert.equal(node.verdict, "malicious");
  });

  it("a truncated tar is unscannable", async () => {
    const tar = torchTar(plainPickle("}"));
    const node = await scan(tar.subarray(0, 700));
    assert.equal(node.verdict, "unscannable", show(node));
  });

  it("a tensors record cut short is unscannable", async () => {
    const tensors = cat(
      plainPickle("K\x01"),
      plainPickle(cat("(K\x00", ustr("1"), "Nt")),
      le(1, 4),
    );
    const node = await scan(cat(tarMember("tensors", tensors), tarEnd()));
    assert.equal(node.verdict, "unscannable", show(node));
  });
});

describe("compression wrappers", () => {
  it("gzip, zlib, bzip2 (made by Python), xz (made by Python) around a pickle are opened and scanned", async () => {
    const made = (name: string) => readFileSync(`fixtures/containers/wrapped/${name}`);
    for (const wrapped of [
      gzipSync(EVIL),
      deflateSync(EVIL),
      made("c12-evil.pkl.bz2"),
      made("c12-evil.pkl.xz"),
    ]) {
      const node = await scan(new Uint8Array(wrapped), "model.pkl.x");
      assert.equal(node.verdict, "malicious", show(node));
    }
  });

  it("gzip bombs stop at the ratio cap; budgets stop the rest", async () => {
    const bomb = gzipSync(new Uint8Array(16 * 1024 * 1024));
    const node = await scan(new Uint8Array(bomb));
    assert.ok(codesOf(node).has("ARCHIVE_BOMB"), show(node));
    const small = gzipSync(new Uint8Array(5000).fill(1));
    const budget = await scan(new Uint8Array(small), "f", { maxDecompressedBytes: 1000 });
    assert.ok(codesOf(budget).has("BUDGET_EXCEEDED"), show(budget));
  });

  it("corrupt streams are unscannable", async () => {
    const gz = new Uint8Array(gzipSync(EVIL));
    for (const bad of [
      gz.subarray(0, gz.length - 12),
      cat("BZh9", [1, 2, 3, 4, 5, 6]),
      cat([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0], [1, 2, 3]),
    ]) {
      const node = await scan(bad);
      assert.equal(node.verdict, "unscannable", show(node));
    }
  });

  it("names the content after the container without its suffix", () => {
    assert.equal(contentName("dir/model.pkl.gz", "gzip"), "model.pkl");
    assert.equal(contentName("weights", "xz"), "weights:decompressed");
  });
});
