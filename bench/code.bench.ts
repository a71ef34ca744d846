/**
 * Python analysis figures: first-file cost (wasm grammar load), steady-state throughput on a
 * realistic modeling file and on a large synthetic one, and the trust_remote_code folder pass.
 */
import { readFileSync } from "node:fs";
import { readPythonPolicy } from "../src/io/policy-python.js";
import { analyzePythonSource } from "../src/scan/code/python.js";
import { analyzeRepoFolder } from "../src/scan/folder.js";
import type { ScanPolicy } from "../src/scan/policy.js";
import { bytesSource } from "../src/scan/source.js";

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

export async function run(): Promise<void> {
  const policy = readPythonPolicy();
  const modeling = readFileSync(
    new URL("../fixtures/code/harmless/modeling_x.py", import.meta.url),
  );

  let t = process.hrtime.bigint();
  await analyzePythonSource(modeling, policy);
  console.log(
    `first file (grammar load + parse + analyse, ${modeling.length} B): ${ms(t).toFixed(1)} ms`,
  );

  const rounds = 50;
  t = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await analyzePythonSource(modeling, policy);
  const each = ms(t) / rounds;
  console.log(
    `realistic modeling file: ${each.toFixed(2)} ms each, ${(modeling.length / 1024 / 1024 / (each / 1000)).toFixed(2)} MiB/s`,
  );

  const big = new TextEncoder().encode(new TextDecoder().decode(modeling).repeat(40));
  t = process.hrtime.bigint();
  const r = await analyzePythonSource(big, policy);
  const bigMs = ms(t);
  console.log(
    `synthetic ${(big.length / 1024).toFixed(0)} KiB file: ${bigMs.toFixed(0)} ms, ${(big.length / 1024 / 1024 / (bigMs / 1000)).toFixed(2)} MiB/s, ${r.findings.length} findings`,
  );

  const files = new Map<string, ReturnType<typeof bytesSource>>();
  for (const name of [
    "config.json",
    "tokenizer_config.json",
    "configuration_x.py",
    "modeling_x.py",
    "tokenization_x.py",
  ]) {
    files.set(
      name,
      bytesSource(readFileSync(new URL(`../fixtures/code/harmless/${name}`, import.meta.url))),
    );
  }
  t = process.hrtime.bigint();
  await analyzeRepoFolder(files, { python: policy } as unknown as ScanPolicy);
  console.log(`folder pass over fixtures/code/harmless (3 Python files): ${ms(t).toFixed(1)} ms`);
}
