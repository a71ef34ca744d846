/**
 * A zip with data in front of it (issue #12, fixtures/differential/fixed/prepended-npz.npz):
 * Python's zipfile finds the end record from the end and corrects every offset by the prepended
 * length, so np.load/keras read the members. modelvet reads it the same way, reports the
 * prepended bytes, and names the imports of the members; the prepended bytes keep their own
 * pickle reading.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectFormat } from "../../../src/scan/detect.js";
import { bytesSource } from "../../../src/scan/source.js";
import { cat, codesOf, EVIL, scan, show } from "./helpers.js";
import { buildZip } from "./zip-builder.js";

const npz = () => buildZip([{ name: "arr_0.npy", data: EVIL }]);
const globalsOf = (node: Awaited<ReturnType<typeof scan>>): string[] => [
  ...node.findings.flatMap((f) => (f.global ? [`${f.global.module}.${f.global.name}`] : [])),
  ...(node.members ?? []).flatMap(globalsOf),
];

describe("zip with prepended data", () => {
  it("31 bytes before a zip: detected as zip, the prepended data reported, the member's import named", async () => {
    const bytes = cat("x".repeat(31), npz());
    assert.equal(detectFormat(bytesSource(bytes)).format, "zip");
    const node = await scan(bytes, "model.npz");
    assert.equal(node.verdict, "malicious", show(node));
    assert.ok(
      node.findings.some((f) => f.code === "ZIP_MALFORMED" && /31 bytes precede/.test(f.message)),
    );
    assert.ok(globalsOf(node).includes("posix.system"), show(node));
  });

  it("a long README before a zip does not make it text", async () => {
    const text = "# Model card\n\nA classifier that sorts pictures of cats.\n".repeat(400);
    const node = await scan(cat(text, npz()), "README.md");
    assert.equal(node.verdict, "malicious", show(node));
    assert.ok(globalsOf(node).includes("posix.system"), show(node));
  });

  it("a pickle before a clean zip keeps its pickle reading", async () => {
    const clean = buildZip([{ name: "notes.txt", data: "hello\n" }]);
    const node = await scan(cat("cbuiltins\nexec\n(S'print(1)'\ntR.", clean));
    assert.equal(node.verdict, "malicious", show(node));
    assert.ok(globalsOf(node).includes("builtins.exec"), show(node));
    assert.ok(codesOf(node).has("ZIP_MALFORMED"), show(node));
  });

  it("a zip at offset 0 gets no prepended-data finding", async () => {
    const node = await scan(buildZip([{ name: "notes.txt", data: "hello\n" }]));
    assert.equal(node.verdict, "clean", show(node));
    assert.ok(!node.findings.some((f) => /precede/.test(f.message)));
  });

  it("an end record at the tail whose corrected place holds no directory is not a zip", () => {
    const tail = cat("PK\x05\x06", new Array(8).fill(0), [46, 0, 0, 0], [0, 0, 0, 0], [0, 0]);
    assert.notEqual(detectFormat(bytesSource(cat("x".repeat(100), tail))).format, "zip");
  });
});
