/**
 * Download and hashing figures (measurements only, never pass/fail):
 *
 * 1. SHA-256 of one big file: openssl dgst, our verifier's path (node:crypto over a 1 MiB-chunk
 *    read stream) and the exact `verifyCachedBlob`, same file, same run (page cache warm for all).
 *    Then 4 files in parallel: openssl ×4, `verifyCachedBlob` ×4 on the main thread, and a
 *    worker_threads version (bench-only) to show what using every core would give.
 * 2. The same bytes pulled from the fixture Hub (resolve → 302 → CDN origin, loopback): curl vs
 *    `downloadToCache` in a child process (bench/pull-child.ts) so its peak RSS can be read.
 *
 * The file is 2 GB (1 GB when /tmp has under 10 GB free), pseudo-random, deleted afterwards.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { verifyCachedBlob } from "../src/io/download.js";
import { startFixtureHub } from "../test/helpers/fixture-hub/index.js";
import { fmtMs, freeBytes, MB, MiB, machineFacts, mbps, runTimed, table } from "./proc.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const syncDisk = () => execFileSync("sync");

/**
 * Incompressible bytes, cheaply: one 16 MiB random block, copied, with the block number stamped
 * every 4 KiB so no two blocks are equal (randomFillSync over 2 GB takes ~15 s on a loaded box).
 */
function makeData(size: number): Buffer {
  const block = 16 * MiB;
  const base = randomFillSync(Buffer.allocUnsafe(block));
  const data = Buffer.allocUnsafe(size);
  for (let at = 0, n = 0; at < size; at += block, n++) {
    const end = Math.min(size, at + block);
    base.copy(data, at, 0, end - at);
    for (let p = at; p + 8 <= end; p += 4096) data.writeUInt32LE(n, p);
  }
  return data;
}

/** A variant for the recommendation: one reused buffer read with FileHandle.read, no stream. */
async function reusedBufferSha256(path: string, chunk: number): Promise<string> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(chunk);
  const handle = await open(path, "r");
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunk, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

/** What `verifyCachedBlob` does for one file, minus the size/digest comparison. */
async function streamSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: MiB }))
    hash.update(chunk as Buffer);
  return hash.digest("hex");
}

const WORKER_SOURCE = `
const { createHash } = require("node:crypto");
const { createReadStream } = require("node:fs");
const { parentPort, workerData } = require("node:worker_threads");
(async () => {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(workerData, { highWaterMark: 1 << 20 })) hash.update(chunk);
  parentPort.postMessage(hash.digest("hex"));
})();
`;

function hashInWorker(path: string): Promise<string> {
  return new Promise((ok, fail) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: path });
    worker.once("message", (hex: string) => {
      ok(hex);
      void worker.terminate();
    });
    worker.once("error", fail);
  });
}

/** `downloadToCache` from the built dist/ in plain node (no tsx loader): the shipped CLI's footprint. */
const DIST_CHILD = `
const [hubUrl, repo, commit, path, size, sha256, dir] = process.argv.slice(1);
const { RepoCache } = await import("./dist/io/cache-layout.js");
const { downloadToCache } = await import("./dist/io/download.js");
const { HubClient } = await import("./dist/io/hub.js");
const client = new HubClient({ hubUrl, token: undefined });
const start = process.hrtime.bigint();
const r = await downloadToCache({
  cache: new RepoCache(dir, repo),
  path,
  url: client.resolveUrl(repo, commit, path),
  expected: { size: Number(size), gitOid: "", lfsSha256: sha256 },
  fetch: client.streamingFetch(),
  auth: client.authFor(),
});
const downloadMs = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(JSON.stringify({ status: r.status, sha256: r.sha256, downloadMs }) + "\\n");
`;

function distBuilt(): boolean {
  try {
    return statSync(join(root, "dist", "io", "download.js")).isFile();
  } catch {
    return false;
  }
}

const opensslHex = (stdout: string) => stdout.trim().split(/\s+/).pop() ?? "";

interface Timed<T> {
  value: T;
  wallMs: number;
  cpuMs: number;
  /** Share of the wall time the main thread's event loop was busy (1.0 = the main thread is the limit). */
  elu: number;
}

async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const start = process.hrtime.bigint();
  const value = await work();
  return {
    value,
    wallMs: elapsed(start),
    cpuMs: cpuMs(process.cpuUsage(cpu)),
    elu: performance.eventLoopUtilization(elu).utilization,
  };
}

const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;

