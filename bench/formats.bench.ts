/**
 * Weight-format benchmarks (run: node --import tsx bench/run.ts formats).
 *
 * 1. 2 GiB safetensors and 2 GiB GGUF files (sparse, written past a hole) scanned from disk through
 *    the real file source: time, bytes read, peak RSS. Only the headers may be read.
 * 2. Big headers held in memory: safetensors with 50,000 tensors, GGUF with a 150,000-token
 *    vocabulary, ONNX with 100,000 nodes: time per scan.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openFileSource } from "../src/io/files.js";
import { loadScanPolicy } from "../src/io/policy-files.js";
import { scanSource } from "../src/scan/dispatch.js";
import { type ByteSource, bytesSource } from "../src/scan/source.js";

const policy = loadScanPolicy();
const enc = new TextEncoder();
const GiB2 = 2 ** 31;

function le64(n: number | bigint): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return [...b];
}
const le32 = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
const gstr = (s: string): number[] => [...le64(enc.encode(s).length), ...enc.encode(s)];

function safetensorsHeader(tensors: number, bytesEach: number): Uint8Array {
  const entries: string[] = [];
  for (let i = 0; i < tensors; i++) {
    const begin = i * bytesEach;
    entries.push(
      `"t${i}":{"dtype":"F32","shape":[${bytesEach / 4}],"data_offsets":[${begin},${begin + bytesEach}]}`,
    );
  }
  const json = enc.encode(`{"__metadata__":{"format":"pt"},${entries.join(",")}}`);
  return Uint8Array.from([...le64(json.length), ...json]);
}

function ggufHeader(vocab: number, tensorElements: number): Uint8Array {
  const out: number[] = [0x47, 0x47, 0x55, 0x46, ...le32(3), ...le64(1), ...le64(2)];
  out.push(...gstr("general.architecture"), ...le32(8), ...gstr("llama"));
  out.push(...gstr("tokenizer.ggml.tokens"), ...le32(9), ...le32(8), ...le64(vocab));
  for (let i = 0; i < vocab; i++) out.push(...gstr(`tok${i}`));
  out.push(...gstr("w"), ...le32(1), ...le64(tensorElements), ...le32(0), ...le64(0));
  while (out.length % 32 !== 0) out.push(0);
  return Uint8Array.from(out);
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
const pb = (field: number, payload: number[]): number[] => [
  ...varint((field << 3) | 2),
  ...varint(payload.length),
  ...payload,
];

function onnxModel(nodes: number): Uint8Array {
  const graph: number[] = [];
  for (let i = 0; i < nodes; i++) {
    graph.push(...pb(1, [...pb(1, [...enc.encode(`x${i}`)]), ...pb(4, [...enc.encode("Relu")])]));
  }
  return Uint8Array.from([0x08, 0x08, ...pb(7, graph), ...pb(8, [...pb(1, []), 0x10, 13])]);
}

/** Writes `head` and makes the file `size` bytes long without writing the hole. */
function sparseFile(path: string, head: Uint8Array, size: number): void {
  const fd = openSync(path, "w");
  writeSync(fd, head, 0, head.length, 0);
  writeSync(fd, new Uint8Array(1), 0, 1, size - 1);
  closeSync(fd);
}

function counting(source: ByteSource): ByteSource & { bytesRead: number } {
  const wrapped = {
    size: source.size,
    bytesRead: 0,
    read(offset: number, length: number) {
      const out = source.read(offset, length);
      wrapped.bytesRead += out.length;
      return out;
    },
  };
  return wrapped;
}

async function timeScan(label: string, source: ByteSource, runs = 1): Promise<void> {
  const counted = counting(source);
  const rss = process.memoryUsage().rss;
  const start = performance.now();
  let verdict = "";
  let note = "";
  for (let i = 0; i < runs; i++) {
    const node = await scanSource(counted, { policy, path: label });
    verdict = node.verdict;
    note = node.findings[0]?.message ?? "";
  }
  const ms = (performance.now() - start) / runs;
  const rssMiB = (process.memoryUsage().rss - rss) / 2 ** 20;
  console.log(
    `${label.padEnd(44)} ${verdict.padEnd(11)} ${ms.toFixed(1).padStart(8)} ms/scan  ` +
      `${(counted.bytesRead / runs / 1024).toFixed(0).padStart(8)} KiB read  RSS +${rssMiB.toFixed(0)} MiB${note ? `  (${note.slice(0, 120)})` : ""}`,
  );
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modelvet-bench-formats-"));
  try {
    const st = join(dir, "big.safetensors");
    const sh = safetensorsHeader(1, GiB2);
    sparseFile(st, sh, sh.length + GiB2);
    const g = join(dir, "big.gguf");
    const gh = ggufHeader(32_000, GiB2 / 4);
    sparseFile(g, gh, gh.length + GiB2);
    for (const [label, path] of [
      ["2 GiB safetensors (file)", st],
      ["2 GiB GGUF, 32k vocab (file)", g],
    ] as const) {
      const source = openFileSource(path);
      try {
        await timeScan(label, source);
      } finally {
        source.close();
      }
    }

    await timeScan(
      "safetensors header, 50,000 tensors (memory)",
      bytesSource(
        (() => {
          const h = safetensorsHeader(50_000, 4);
          const out = new Uint8Array(h.length + 200_000);
          out.set(h);
          return out;
        })(),
      ),
      3,
    );
    const vocab = ggufHeader(150_000, 4);
    const withData = new Uint8Array(vocab.length + 16);
    withData.set(vocab);
    await timeScan("GGUF header, 150,000-token vocab (memory)", bytesSource(withData), 3);
    await timeScan("ONNX graph, 100,000 nodes (memory)", bytesSource(onnxModel(100_000)), 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
