/**
 * Container benchmarks (run: node --import tsx bench/run.ts containers).
 *
 * 1. A 2 GiB PyTorch zip checkpoint (stored `archive/data/0` of 2^29 floats, the same hand-made
 *    data.pkl as a 2 MiB one): time, bytes read and peak RSS. The tensor bytes must not be read.
 * 2. A legacy stacked checkpoint of the same size: the scan reads the five pickles and the 8-byte
 *    count, never the storage bytes.
 * 3. A folder of 1,000 mixed small files (the committed fixtures, copied round-robin): files/s.
 *
 * Big files are sparse (written with positional writes past a hole), so generating them is fast
 * and takes no disk space worth mentioning.
 */
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { crc32 } from "node:zlib";
import { openFileSource, walkPaths } from "../src/io/files.js";
import { loadScanPolicy } from "../src/io/policy-files.js";
import { scanSource } from "../src/scan/dispatch.js";
import type { ByteSource } from "../src/scan/source.js";

const enc = new TextEncoder();
const latin = (s: string) => Uint8Array.from([...s].map((c) => c.charCodeAt(0)));
const le = (n: number, width: number) => {
  const b = new Uint8Array(width);
  const dv = new DataView(b.buffer);
  if (width === 2) dv.setUint16(0, n, true);
  else if (width === 4) dv.setUint32(0, n >>> 0, true);
  else dv.setBigUint64(0, BigInt(n), true);
  return b;
};
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const str = (s: string) => cat(latin("X"), le(s.length, 4), enc.encode(s));

/** {'weight': _rebuild_tensor_v2(<persistent storage id>, 0, (n,), (1,), False, OrderedDict())} */
function stateDictPickle(numel: number, legacy: boolean): Uint8Array {
  const pid = cat(
    latin("("),
    str("storage"),
    latin("ctorch\nFloatStorage\n"),
    str("0"),
    str("cpu"),
    latin("J"),
    le(numel, 4),
    legacy ? latin("N") : new Uint8Array(),
    latin("tQ"),
  );
  return cat(
    latin("\x80\x02}(X"),
    le(6, 4),
    latin("weight"),
    latin("ctorch._utils\n_rebuild_tensor_v2\n("),
    pid,
    latin("K\x00J"),
    le(numel, 4),
    latin("\x85K\x01\x85\x89ccollections\nOrderedDict\n)RtRu."),
  );
}

interface Written {
  path: string;
  size: number;
}

