/**
 * Pickle engine benchmarks (run: node --import tsx bench/run.ts pickle). Prints figures; asserts nothing.
 *
 * 1. Throughput on one large benign pickle (≥100 MB, made by Python's pickle when /usr/bin/python3
 *    is there, else built here) and on 1,000 small pickles: MB/s and files/s, side by side with
 *    Python's `pickletools.genops` walking the same bytes in the same run.
 * 2. Peak memory while scanning a 1 GiB pickle (written here in chunks; scanned in a child process
 *    so its peak RSS is its own): target < 256 MB.
 */
import { spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { openFileSource } from "../src/io/files.js";
import { Budget } from "../src/scan/budget.js";
import { evaluatePickle, walkPickle } from "../src/scan/pickle/index.js";
import type { PicklePolicy } from "../src/scan/pickle/policy.js";

const PYTHON = "/usr/bin/python3";
const MB = 1024 * 1024;
const policy: PicklePolicy = { safe: new Set(), dangerous: new Map() };

/** Makes the large and the small pickles with Python's own pickler. */
const MAKE_PY = `
import pickle, sys, os
out = sys.argv[1]
big = {f"layer{i}.weight": (i, i * 0.5, f"s{i}", bytes(200), [i, i + 1]) for i in range(380000)}
with open(os.path.join(out, "big.pkl"), "wb") as f:
    pickle.dump(big, f, protocol=4)
os.mkdir(os.path.join(out, "small"))
for k in range(1000):
    obj = {f"k{j}": (j, float(j), f"v{j}" * (k % 5 + 1)) for j in range(20 + k % 40)}
    with open(os.path.join(out, "small", f"{k:04d}.pkl"), "wb") as f:
        pickle.dump(obj, f, protocol=k % 6)
`;

/** Times pickletools.genops over the same files. */
const GENOPS_PY = `
import pickletools, sys, os, time, json
out = sys.argv[1]
data = open(os.path.join(out, "big.pkl"), "rb").read()
t = time.perf_counter(); n = 0
for _ in pickletools.genops(data): n += 1
big = time.perf_counter() - t
names = sorted(os.listdir(os.path.join(out, "small")))
blobs = [open(os.path.join(out, "small", x), "rb").read() for x in names]
t = time.perf_counter()
for b in blobs:
    for _ in pickletools.genops(b): pass
small = time.perf_counter() - t
print(json.dumps({"big": big, "ops": n, "small": small}))
`;

function enc(s: string): Uint8Array {
  return Uint8Array.from([...s].map((c) => c.charCodeAt(0) & 0xff));
}

/** A benign protocol-4 stream of about `target` bytes: lists of (key, float) tuples and 256 KiB byte blobs. */
function writeBenign(path: string, target: number): void {
  const fd = openSync(path, "w");
  const head = Uint8Array.of(0x80, 0x04, 0x5d, 0x94); // PROTO 4, EMPTY_LIST, MEMOIZE
  writeSync(fd, head);
  let written = head.length;
  // One block: MARK, 2000 × (SHORT_BINUNICODE key, BINFLOAT, TUPLE2), APPENDS, then a BINBYTES8 blob and APPEND.
  const parts: number[] = [0x28];
  for (let i = 0; i < 2000; i++) {
    const key = enc(`layer${i}.w`);
    parts.push(0x8c, key.length, ...key, 0x47, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x86);
  }
  parts.push(0x65);
  const blob = 256 * 1024;
  const blobHead = new Uint8Array(9);
  blobHead[0] = 0x8e;
  new DataView(blobHead.buffer).setBigUint64(1, BigInt(blob), true);
  const small = Uint8Array.from(parts);
  const blobBytes = new Uint8Array(blob);
  while (written < target) {
    writeSync(fd, small);
    writeSync(fd, blobHead);
    writeSync(fd, blobBytes);
    writeSync(fd, Uint8Array.of(0x61));
    written += small.length + blobHead.length + blob + 1;
  }
  writeSync(fd, Uint8Array.of(0x2e));
  closeSync(fd);
}

function scanFile(
  path: string,
  maxPickleOpcodes = 50_000_000,
): { ok: boolean; opcodes: number; findings: number } {
  const source = openFileSource(path);
  try {
    const r = walkPickle(source, { budget: new Budget({ maxPickleOpcodes }) });
    const findings = r.findings.length + evaluatePickle(r, policy).length;
    return { ok: r.complete && r.findings.length === 0, opcodes: r.opcodes, findings };
  } finally {
    source.close();
  }
}

function fmt(n: number, digits = 1): string {
  return n.toFixed(digits);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modelvet-pickle-bench-"));
  try {
    const python =
      existsSync(PYTHON) &&
      spawnSync(PYTHON, ["-c", MAKE_PY, dir], { stdio: "inherit" }).status === 0;
    const bigPath = join(dir, "big.pkl");
    if (!python) {
      console.log("python not available: using a TS-built benign stream, no genops comparison");
      writeBenign(bigPath, 110 * MB);
    }
    const bigSize = statSync(bigPath).size;

    // 1a. one large benign pickle
    scanFile(bigPath); // warm-up
    let t = performance.now();
    const big = scanFile(bigPath);
    const bigSeconds = (performance.now() - t) / 1000;
    console.log(
      `large pickle: ${fmt(bigSize / MB)} MB, ${big.opcodes} opcodes, walk+evaluate ${fmt(bigSeconds, 2)} s = ${fmt(bigSize / MB / bigSeconds)} MB/s (complete: ${big.ok})`,
    );

    // 1b. 1,000 small pickles
    let smallBytes = 0;
    let smallSeconds = 0;
    if (python) {
      const smallDir = join(dir, "small");
      const names = readdirSync(smallDir).sort();
      const blobs = names.map((n) => join(smallDir, n));
      for (const p of blobs) scanFile(p); // warm-up
      t = performance.now();
      let ok = 0;
      for (const p of blobs) {
        smallBytes += statSync(p).size;
        if (scanFile(p).ok) ok++;
      }
      smallSeconds = (performance.now() - t) / 1000;
      console.log(
        `1,000 small pickles: ${fmt(smallBytes / 1024)} KiB total, ${fmt(smallSeconds * 1000)} ms = ${fmt(names.length / smallSeconds, 0)} files/s (${ok} complete; includes open/read/close)`,
      );

      const g = spawnSync(PYTHON, ["-c", GENOPS_PY, dir], { encoding: "utf8" });
      if (g.status === 0) {
        const figures = JSON.parse(g.stdout) as { big: number; ops: number; small: number };
        console.log(
          `pickletools.genops, same bytes: large ${fmt(figures.big, 2)} s = ${fmt(bigSize / MB / figures.big)} MB/s (${figures.ops} opcodes); small ${fmt(figures.small * 1000)} ms = ${fmt(1000 / figures.small, 0)} files/s`,
        );
        console.log(
          `speed-up over genops: large ${fmt(figures.big / bigSeconds)}x, small ${fmt(figures.small / smallSeconds)}x (target >= 5x)`,
        );
      } else {
        console.log(`genops run failed: ${g.stderr}`);
      }
    }

    // 2. peak memory on a 1 GiB pickle, in a child process
    const hugePath = join(dir, "huge.pkl");
    writeBenign(hugePath, 1024 * MB);
    const child = spawnSync(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
      encoding: "utf8",
      env: { ...process.env, MODELVET_PICKLE_BENCH_CHILD: hugePath },
    });
    if (child.status !== 0) {
      console.log(`1 GiB scan failed: ${child.stderr}`);
    } else {
      const m = JSON.parse(child.stdout.trim().split("\n").pop() as string) as {
        seconds: number;
        maxRssMB: number;
        baseRssMB: number;
        opcodes: number;
        ok: boolean;
      };
      const size = statSync(hugePath).size;
      console.log(
        `1 GiB pickle: ${fmt(size / MB, 0)} MB, ${m.opcodes} opcodes in ${fmt(m.seconds, 2)} s = ${fmt(size / MB / m.seconds)} MB/s; peak RSS ${fmt(m.maxRssMB)} MB (process baseline ${fmt(m.baseRssMB)} MB; target < 256 MB; complete: ${m.ok})`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Child mode: scan one file and report this process's peak RSS.
const childPath = process.env.MODELVET_PICKLE_BENCH_CHILD;
if (
  childPath !== undefined &&
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === process.argv[1]
) {
  const baseRssMB = process.memoryUsage().rss / MB;
  const t = performance.now();
  const r = scanFile(childPath, 2_000_000_000);
  const seconds = (performance.now() - t) / 1000;
  const maxRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(JSON.stringify({ seconds, maxRssMB, baseRssMB, opcodes: r.opcodes, ok: r.ok }));
}
