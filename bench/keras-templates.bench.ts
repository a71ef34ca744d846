/**
 * Keras and chat-template benchmarks (run: node --import tsx bench/run.ts keras-templates).
 *
 * 1. h5wasm: first-use load time (lazy: the CLI pays it only when an HDF5 file is scanned), then
 *    the time per scan of the small Keras .h5 fixtures (open in memory, read two attributes).
 * 2. scanKerasConfig on a generated config with 20,000 layers (one Lambda at the end).
 * 3. scanChatTemplate on the Qwen2.5 and Llama 3.1 fixtures, and on a 250 KB template (the length limit is 256 KiB).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { loadScanPolicy } from "../src/io/policy-files.js";
import { scanSource } from "../src/scan/dispatch.js";
import { scanKerasConfig } from "../src/scan/keras/index.js";
import { bytesSource } from "../src/scan/source.js";
import { scanChatTemplate } from "../src/scan/templates/index.js";

const policy = loadScanPolicy();
const FIX = join(import.meta.dirname, "..", "fixtures");

async function time<T>(label: string, runs: number, fn: () => Promise<T> | T): Promise<T> {
  let result: T | undefined;
  const start = performance.now();
  for (let i = 0; i < runs; i++) result = await fn();
  const ms = (performance.now() - start) / runs;
  console.log(
    `${label.padEnd(58)} ${ms.toFixed(2).padStart(9)} ms${runs > 1 ? ` (mean of ${runs})` : ""}`,
  );
  return result as T;
}

export async function run(): Promise<void> {
  const h5 = new Uint8Array(readFileSync(join(FIX, "keras", "malicious", "lambda-keras2.h5")));
  await time("h5wasm first use (load WebAssembly + first scan)", 1, () =>
    scanSource(bytesSource(h5), { policy, path: "m.h5" }),
  );
  await time(`Keras .h5 scan (${h5.length} B, Lambda)`, 200, () =>
    scanSource(bytesSource(h5), { policy, path: "m.h5" }),
  );
  const benign = new Uint8Array(readFileSync(join(FIX, "keras", "benign", "sequential-keras2.h5")));
  await time(`Keras .h5 scan (${benign.length} B, benign)`, 200, () =>
    scanSource(bytesSource(benign), { policy, path: "m.h5" }),
  );

  const layers = Array.from({ length: 20_000 }, (_, i) => ({
    module: "keras.layers",
    class_name: "Dense",
    config: {
      name: `d${i}`,
      units: 4,
      kernel_initializer: { module: "keras.initializers", class_name: "GlorotUniform", config: {} },
    },
    registered_name: null,
  }));
  layers.push({
    module: "keras.layers",
    class_name: "Lambda",
    config: { name: "l" } as never,
    registered_name: null,
  });
  const config = { module: "keras", class_name: "Sequential", config: { layers } };
  const found = await time("scanKerasConfig, 20,000 layers", 10, () =>
    scanKerasConfig(config, policy.keras, "b"),
  );
  console.log(`  findings: ${found.length}`);

  for (const name of ["qwen2.5-instruct-tools", "llama3.1-instruct"]) {
    const text = readFileSync(join(FIX, "templates", "real", `${name}.jinja`), "utf8");
    await time(`scanChatTemplate ${name} (${text.length} chars)`, 200, () =>
      scanChatTemplate(text, name),
    );
  }
  const big =
    "{% for m in messages %}{{ m['content'] | trim }}{% if m.role == 'x' %}y{% endif %}{% endfor %}\n".repeat(
      2600,
    );
  await time(`scanChatTemplate generated (${big.length} chars)`, 3, () =>
    scanChatTemplate(big, "big"),
  );
}
