/**
 * A seeded mutation loop over the fixture Python files: flipped, deleted and inserted bytes,
 * truncations and duplicated spans. Every mutant must come back as findings (never a throw), and a
 * mutant that tree-sitter cannot parse must be unscannable, never clean.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { worstVerdict } from "../../../src/core/verdict.js";
import { analyzePythonSource } from "../../../src/scan/code/python.js";
import { pythonPolicy } from "./helpers.js";

const ROOT = fileURLToPath(new URL("../../../fixtures/code/", import.meta.url));
const SOURCES = [
  "harmless/modeling_x.py",
  "exec-base64-malicious/modeling_x.py",
  "getattr-obfuscated-malicious/modeling_x.py",
  "bashrc-write-malicious/modeling_x.py",
].map((p) => readFileSync(join(ROOT, p)));

/** xorshift32: deterministic, so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let x = seed || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const SPECIAL = [0x28, 0x29, 0x3a, 0x22, 0x27, 0x5c, 0x0a, 0x20, 0x00, 0xff, 0x23, 0x5b];

function mutate(input: Uint8Array, next: () => number): Uint8Array {
  const bytes = [...input];
  const edits = 1 + Math.floor(next() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(next() * bytes.length);
    const kind = Math.floor(next() * 5);
    const b = SPECIAL[Math.floor(next() * SPECIAL.length)] ?? 0;
    if (kind === 0) bytes[at] = b;
    else if (kind === 1) bytes.splice(at, 1 + Math.floor(next() * 8));
    else if (kind === 2) bytes.splice(at, 0, b);
    else if (kind === 3) bytes.length = at;
    else bytes.splice(at, 0, ...bytes.slice(at, at + Math.floor(next() * 64)));
  }
  return Uint8Array.from(bytes);
}

test("mutated Python sources always end in findings, and unparseable ones block", async () => {
  const next = rng(0x5eed);
  let unparseable = 0;
  for (let i = 0; i < 160; i++) {
    const source = SOURCES[i % SOURCES.length] as Uint8Array;
    const mutant = mutate(source, next);
    const r = await analyzePythonSource(mutant, pythonPolicy);
    assert.ok(Array.isArray(r.findings), `mutant ${i}`);
    if (r.findings.some((f) => f.code === "PYTHON_UNPARSEABLE")) {
      unparseable += 1;
      assert.notEqual(worstVerdict(r.findings.map((f) => f.verdict)), "clean", `mutant ${i}`);
    }
  }
  // The loop must actually exercise the error path.
  assert.ok(unparseable > 20, `only ${unparseable} unparseable mutants`);
});
