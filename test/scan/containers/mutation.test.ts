/**
 * Seeded mutation loop over the container fixtures: flipped bytes, cuts, lying 32-bit fields,
 * duplicated and inserted ranges. Every mutant must come back from scanSource as a node with a
 * verdict (no hang), and no scanner may have thrown a JavaScript error: the dispatcher turns any
 * throw into `unscannable`, so the test looks at the reasons and refuses those that are a bug
 * (TypeError, RangeError, stack overflow) rather than a decision about the bytes. A malicious
 * fixture with junk appended (its payload bytes intact) must still block.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { VERDICTS } from "../../../src/core/verdict.js";
import { scan, show } from "./helpers.js";

const ROOT = join("fixtures", "containers");
const manifest = JSON.parse(readFileSync(join(ROOT, "manifest.json"), "utf8")) as {
  files: { path: string; verdict: string }[];
};

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const pick = (n: number) => Math.floor(random() * n);
  const out = bytes.slice();
  switch (pick(5)) {
    case 0: {
      for (let i = 0; i < 1 + pick(4) && out.length > 0; i++) {
        const at = pick(out.length);
        out[at] = (out[at] ?? 0) ^ (1 << pick(8));
      }
      return out;
    }
    case 1:
      return out.subarray(0, pick(out.length));
    case 2: {
      if (out.length < 4) return out;
      const at = pick(out.length - 3);
      out.set([0xff, 0xff, 0xff, pick(2) ? 0xff : 0x7f], at);
      return out;
    }
    case 3: {
      const from = pick(out.length);
      const len = pick(Math.min(64, out.length - from) + 1);
      const at = pick(out.length + 1);
      const merged = new Uint8Array(out.length + len);
      merged.set(out.subarray(0, at));
      merged.set(out.subarray(from, from + len), at);
      merged.set(out.subarray(at), at + len);
      return merged;
    }
    default: {
      const at = pick(out.length + 1);
      const junk = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      const merged = new Uint8Array(out.length + junk.length);
      merged.set(out.subarray(0, at));
      merged.set(junk, at);
      merged.set(out.subarray(at), at + junk.length);
      return merged;
    }
  }
}

const PER_FILE = 6;

/** What a scanner's own bug looks like once the dispatcher has turned it into a finding. */
const JS_FAULT =
  /Maximum call stack|Cannot read propert|Cannot set propert|is not a function|is not iterable|is not defined|Invalid array length|Invalid typed array length|out of memory|\b(?:Type|Range|Reference|Syntax)Error\b/;

function jsFaults(node: ScanNode): string[] {
  return [
    ...node.findings.filter((f) => JS_FAULT.test(f.message)).map((f) => f.message),
    ...(node.members ?? []).flatMap(jsFaults),
  ];
}

it("a JavaScript fault in a scanner is recognised by jsFaults (the check can fail)", () => {
  const node = {
    findings: [
      { message: "Could not finish scanning: Cannot read properties of undefined (reading 'x')" },
    ],
    members: [],
  } as unknown as ScanNode;
  assert.equal(jsFaults(node).length, 1);
});

describe("seeded mutations of the container fixtures", () => {
  for (const [index, entry] of manifest.files.entries()) {
    it(`${entry.path}: ${PER_FILE} mutants end in a verdict`, async () => {
      const original = new Uint8Array(readFileSync(join(ROOT, entry.path)));
      const random = rng(0x5eed + index);
      for (let i = 0; i < PER_FILE; i++) {
        const mutant = mutate(original, random);
        const node = await scan(mutant, entry.path, { maxDecompressedBytes: 64 * 1024 * 1024 });
        assert.ok(VERDICTS.includes(node.verdict), show(node));
        assert.deepEqual(jsFaults(node), [], show(node));
      }
    });
  }

  it("appending junk to a malicious fixture never makes it clean", async () => {
    const random = rng(42);
    for (const entry of manifest.files.filter((e) => e.verdict === "malicious")) {
      const original = new Uint8Array(readFileSync(join(ROOT, entry.path)));
      const junk = Uint8Array.from({ length: 1 + Math.floor(random() * 32) }, () =>
        Math.floor(random() * 256),
      );
      const mutant = new Uint8Array(original.length + junk.length);
      mutant.set(original);
      mutant.set(junk, original.length);
      const node = await scan(mutant, entry.path);
      assert.notEqual(node.verdict, "clean", `${entry.path}\n${show(node)}`);
    }
  });
});
