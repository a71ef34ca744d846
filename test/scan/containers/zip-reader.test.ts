import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ScanError } from "../../../src/core/errors.js";
import { readZipDirectory, type ZipEntry } from "../../../src/scan/containers/zip-reader.js";
import { bytesSource } from "../../../src/scan/source.js";
import { buildZip } from "./zip-builder.js";

const OPTS = { maxEntries: 1000, maxCentralDirectoryBytes: 1 << 20 };
const read = (b: Uint8Array) => readZipDirectory(bytesSource(b), OPTS);
const codes = (e: ZipEntry | undefined) => (e?.issues ?? []).map((i) => i.code);

describe("zip reader: well-formed archives", () => {
  it("reads stored and deflated members with their data offsets", () => {
    const zip = buildZip([
      { name: "a/x.txt", data: "hello" },
      { name: "a/y.txt", data: "world ".repeat(50), method: 8 },
    ]);
    const dir = read(zip);
    assert.deepEqual(dir.issues, []);
    assert.equal(dir.entries.length, 2);
    const [x, y] = dir.entries;
    assert.equal(x?.name, "a/x.txt");
    assert.equal(x?.dataOffset, 30 + 7);
    assert.equal(new TextDecoder().decode(zip.subarray(x!.dataOffset, x!.dataOffset + 5)), "hello");
    assert.equal(y?.method, 8);
    assert.equal(y?.uncompressedSize, 300);
    assert.deepEqual(codes(x), []);
    assert.deepEqual(codes(y), []);
  });

  it("reads an empty archive (end record only)", () => {
    const dir = read(buildZip([]));
    assert.equal(dir.entries.length, 0);
    assert.deepEqual(dir.issues, []);
  });

  it("reads zip64 end records and zip64 extra fields", () => {
    const zip = buildZip([{ name: "big/data.pkl", data: "abc" }], {
      zip64: true,
      zip64Entries: true,
    });
    const dir = read(zip);
    assert.deepEqual(dir.issues, []);
    assert.equal(dir.entries[0]?.compressedSize, 3);
    assert.equal(dir.entries[0]?.localHeaderOffset, 0);
  });

  it("uses the data offset from the local header's own lengths (local extra differs from central)", () => {
    const zip = buildZip([{ name: "m/x", data: "payload", local: { extra: new Uint8Array(40) } }]);
    const e = read(zip).entries[0]!;
    assert.equal(e.dataOffset, 30 + 3 + 40);
    assert.deepEqual(codes(e), []);
  });
});

describe("zip reader: disagreements between local headers and the central directory", () => {
  it("C2: local name differs: central name is used, mismatch reported", () => {
    const e = read(
      buildZip([{ name: "archive/data.pkl", data: "x", local: { name: "archive/innocent" } }]),
    ).entries[0]!;
    assert.equal(e.name, "archive/data.pkl");
    assert.equal(e.local?.name, "archive/innocent");
    assert.ok(codes(e).includes("ZIP_NAME_MISMATCH"));
  });

  it("local sizes, method and CRC that differ are reported", () => {
    const e = read(
      buildZip([
        {
          name: "a",
          data: "hello",
          local: { compressedSize: 1, uncompressedSize: 2, method: 8, crc: 7 },
        },
      ]),
    ).entries[0]!;
    const messages = e.issues.map((i) => i.message).join("\n");
    assert.match(messages, /compressed size/);
    assert.match(messages, /uncompressed size/);
    assert.match(messages, /compression method/);
    assert.match(messages, /CRC-32/);
  });

  it("data descriptors (bit 3, zero local sizes) are not a disagreement", () => {
    const e = read(
      buildZip([
        {
          name: "a",
          data: "hello",
          flags: 0x8,
          local: { compressedSize: 0, uncompressedSize: 0, crc: 0 },
        },
      ]),
    ).entries[0]!;
    assert.deepEqual(codes(e), []);
  });

  it("C3: flag bits 0x1, 0x20, 0x40 are reported", () => {
    for (const flags of [0x1, 0x20, 0x40]) {
      const e = read(buildZip([{ name: "a", data: "x", flags }])).entries[0]!;
      assert.ok(codes(e).includes("ZIP_FLAGS"), `flag ${flags}`);
      assert.equal(e.readable, true);
    }
  });

  it("flags set only in the local header are reported", () => {
    const e = read(buildZip([{ name: "a", data: "x", local: { flags: 0x1 } }])).entries[0]!;
    assert.ok(codes(e).includes("ZIP_FLAGS"));
  });
});