async function hashing(big: string, size: number, dir: string): Promise<void> {
  console.log(
    `\n-- 1. SHA-256 of one ${(size / MB).toFixed(0)} MB file (page cache warm; ${load()})`,
  );
  syncDisk();
  const ossl = await runTimed("openssl", ["dgst", "-sha256", big]);
  const reference = opensslHex(ossl.stdout);
  const stream = await timed(() => streamSha256(big));
  const verify = await timed(() =>
    verifyCachedBlob("big.bin", big, { size, gitOid: "", lfsSha256: reference }),
  );
  const verified = "sha256" in verify.value && verify.value.sha256 === reference;
  const reused1 = await timed(() => reusedBufferSha256(big, MiB));
  const reused4 = await timed(() => reusedBufferSha256(big, 4 * MiB));
  const osslCpu = ossl.cpuS === undefined ? Number.NaN : ossl.cpuS * 1000;
  const osslRate = mbps(size, ossl.wallMs);
  const osslCpuRate = mbps(size, osslCpu);
  const row = (name: string, wall: number, cpu: number, ok: boolean) => [
    name,
    fmtMs(wall),
    mbps(size, wall).toFixed(0),
    (mbps(size, wall) / osslRate).toFixed(2),
    fmtMs(cpu),
    mbps(size, cpu).toFixed(0),
    (mbps(size, cpu) / osslCpuRate).toFixed(2),
    ok ? "yes" : "NO",
  ];
  console.log(
    table([
      ["path", "wall", "MB/s", "vs openssl", "CPU", "MB/CPU-s", "vs openssl", "digest ok"],
      row("openssl dgst -sha256 (child)", ossl.wallMs, osslCpu, ossl.code === 0),
      row(
        "node:crypto, 1 MiB read stream",
        stream.wallMs,
        stream.cpuMs,
        stream.value === reference,
      ),
      row("verifyCachedBlob (LFS: sha256 only)", verify.wallMs, verify.cpuMs, verified),
      row(
        "variant: reused 1 MiB buffer, FileHandle.read",
        reused1.wallMs,
        reused1.cpuMs,
        reused1.value === reference,
      ),
      row(
        "variant: reused 4 MiB buffer, FileHandle.read",
        reused4.wallMs,
        reused4.cpuMs,
        reused4.value === reference,
      ),
    ]),
  );
  console.log(
    "MB/CPU-s (bytes per second of user+sys CPU) is the fairer ratio when other work shares the cores.",
  );

  const parts = 4;
  const partSize = Math.floor(size / parts);
  console.log(
    `\n-- 1b. ${parts} × ${(partSize / MB).toFixed(0)} MB hashed in parallel (nproc ${availableParallelism()}; ${load()})`,
  );
  const files: string[] = [];
  const whole = await open(big, "r");
  try {
    for (let i = 0; i < parts; i++) {
      const f = join(dir, `part-${i}.bin`);
      const piece = Buffer.allocUnsafe(partSize);
      await whole.read(piece, 0, partSize, i * partSize);
      writeFileSync(f, piece);
      files.push(f);
    }
  } finally {
    await whole.close();
  }
  syncDisk();
  const total = partSize * parts;
  const osslStart = process.hrtime.bigint();
  const osslRuns = await Promise.all(files.map((f) => runTimed("openssl", ["dgst", "-sha256", f])));
  const osslWall = elapsed(osslStart);
  const osslTotalCpu = osslRuns.reduce((s, r) => s + (r.cpuS ?? Number.NaN), 0) * 1000;
  const refs = osslRuns.map((r) => opensslHex(r.stdout));
  const main = await timed(() =>
    Promise.all(
      files.map((f, i) =>
        verifyCachedBlob(f, f, { size: partSize, gitOid: "", lfsSha256: refs[i] }),
      ),
    ),
  );
  const mainOk = main.value.every((r, i) => "sha256" in r && r.sha256 === refs[i]);
  const workers = await timed(() => Promise.all(files.map((f) => hashInWorker(f))));
  const workersOk = workers.value.every((hex, i) => hex === refs[i]);
  const prow = (name: string, wall: number, cpu: number, elu: string, ok: boolean) => [
    name,
    fmtMs(wall),
    mbps(total, wall).toFixed(0),
    fmtMs(cpu),
    (cpu / wall).toFixed(2),
    elu,
    ok ? "yes" : "NO",
  ];
  console.log(
    table([
      ["path", "wall", "MB/s total", "CPU", "CPU/wall", "main-thread busy", "digests ok"],
      prow(
        `openssl ×${parts} (children)`,
        osslWall,
        osslTotalCpu,
        "-",
        refs.every((r) => /^[0-9a-f]{64}$/.test(r)),
      ),
      prow(
        `verifyCachedBlob ×${parts} (Promise.all, main thread)`,
        main.wallMs,
        main.cpuMs,
        main.elu.toFixed(2),
        mainOk,
      ),
      prow(
        `worker_threads ×${parts} (bench-only sketch)`,
        workers.wallMs,
        workers.cpuMs,
        workers.elu.toFixed(2),
        workersOk,
      ),
    ]),
  );
  console.log(
    "CPU/wall ≈ cores kept busy (2.0 = both cores). main-thread busy ≈ 1.0 means the event loop is the limit.",
  );
  for (const f of files) rmSync(f, { force: true });
}

