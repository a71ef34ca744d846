/**
 * Container budgets (threat: resource exhaustion as a bypass): a member too large to inflate in
 * memory, a member that lies about its size, too many members across nested
 * archives, and nesting past the depth limit each end in BUDGET_EXCEEDED, never in `clean`.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { cat, EVIL, plainPickle, scan, show } from "./helpers.js";
import { buildZip } from "./zip-builder.js";

function findings(node: ScanNode, out: string[] = []): string[] {
  for (const f of node.findings) out.push(`${f.code} ${f.verdict}: ${f.message}`);
  for (const m of node.members ?? []) findings(m, out);
  return out;
}

describe("zip member budgets", () => {
  it("a deflated member larger than the in-memory limit is not inflated", async () => {
    // Random bytes do not compress: the deflated member stays over 1000 bytes.
    const big = plainPickle(cat("B", [0xb8, 0x0b, 0, 0], randomBytes(3000)));
    const node = await scan(buildZip([{ name: "a/data.pkl", data: big, method: 8 }]), "f", {
      maxInMemoryBytes: 1000,
    });
    assert.equal(node.verdict, "unscannable", show(node));
    assert.match(
      findings(node).join("\n"),
      /BUDGET_EXCEEDED unscannable: The compressed member \(\d+ bytes\) is larger than the in-memory limit/,
    );
  });

  it("a member that lies about its size is cut at the budget when inflated", async () => {
    // The third member declares 1 byte, so it passes the check by declared size; inflating it
    // stops where the file's budget ends.
    const members = [0, 1, 2].map((i) => ({
      name: `a/m${i}.pkl`,
      data: EVIL,
      method: 8,
      ...(i === 2 ? { central: { uncompressedSize: 1 }, local: { uncompressedSize: 1 } } : {}),
    }));
    const node = await scan(buildZip(members), "f", {
      maxDecompressedBytes: EVIL.length * 2 + 1,
    });
    assert.equal(node.verdict, "malicious", show(node));
    assert.match(
      findings(node).join("\n"),
      /BUDGET_EXCEEDED unscannable: The member decompresses past the decompression budget \(1 bytes\); not scanned/,
    );
  });

  it("members counted across a nested archive stop the scan at the limit", async () => {
    const inner = buildZip([
      { name: "a/data.pkl", data: EVIL },
      { name: "a/b.pkl", data: EVIL },
    ]);
    const node = await scan(
      buildZip([
        { name: "x.zip", data: inner },
        { name: "a/c.pkl", data: EVIL },
      ]),
      "f",
      { maxMembers: 3 },
    );
    assert.equal(node.verdict, "unscannable", show(node));
    assert.match(findings(node).join("\n"), /more than 3 members in one file/);
  });

  it("a pickle nested past the depth limit is not scanned, and says so", async () => {
    const node = await scan(buildZip([{ name: "a/data.pkl", data: EVIL }]), "f", { maxDepth: 0 });
    assert.equal(node.verdict, "unscannable", show(node));
    assert.match(
      findings(node).join("\n"),
      /BUDGET_EXCEEDED unscannable: Containers are nested more than 0 deep; the inner pickle was not scanned/,
    );
  });
});