describe("zip reader: hostile archives", () => {
  it("truncated archive without an end record is a typed error", () => {
    const zip = buildZip([{ name: "a", data: "hello" }]);
    for (const cut of [0, 10, zip.length - 22, zip.length - 1]) {
      assert.throws(() => read(zip.subarray(0, cut)), ScanError, `cut at ${cut}`);
    }
  });

  it("central directory offset outside the file is a typed error", () => {
    assert.throws(
      () => read(buildZip([{ name: "a", data: "x" }], { cdOffset: 1_000_000 })),
      ScanError,
    );
  });

  it("a member whose local header offset is past the end is unreadable", () => {
    const e = read(buildZip([{ name: "a", data: "x", central: { offset: 99_999 } }])).entries[0]!;
    assert.equal(e.readable, false);
    assert.ok(codes(e).includes("ZIP_MALFORMED"));
  });

  it("a member whose data runs past the end is unreadable", () => {
    const e = read(
      buildZip([
        {
          name: "a",
          data: "x",
          central: { compressedSize: 5_000_000, uncompressedSize: 5_000_000 },
        },
      ]),
    ).entries[0]!;
    assert.equal(e.readable, false);
    assert.ok(e.issues.some((i) => i.code === "ZIP_MALFORMED" && i.verdict === "unscannable"));
  });

  it("overlapping members are reported", () => {
    const zip = buildZip([
      { name: "a", data: "aaaa" },
      { name: "b", data: "bbbb", central: { offset: 0 } },
    ]);
    const dir = read(zip);
    assert.ok(dir.entries.some((e) => codes(e).includes("ZIP_OVERLAP")));
  });

  it("unsupported compression is reported as unscannable", () => {
    const e = read(buildZip([{ name: "a", data: "x", method: 14, raw: new Uint8Array([1, 2, 3]) }]))
      .entries[0]!;
    assert.ok(
      e.issues.some((i) => i.code === "ZIP_UNSUPPORTED_COMPRESSION" && i.verdict === "unscannable"),
    );
  });

  it("a stored member whose sizes differ is reported", () => {
    const e = read(buildZip([{ name: "a", data: "xyz", central: { uncompressedSize: 9 } }]))
      .entries[0]!;
    assert.ok(codes(e).includes("ZIP_MALFORMED"));
  });

  it("the end record declaring more entries than exist is reported", () => {
    const dir = read(buildZip([{ name: "a", data: "x" }], { declaredEntries: 3 }));
    assert.ok(dir.issues.some((i) => i.code === "ZIP_MALFORMED"));
  });

  it("records past the declared count are read and reported (one reader would miss them)", () => {
    const dir = read(
      buildZip(
        [
          { name: "a", data: "x" },
          { name: "hidden.pkl", data: "y" },
        ],
        { declaredEntries: 1 },
      ),
    );
    assert.equal(dir.entries.length, 2);
    assert.ok(codes(dir.entries[1]).includes("ZIP_MALFORMED"));
  });

  it("duplicate names are reported and both kept", () => {
    const dir = read(
      buildZip([
        { name: "a", data: "x" },
        { name: "a", data: "y" },
      ]),
    );
    assert.equal(dir.entries.length, 2);
    assert.ok(codes(dir.entries[1]).includes("ZIP_MALFORMED"));
  });

  it("path traversal and absolute names are reported", () => {
    for (const name of ["../evil", "a/../../evil", "/etc/x", "C:\\x"]) {
      const e = read(buildZip([{ name, data: "x" }])).entries[0]!;
      assert.ok(codes(e).includes("ARCHIVE_PATH_ESCAPE"), name);
    }
  });

  it("unix symbolic links are reported", () => {
    const e = read(
      buildZip([
        {
          name: "link",
          data: "/etc/passwd",
          central: { versionMadeBy: 0x0314, externalAttributes: 0o120777 << 16 },
        },
      ]),
    ).entries[0]!;
    assert.ok(codes(e).includes("ARCHIVE_LINK"));
  });

  it("a zip64 locator pointing at no zip64 record, with saturated 32-bit fields, is a typed error", () => {
    const zip = buildZip([{ name: "a", data: "x" }], { zip64: true });
    // Corrupt the zip64 end record's signature (it sits right after the central directory).
    const copy = zip.slice();
    const dv = new DataView(copy.buffer);
    const locatorAt = copy.length - 22 - 20;
    const recordAt = Number(dv.getBigUint64(locatorAt + 8, true));
    dv.setUint32(recordAt, 0xdeadbeef, true);
    assert.throws(() => read(copy), ScanError); // with saturated 32-bit fields there is no usable directory
  });

  it("a zip64 record that disagrees with unsaturated 32-bit fields is reported", () => {
    const zip = buildZip([{ name: "a", data: "x" }], { zip64: true }).slice();
    const dv = new DataView(zip.buffer);
    const eocd = zip.length - 22;
    // Un-saturate the 32-bit entry counts: now both records speak, and the zip64 one says 1 too.
    dv.setUint16(eocd + 8, 2, true);
    dv.setUint16(eocd + 10, 2, true);
    const dir = read(zip);
    assert.ok(dir.issues.some((i) => /disagree about the entry count/.test(i.message)));
  });

  it("a central-directory record cut short is reported", () => {
    const zip = buildZip([{ name: "abcdef", data: "x" }]).slice();
    const dv = new DataView(zip.buffer);
    const eocd = zip.length - 22;
    const cdOffset = dv.getUint32(eocd + 16, true);
    dv.setUint16(cdOffset + 28, 500, true); // name length far past the directory
    const dir = read(zip);
    assert.equal(dir.entries.length, 0);
    assert.ok(dir.issues.some((i) => i.code === "ZIP_MALFORMED"));
  });

  it("more entries than the budget is a budget error", () => {
    const zip = buildZip(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: "x" })));
    assert.throws(
      () => readZipDirectory(bytesSource(zip), { ...OPTS, maxEntries: 3 }),
      (e: unknown) => e instanceof ScanError && e.code === "SCAN_BUDGET",
    );
  });
});