async function pulling(data: Buffer, size: number, dir: string): Promise<void> {
  console.log(
    `\n-- 2. Pull ${(size / MB).toFixed(0)} MB from the fixture Hub on loopback (resolve → 302 → CDN; ${load()})`,
  );
  const hub = await startFixtureHub();
  try {
    const repo = "acme/tiny-safetensors";
    const path = "bench/big.bin";
    const t = process.hrtime.bigint();
    // The fixture Hub keeps files in memory (StoredFile.bytes); pushCommit copies and hashes them.
    const commit = hub.pushCommit(repo, {
      branch: "main",
      message: "bench: big file",
      files: { [path]: data },
    });
    const file = hub.file(repo, commit, path);
    console.log(`fixture Hub loaded the file in ${fmtMs(elapsed(t))} (lfs: ${file.lfs})`);
    const url = `${hub.url}/${repo}/resolve/${commit}/${path}`;

    syncDisk();
    const out = join(dir, "curl.bin");
    const curl = await runTimed("curl", ["-s", "-f", "-L", "-o", out, url]);
    const curlOk = curl.code === 0 && statSync(out).size === size;
    const fsyncStart = process.hrtime.bigint();
    const outFd = openSync(out, "r+");
    fsyncSync(outFd);
    closeSync(outFd);
    const curlFsyncMs = elapsed(fsyncStart);
    rmSync(out, { force: true });

    syncDisk();
    const child = async (
      mode: "cache" | "http" | "http-batched" | "fetch-only" | "baseline" | "dist",
    ) => {
      const target = join(dir, mode);
      const args =
        mode === "baseline"
          ? [mode]
          : [mode, hub.url, repo, commit, path, String(size), file.sha256, target];
      syncDisk();
      const stats = await runTimed(
        process.execPath,
        mode === "dist"
          ? ["--input-type=module", "-e", DIST_CHILD, ...args.slice(1)]
          : ["--import", "tsx", join(here, "pull-child.ts"), ...args],
        { ...process.env },
        root,
      );
      rmSync(target, { recursive: true, force: true });
      const line = stats.stdout.trim().split("\n").pop() ?? "";
      let report:
        | {
            status: string;
            sha256?: string;
            downloadMs: number;
            streamMs?: number;
            fsyncMs?: number;
          }
        | undefined;
      try {
        report = stats.code === 0 ? JSON.parse(line) : undefined;
      } catch {
        report = undefined;
      }
      if (report === undefined)
        console.log(`child ${mode} failed (exit ${stats.code}): ${stats.stderr.slice(0, 500)}`);
      return { stats, report, ok: report?.sha256 === file.sha256 };
    };
    // The shipped build first, then the same code under tsx: a large gap between the two rows is
    // the box's noise, not the code (they run the same download.ts).
    const dist = distBuilt() ? await child("dist") : undefined;
    const ours = await child("cache");
    const http = await child("http");
    const batched = await child("http-batched");
    const fetchOnly = await child("fetch-only");
    const baseline = await child("baseline");
    const distBaseline = await runTimed(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        'await import("./dist/io/download.js"); await import("./dist/io/hub.js");',
      ],
      { ...process.env },
      root,
    );

    const curlRate = mbps(size, curl.wallMs);
    const rss = (k: number | undefined) => (k === undefined ? "?" : `${(k / 1024).toFixed(0)} MiB`);
    const cpu = (s: number | undefined) => (s === undefined ? "?" : fmtMs(s * 1000));
    const rate = (ms: number) => [
      fmtMs(ms),
      mbps(size, ms).toFixed(0),
      (mbps(size, ms) / curlRate).toFixed(2),
    ];
    const dl = (c: typeof ours) => (c.report ? rate(c.report.downloadMs) : ["-", "-", "-"]);
    console.log(
      table([
        ["client", "wall", "MB/s", "vs curl", "CPU", "peak RSS", "bytes ok"],
        [
          "curl -s -L -o (no fsync)",
          ...rate(curl.wallMs),
          cpu(curl.cpuS),
          rss(curl.maxRssKiB),
          curlOk ? "yes" : "NO",
        ],
        ["curl, then fsync of its file", ...rate(curl.wallMs + curlFsyncMs), "", "", ""],
        [
          "downloadToCache in a child (hash+write+fsync)",
          ...dl(ours),
          cpu(ours.stats.cpuS),
          rss(ours.stats.maxRssKiB),
          ours.ok ? "yes" : "NO",
        ],
        [
          "  same child, whole process incl. node+tsx start",
          ...rate(ours.stats.wallMs),
          "",
          "",
          "",
        ],
        [
          "sketch: node:http instead of fetch, same work",
          ...dl(http),
          cpu(http.stats.cpuS),
          rss(http.stats.maxRssKiB),
          http.ok ? "yes" : "NO",
        ],
        [
          "sketch: node:http, 4 MiB writev batches",
          ...dl(batched),
          cpu(batched.stats.cpuS),
          rss(batched.stats.maxRssKiB),
          batched.ok ? "yes" : "NO",
        ],
        [
          "floor: fetch only, body dropped (no hash, no write)",
          ...dl(fetchOnly),
          cpu(fetchOnly.stats.cpuS),
          rss(fetchOnly.stats.maxRssKiB),
          fetchOnly.report?.status === "verified" ? "(size)" : "NO",
        ],
        [
          "baseline: child imports only (node+tsx)",
          fmtMs(baseline.stats.wallMs),
          "",
          "",
          cpu(baseline.stats.cpuS),
          rss(baseline.stats.maxRssKiB),
          "",
        ],
        dist === undefined
          ? [
              "downloadToCache from dist/: skipped (no dist/, npm run build)",
              "",
              "",
              "",
              "",
              "",
              "",
            ]
          : [
              "downloadToCache from dist/, plain node (shipped CLI)",
              ...dl(dist),
              cpu(dist.stats.cpuS),
              rss(dist.stats.maxRssKiB),
              dist.ok ? "yes" : "NO",
            ],
        [
          "baseline: plain node importing dist/ (no tsx)",
          fmtMs(distBaseline.wallMs),
          "",
          "",
          cpu(distBaseline.cpuS),
          distBaseline.code === 0 ? rss(distBaseline.maxRssKiB) : "no dist/",
          "",
        ],
      ]),
    );
    const split = (name: string, c: typeof http) =>
      c.report?.streamMs === undefined
        ? ""
        : `${name}: ${fmtMs(c.report.streamMs)} to the last byte (${mbps(size, c.report.streamMs).toFixed(0)} MB/s) + ${fmtMs(c.report.fsyncMs ?? 0)} fsync`;
    console.log(
      [
        `curl: ${fmtMs(curl.wallMs)} to the last byte + ${fmtMs(curlFsyncMs)} fsync`,
        split("node:http sketch", http),
        split("4 MiB writev sketch", batched),
      ].join("; "),
    );
    console.log(
      "targets: downloadToCache ≥ 0.8× curl, peak RSS < 200 MB. The fixture Hub serves from this process (its CPU is in neither row); wall times are from the child (download only) unless marked.",
    );
  } finally {
    await hub.close();
  }
}

export async function run(): Promise<void> {
  console.log(machineFacts());
  const size = freeBytes(tmpdir()) >= 10e9 ? 2e9 : 1e9;
  if (size < 2e9) console.log("under 10 GB free in tmp: using a 1 GB file instead of 2 GB");
  const dir = mkdtempSync(join(tmpdir(), "modelvet-bench-pull-"));
  try {
    const big = join(dir, "big.bin");
    let t = process.hrtime.bigint();
    const data = makeData(size);
    writeFileSync(big, data);
    console.log(
      `generated and wrote ${(size / MB).toFixed(0)} MB of random-ish bytes in ${fmtMs(elapsed(t))}`,
    );
    t = process.hrtime.bigint();
    syncDisk();
    console.log(`sync after writing: ${fmtMs(elapsed(t))}`);
    await hashing(big, size, dir);
    await pulling(data, size, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
