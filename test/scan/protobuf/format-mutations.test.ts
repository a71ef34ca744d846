/**
 * Seeded mutation loop over every fixture of the weight-format area: byte flips, truncations,
 * duplicated and inserted slices. Each mutant whose bytes still detect as safetensors, GGUF or
 * protobuf goes straight to its scanner (not through the dispatcher, which would hide a throw):
 * it must return a node with a verdict, never throw. Then every prefix of each malicious original
 * goes through the dispatcher: once a prefix holds the whole payload (the shortest prefix that
 * scans malicious), no longer prefix may scan clean. Losing only the tail must not hide the
 * payload; shorter prefixes, cut before the payload, may be harmless files.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import type { Scanner } from "../../../src/scan/context.js";
import { detectFormat } from "../../../src/scan/detect.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { scanGguf } from "../../../src/scan/gguf/scan.js";
import { scanProtobuf } from "../../../src/scan/protobuf/scan.js";
import { scanSafetensors } from "../../../src/scan/safetensors/scan.js";
import { bytesSource } from "../../../src/scan/source.js";
import { directContext, emptyPolicy, formatFixtures } from "./fixture-manifest.js";

const MINE: Partial<Record<string, Scanner>> = {
  safetensors: scanSafetensors,
  gguf: scanGguf,
  protobuf: scanProtobuf,
};

function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function mutate(data: Uint8Array, rand: () => number): Uint8Array {
  const at = Math.floor(rand() * data.length);
  const out = Uint8Array.from(data);
  switch (Math.floor(rand() * 5)) {
    case 0:
      out[at] = (out[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
      return out;
    case 1:
      out[at] = rand() < 0.5 ? 0xff : 0x00;
      return out;
    case 2:
      return out.subarray(0, at);
    case 3: {
      const len = Math.floor(rand() * 16);
      return Uint8Array.from([
        ...out.subarray(0, at),
        ...out.subarray(at, at + len),
        ...out.subarray(at),
      ]);
    }
    default: {
      const junk = Array.from({ length: 1 + Math.floor(rand() * 8) }, () =>
        Math.floor(rand() * 256),
      );
      return Uint8Array.from([...out.subarray(0, at), ...junk, ...out.subarray(at)]);
    }
  }
}

describe("seeded mutations of the weight-format fixtures", () => {
  for (const fixture of formatFixtures("")) {
    it(`${fixture.path}: 120 mutants, no throw`, async () => {
      const original = readFileSync(`fixtures/formats/${fixture.path}`);
      const rand = prng(fixture.sha256.charCodeAt(0) * 7919 + original.length);
      let scanned = 0;
      for (let i = 0; i < 120; i++) {
        const mutant = mutate(original, rand);
        const source = bytesSource(mutant);
        const detection = detectFormat(source);
        const scanner = MINE[detection.format];
        if (!scanner) continue;
        const node = await scanner(source, directContext(fixture.path), detection);
        assert.ok(["clean", "suspicious", "unscannable", "malicious"].includes(node.verdict));
        if (node.verdict === "clean") assert.equal(node.findings.length, 0, "clean has no finding");
        scanned++;
      }
      assert.ok(scanned > 0, "no mutant reached a weight-format scanner");
    });
  }
});

describe("a malicious weight-format file never turns clean by losing only its tail", () => {
  for (const fixture of formatFixtures("").filter((f) => f.verdict === "malicious")) {
    it(`${fixture.path}: every prefix from the payload on blocks`, async () => {
      const original = readFileSync(`fixtures/formats/${fixture.path}`);
      const verdicts: string[] = [];
      for (let length = 1; length <= original.length; length++) {
        const node = await scanSource(bytesSource(original.subarray(0, length)), {
          policy: emptyPolicy,
          path: fixture.path,
        });
        verdicts.push(node.verdict);
      }
      const payloadIn = verdicts.indexOf("malicious");
      assert.ok(payloadIn >= 0, "some prefix (at least the whole file) scans malicious");
      assert.equal(verdicts.at(-1), "malicious", "the whole file is malicious");
      const cleanAfter = verdicts
        .map((verdict, i) => ({ length: i + 1, verdict }))
        .filter((v) => v.length > payloadIn && v.verdict === "clean");
      assert.deepEqual(cleanAfter, [], `prefixes longer than ${payloadIn + 1} bytes`);
    });
  }
});
