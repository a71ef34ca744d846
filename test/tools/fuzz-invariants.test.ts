/**
 * The differential fuzzer's generators, run without Python: a small seeded loop over generated
 * and mutated pickles, torch zips, npy object arrays and joblib files, checking what modelvet
 * must do on its own. Every scan ends and returns a report (never throws); a generated
 * (unmutated) case that imports a dangerous global is never clean. The long differential run
 * against the real readers is `npm run fuzz` (tools/fuzz/run.ts).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../src/core/report.js";
import { loadScanPolicy } from "../../src/io/policy-files.js";
import { Budget } from "../../src/scan/budget.js";
import { scanSource } from "../../src/scan/dispatch.js";
import { bytesSource } from "../../src/scan/source.js";
import { cat, crc32, Rng } from "../../tools/fuzz/bytes.js";
import { generateCase, plantedDangerous } from "../../tools/fuzz/cases.js";
import { buildZip } from "../../tools/fuzz/containers-gen.js";
import { generatePickle } from "../../tools/fuzz/pickle-gen.js";

const policy = loadScanPolicy();
const CASES = 500;

async function scan(bytes: Uint8Array): Promise<ScanNode> {
  return scanSource(bytesSource(bytes), { policy, path: "case", budget: new Budget() });
}

/**
 * Known violations, fixed on the `pickle` branch (issue #12, "protocol-0 pickles taken for
 * text"): a protocol-0 stream made only of text opcodes is detected as text and reported clean.
 * Kept apart so that this loop stays green on branches without the fix and counts them instead.
 */
describe("fuzz generators (no Python)", () => {
  it("are deterministic for a seed", () => {
    const a = Array.from(
      { length: 50 },
      (
        (r) => () =>
          generateCase(r).bytes
      )(new Rng(7)),
    );
    const b = Array.from(
      { length: 50 },
      (
        (r) => () =>
          generateCase(r).bytes
      )(new Rng(7)),
    );
    assert.deepEqual(a, b);
  });

  it("build zips whose CRCs are right (crc32 of 'abc' is 0x352441c2)", () => {
    assert.equal(crc32(cat("abc")), 0x352441c2);
    const zip = buildZip([{ name: "a/data.pkl", data: cat("\x80\x02N.") }]);
    assert.equal(String.fromCharCode(...zip.subarray(0, 4)), "PK\x03\x04");
  });

  it("plant what they say: an unmutated stream with os.system imports it", () => {
    const rng = new Rng(3);
    let found = 0;
    for (let i = 0; i < 1000; i++) {
      const p = generatePickle(rng);
      const text = Buffer.from(p.bytes).toString("latin1");
      for (const g of p.planted)
        if (g.module === "os" && g.name === "system" && text.includes("system")) found++;
    }
    assert.ok(found > 20, `only ${found} os.system imports in 1000 streams`);
  });
});

describe(`seeded fuzz loop: ${CASES} cases`, () => {
  it("every scan ends with a report; a generated stream with a dangerous import is never clean", async () => {
    const rng = new Rng(20261205);
    const failures: string[] = [];
    let donor: Uint8Array | undefined;
    for (let i = 0; i < CASES; i++) {
      const c = generateCase(rng, donor);
      donor = c.bytes;
      let node: ScanNode;
      try {
        node = await scan(c.bytes);
      } catch (error) {
        failures.push(`case ${i} (${c.kind}) threw ${String(error)}`);
        continue;
      }
      assert.ok(node.verdict, `case ${i}: a report without a verdict`);
      const danger = plantedDangerous(c.planted);
      if (c.mutated || danger === undefined || node.verdict !== "clean") continue;
      failures.push(
        `case ${i} (${c.kind}, ${node.format}) imports ${danger.module}.${danger.name} and is clean: ${Buffer.from(c.bytes).toString("hex")}`,
      );
    }
    assert.deepEqual(failures, []);
  });
});