/** A stored zip like torch.save writes: data.pkl, data/0 (sparse zeros), version. */
function writeTorchZip(path: string, dataBytes: number): Written {
  const pickle = stateDictPickle(dataBytes / 4, false);
  const fd = openSync(path, "w");
  const central: Uint8Array[] = [];
  let at = 0;
  const zeroCrc = (() => {
    const chunk = new Uint8Array(1 << 20);
    let crc = 0;
    for (let done = 0; done < dataBytes; done += chunk.length)
      crc = crc32(chunk.subarray(0, Math.min(chunk.length, dataBytes - done)), crc);
    return crc >>> 0;
  })();
  const add = (name: string, size: number, crc: number, body?: Uint8Array) => {
    const n = enc.encode(name);
    const local = cat(
      le(0x04034b50, 4),
      le(20, 2),
      le(0, 2),
      le(0, 2),
      le(0, 4),
      le(crc, 4),
      le(size, 4),
      le(size, 4),
      le(n.length, 2),
      le(0, 2),
      n,
    );
    central.push(
      cat(
        le(0x02014b50, 4),
        le(20, 2),
        le(20, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(crc, 4),
        le(size, 4),
        le(size, 4),
        le(n.length, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 2),
        le(0, 4),
        le(at, 4),
        n,
      ),
    );
    writeSync(fd, local, 0, local.length, at);
    if (body) writeSync(fd, body, 0, body.length, at + local.length);
    at += local.length + size;
  };
  add("archive/data.pkl", pickle.length, crc32(pickle) >>> 0, pickle);
  add("archive/data/0", dataBytes, zeroCrc);
  add("archive/version", 2, crc32(enc.encode("3\n")) >>> 0, enc.encode("3\n"));
  const cd = cat(...central);
  const eocd = cat(
    le(0x06054b50, 4),
    le(0, 2),
    le(0, 2),
    le(3, 2),
    le(3, 2),
    le(cd.length, 4),
    le(at, 4),
    le(0, 2),
  );
  const tail = cat(cd, eocd);
  writeSync(fd, tail, 0, tail.length, at);
  closeSync(fd);
  return { path, size: at + tail.length };
}

/** The legacy stacked format with one storage of `dataBytes` (sparse zeros). */
function writeLegacy(path: string, dataBytes: number): Written {
  const magic = cat(
    latin("\x80\x02\x8a\x0a"),
    Uint8Array.from([0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]),
    latin("."),
  );
  const protocol = latin("\x80\x02M\xe9\x03.");
  const sysInfo = cat(latin("\x80\x02}("), str("little_endian"), latin("\x88u."));
  const keys = cat(latin("\x80\x02]("), str("0"), latin("e."));
  const head = cat(
    magic,
    protocol,
    sysInfo,
    stateDictPickle(dataBytes / 4, true),
    keys,
    le(dataBytes / 4, 8),
  );
  const fd = openSync(path, "w");
  writeSync(fd, head, 0, head.length, 0);
  // Last byte written so the file has its full size (the rest is a hole).
  writeSync(fd, new Uint8Array(1), 0, 1, head.length + dataBytes - 1);
  closeSync(fd);
  return { path, size: head.length + dataBytes };
}

function counting(source: ByteSource): ByteSource & { bytesRead: number; reads: number } {
  const wrapped = {
    size: source.size,
    bytesRead: 0,
    reads: 0,
    read(offset: number, length: number) {
      const out = source.read(offset, length);
      wrapped.bytesRead += out.length;
      wrapped.reads += 1;
      return out;
    },
  };
  return wrapped;
}

const policy = loadScanPolicy();
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;

async function scanFile(label: string, file: Written): Promise<void> {
  const fileSource = openFileSource(file.path);
  const source = counting(fileSource);
  const start = process.hrtime.bigint();
  const node = await scanSource(source, { policy, path: label });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  fileSource.close();
  console.log(
    `${label.padEnd(28)} size ${mib(file.size).padStart(12)}  verdict ${node.verdict.padEnd(11)} ${ms.toFixed(1).padStart(8)} ms  read ${source.bytesRead} bytes in ${source.reads} reads  peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`,
  );
  if (node.verdict !== "clean") console.log(JSON.stringify(node, null, 1).slice(0, 2000));
}

function listFixtures(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFixtures(p));
    else if (e.isFile() && !e.name.endsWith(".json") && statSync(p).size < 64 * 1024) out.push(p);
  }
  return out;
}

/** 1,000 files copied round-robin from `sources` into `folder`, scanned as `modelvet scan` would. */
async function scanFolder(folder: string, sources: string[], label: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const from = sources[i % sources.length]!;
    const sub = join(folder, String(Math.floor(i / 100)));
    mkdirSync(sub, { recursive: true });
    copyFileSync(from, join(sub, `${i}-${relative("fixtures", from).replaceAll("/", "_")}`));
  }
  const start = process.hrtime.bigint();
  const entries = walkPaths([folder]);
  const verdicts: Record<string, number> = {};
  for (const entry of entries) {
    if (entry.kind !== "file") continue;
    const source = openFileSource(entry.absolute);
    const node = await scanSource(source, { policy, path: entry.path });
    source.close();
    verdicts[node.verdict] = (verdicts[node.verdict] ?? 0) + 1;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `folder of ${entries.length} files, ${label} (${sources.length} distinct): ${seconds.toFixed(2)} s, ${(entries.length / seconds).toFixed(0)} files/s, verdicts ${JSON.stringify(verdicts)}, peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`,
  );
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "modelvet-bench-containers-"));
  try {
    const big = 2 * 1024 * 1024 * 1024;
    const small = 2 * 1024 * 1024;
    await scanFile("torch zip 2 MiB", writeTorchZip(join(dir, "small.pt"), small));
    await scanFile("torch zip 2 GiB", writeTorchZip(join(dir, "big.pt"), big));
    await scanFile("legacy stack 2 MiB", writeLegacy(join(dir, "small-legacy.pt"), small));
    await scanFile("legacy stack 2 GiB", writeLegacy(join(dir, "big-legacy.pt"), big));
    rmSync(join(dir, "big.pt"));
    rmSync(join(dir, "big-legacy.pt"));

    await scanFolder(join(dir, "all"), listFixtures("fixtures").sort(), "every fixture area");
    await scanFolder(
      join(dir, "containers"),
      listFixtures("fixtures/containers").sort(),
      "container fixtures only",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
