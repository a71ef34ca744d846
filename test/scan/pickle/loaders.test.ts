/**
 * The named cases of fixtures/loaders (issue #12): each file is scanned through the dispatcher, as
 * `modelvet scan` does, and must give its verdict and finding codes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it, test } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { detectFormat } from "../../../src/scan/detect.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";
import { REPO_ROOT } from "../../helpers/run-cli.js";
import { op, pk } from "./helpers.js";

const policy = loadScanPolicy();
const fixture = (name: string) => readFileSync(join(REPO_ROOT, "fixtures/loaders", name));

function allCodes(node: ScanNode): string[] {
  return [...node.findings.map((f) => f.code), ...(node.members ?? []).flatMap(allCodes)];
}

async function scan(bytes: Uint8Array, path = "pytorch_model.bin"): Promise<ScanNode> {
  return scanSource(bytesSource(bytes), { policy, path });
}

describe("protocol-0 pickles that look like text are read as pickles", () => {
  for (const name of [
    "protocol0/inst-posix-system.bin",
    "protocol0/inst-posix-system-then-prose.bin",
  ]) {
    it(`${name}: malicious, posix.system imported and called`, async () => {
      const node = await scan(fixture(name));
      assert.equal(node.format, "pickle");
      assert.equal(node.verdict, "malicious");
      const codes = allCodes(node);
      assert.ok(codes.includes("PICKLE_DANGEROUS_GLOBAL"), codes.join());
      assert.ok(codes.includes("PICKLE_DANGEROUS_CALL"), codes.join());
      assert.ok(node.findings.some((f) => /posix\.system/.test(f.message)));
    });
  }

  it("the bytes are still text too: scanned as text as well (a member), worst verdict wins", async () => {
    const bytes = fixture("protocol0/inst-posix-system.bin");
    const detection = detectFormat(bytesSource(bytes));
    assert.equal(detection.format, "pickle");
    assert.equal(detection.also, "text");
    const node = await scan(bytes);
    assert.equal(node.members?.[0]?.format, "text");
    assert.equal(node.summary?.alsoRead, "text");
  });

  it("protocol0/global-exec-broken-in-length.pkl: GLOBAL builtins.exec before a broken length field", async () => {
    const node = await scan(fixture("protocol0/global-exec-broken-in-length.pkl"));
    assert.equal(node.verdict, "malicious");
    assert.ok(
      node.findings.some(
        (f) => f.code === "PICKLE_DANGEROUS_GLOBAL" && /builtins\.exec/.test(f.message),
      ),
    );
  });

  it("a long first line does not hide the import after it (the whole file is read, not the sniff window)", async () => {
    const bytes = pk(op.unicode("x".repeat(20_000)), op.POP, op.inst("posix", "system"));
    assert.equal(detectFormat(bytesSource(bytes)).format, "pickle");
    assert.equal((await scan(bytes)).verdict, "malicious");
  });

  for (const name of ["protocol0/readme-opcode-lookalike.md", "protocol0/vocab-like-prose.txt"]) {
    it(`${name}: parses as a few opcodes but reaches no importable name: text, clean`, async () => {
      const node = await scan(fixture(name), "README.md");
      assert.equal(node.format, "text");
      assert.equal(node.verdict, "clean");
    });
  }

  it("everyday text, JSON and Python stay what they are", () => {
    const enc = (s: string) => bytesSource(new TextEncoder().encode(s));
    assert.equal(detectFormat(enc("# Model card\n\nA classifier.\n")).format, "text");
    assert.equal(detectFormat(enc('{"architectures": ["Bert"]}\n')).format, "json");
    assert.equal(detectFormat(enc("import os\nimport sys\n")).format, "python");
    assert.equal(detectFormat(enc("class Foo:\n    pass\n")).format, "python");
    assert.equal(detectFormat(enc("install with pip\nthen run it\n")).format, "text");
  });
});

describe("frame boundaries the readers disagree on", () => {
  for (const name of ["frames/str-runs-past-frame.pkl", "frames/frame-in-frame.pkl"]) {
    it(`${name}: PICKLE_READER_DISAGREEMENT, and the file reading's posix.system`, async () => {
      const node = await scan(fixture(name));
      assert.equal(node.verdict, "malicious");
      const codes = allCodes(node);
      assert.ok(codes.includes("PICKLE_READER_DISAGREEMENT"), codes.join());
      assert.ok(codes.includes("PICKLE_DANGEROUS_GLOBAL"), codes.join());
      const disagreement = node.findings.find((f) => f.code === "PICKLE_READER_DISAGREEMENT");
      assert.equal(disagreement?.verdict, "malicious");
      assert.match(disagreement?.message ?? "", /pure-Python unpickler .* stops there/);
      assert.match(disagreement?.message ?? "", /pickle\.loads .*: no import/);
      assert.match(
        disagreement?.message ?? "",
        /read\(\) skips bytes \d+\.\.\d+: imports posix\.system/,
      );
    });
  }
});

describe("joblib's nested object-array pickles", () => {
  it("joblib/pipeline-fit-on-dataframe.joblib (real joblib + sklearn + pandas): clean", async () => {
    const node = await scan(fixture("joblib/pipeline-fit-on-dataframe.joblib"), "model.joblib");
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
    assert.ok(!allCodes(node).includes("PICKLE_UNSAFE_NAME"));
  });
});

test("bytes whose frames the readers disagree on are scanned as a pickle even when linear reading imports nothing", () => {
  // FRAME first (no PROTO), then a str that runs past the frame end and binary filler: no other
  // format, no linear import, but a reader that drops the rest of the frame reads other opcodes.
  const bytes = pk(op.frame(3), 0x8c, 5, "A", [0xff, 0xfe, 0xfd, 0xfc, 0x00, 0x01]);
  assert.equal(detectFormat(bytesSource(bytes)).format, "pickle");
});
