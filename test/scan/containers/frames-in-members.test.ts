/**
 * torch.load reads a zip checkpoint's data.pkl from an io.BytesIO: the C unpickler then reads
 * FRAMEs with read(), dropping the rest of a frame when an argument runs past its end. A data.pkl
 * whose readers disagree is blocked, and the read() reading's payload is reported.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";
import { REPO_ROOT } from "../../helpers/run-cli.js";
import { buildZip } from "./zip-builder.js";

const policy = loadScanPolicy();

function findings(node: ScanNode): { code: string; message: string }[] {
  return [...node.findings, ...(node.members ?? []).flatMap(findings)];
}

test("a data.pkl with an argument past its frame end: PICKLE_READER_DISAGREEMENT and posix.system", async () => {
  const straddle = readFileSync(join(REPO_ROOT, "fixtures/loaders/frames/str-runs-past-frame.pkl"));
  const zip = buildZip([
    { name: "archive/data.pkl", data: straddle },
    { name: "archive/version", data: "3\n" },
  ]);
  const node = await scanSource(bytesSource(zip), { policy, path: "pytorch_model.bin" });
  assert.equal(node.verdict, "malicious");
  const all = findings(node);
  assert.ok(
    all.some((f) => f.code === "PICKLE_READER_DISAGREEMENT"),
    JSON.stringify(all),
  );
  assert.ok(
    all.some(
      (f) => f.code === "PICKLE_DANGEROUS_GLOBAL" && /read\(\).*posix\.system/.test(f.message),
    ),
    JSON.stringify(all),
  );
});
