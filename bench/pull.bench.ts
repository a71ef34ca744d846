/**
 * Download and hashing figures (measurements only, never pass/fail):
 *
 * 1. SHA-256 of one big file: openssl dgst, our verifier's path (node:crypto over a 1 MiB-chunk
 *    read stream) and the exact `verifyCachedBlob`, same file, same run (page cache warm for all).
 *    Then 4 files in parallel: openssl ×4, `verifyCachedBlob` ×4 on the main thread, and a
 *    worker_threads version (bench-only) to show what using every core would give.
 * 2. The same bytes pulled from the fixture Hub (resolve → 302 → CDN origin, loopback): curl and
 *    `downloadToCache` (from dist/ as shipped, and with the inline sink forced) alternating
 *    with `dd conv=fdatasync` of the same bytes (the disk's durable write rate: curl writes into
 *    the page cache, our blobs are fsynced before their rename, so this bounds us on this disk)
 *    in each of MODELVET_BENCH_PULL_PASSES passes (default 3), each in a child process so its CPU
 *    and peak RSS can be read (bench/pull-child.ts); then the floors (node:http and fetch with the
 *    body dropped) and the downloader without its background fdatasync, once each.
 *
 * The file is 2 GB (1 GB when /tmp has under 10 GB free), pseudo-random, deleted afterwards.
 * MODELVET_BENCH_SKIP_HASHING=1 runs only section 2.
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

/**
 * `downloadToCache` from the built dist/ in plain node (no tsx loader): what the shipped CLI runs
 * per file. Same JSON line as bench/pull-child.ts.
 *
 * It first loads the modules `modelvet pull` has loaded when it downloads (dist/cli/program.js and
 * the lazily imported dist/cli/commands/pull.js, which brings app/pull.js and the scanners).
 * That matters: V8 sizes its old-generation limit from the live heap, and socket buffers count
 * against it, so a process holding only the downloader (~10 MB of heap) ran 100-190 full
 * mark-compacts per 2 GB and ~1 s more CPU per GB, where the CLI's own heap (or tsx's) runs 0-2.
 * MODELVET_BENCH_BARE_DIST=1 skips the CLI modules to show that.
 */
const DIST_CHILD = `
import { constants, PerformanceObserver } from "node:perf_hooks";
const [hubUrl, repo, commit, path, size, sha256, dir] = process.argv.slice(1);
if (process.env.MODELVET_BENCH_BARE_DIST === undefined) {
  await import("./dist/cli/program.js");
  await import("./dist/cli/commands/pull.js");
}
const { RepoCache } = await import("./dist/io/cache-layout.js");
const { downloadToCache } = await import("./dist/io/download.js");
const { HubClient } = await import("./dist/io/hub.js");
const gc = { major: 0, minor: 0 };
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++; else gc.minor++;
  }
});
observer.observe({ entryTypes: ["gc"] });
const client = new HubClient({ hubUrl, token: undefined });
const start = process.hrtime.bigint();
const r = await downloadToCache({
  cache: new RepoCache(dir, repo),
  path,
  url: client.resolveUrl(repo, commit, path),
  expected: { size: Number(size), gitOid: "", lfsSha256: sha256 },
  ...client.transferOptions(),
  auth: client.authFor(),
  sink: JSON.parse(process.env.MODELVET_BENCH_SINK ?? "{}"),
});
const downloadMs = Number(process.hrtime.bigint() - start) / 1e6;
observer.disconnect();
process.stdout.write(JSON.stringify({ status: r.status, sha256: r.sha256, downloadMs, gc }) + "\\n");
`;

/** dist/ holds a build at least as new as every downloader source. */
function distFresh(): boolean {
  try {
    const built = statSync(join(root, "dist", "io", "download.js")).mtimeMs;
    return [
      "download.ts",
      "download-sink.ts",
      "blob-writer.ts",
      "download-sink-threaded.ts",
      "download-sink-worker.ts",
      "thread-pool.ts",
      "http-get.ts",
      "fetch.ts",
      "hub.ts",
    ].every((f) => statSync(join(root, "src", "io", f)).mtimeMs <= built);
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

interface ChildReport {
  status: string;
  sha256?: string;
  downloadMs: number;
  gc?: { major: number; minor: number };
}

interface PullRun {
  /** Download time: curl's whole process; our children's time from the request to the renamed blob. */
  ms: number;
  /** The whole child process, start-up included. */
  processMs: number;
  cpuS: number | undefined;
  rssKiB: number | undefined;
  ok: boolean;
  gc?: { major: number; minor: number } | undefined;
}

const range = (xs: number[], digits = 2) =>
  xs.length === 0 ? "-" : `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * The same bytes pulled from the fixture Hub (resolve → 302 → CDN origin, loopback), alternating
 * curl and our downloader in each pass so both see the same load, then the floors once.
 */
async function pulling(data: Buffer, size: number, dir: string, big: string): Promise<void> {
  const passes = Math.max(1, Number(process.env.MODELVET_BENCH_PULL_PASSES ?? 3));
  console.log(
    `\n-- 2. Pull ${(size / MB).toFixed(0)} MB from the fixture Hub on loopback (resolve → 302 → CDN), ${passes} alternating passes (${load()})`,
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
    const childArgs = (target: string) => [
      hub.url,
      repo,
      commit,
      path,
      String(size),
      file.sha256,
      target,
    ];

    const curl = async (): Promise<PullRun & { fsyncMs: number }> => {
      const out = join(dir, "curl.bin");
      syncDisk();
      const r = await runTimed("curl", ["-s", "-f", "-L", "-o", out, url]);
      const ok = r.code === 0 && statSync(out).size === size;
      const fsyncStart = process.hrtime.bigint();
      const fd = openSync(out, "r+");
      fsyncSync(fd);
      closeSync(fd);
      const fsyncMs = elapsed(fsyncStart);
      rmSync(out, { force: true });
      return {
        ms: r.wallMs,
        processMs: r.wallMs,
        cpuS: r.cpuS,
        rssKiB: r.maxRssKiB,
        ok,
        fsyncMs,
      };
    };
    /**
     * The disk's durable write rate for the same bytes: dd from the page cache (`big` was just
     * written) with one fdatasync at the end, as a verified blob must be durable before its rename.
     * No pull that fsyncs its file can beat this on this disk, whatever its CPU path.
     */
    const durable = async (): Promise<{ ms: number; ok: boolean }> => {
      const out = join(dir, "dd.bin");
      syncDisk();
      const r = await runTimed("dd", [`if=${big}`, `of=${out}`, "bs=1M", "conv=fdatasync"]);
      const ok = r.code === 0 && statSync(out).size === size;
      rmSync(out, { force: true });
      return { ms: r.wallMs, ok };
    };
    const child = async (
      kind:
        | "dist"
        | "dist-inline"
        | "tsx"
        | "http-only"
        | "undici-only"
        | "fetch-only"
        | "baseline",
      extra: string[] = [],
    ): Promise<PullRun | undefined> => {
      const target = join(dir, `child-${kind}`);
      syncDisk();
      const argv =
        kind === "dist" || kind === "dist-inline"
          ? ["--input-type=module", "-e", DIST_CHILD, ...childArgs(target)]
          : kind === "baseline"
            ? ["--import", "tsx", join(here, "pull-child.ts"), "baseline"]
            : [
                "--import",
                "tsx",
                join(here, "pull-child.ts"),
                kind === "tsx" ? "cache" : kind,
                ...childArgs(target),
                ...extra,
              ];
      const env =
        kind === "dist-inline"
          ? { ...process.env, MODELVET_BENCH_SINK: JSON.stringify({ offThreadMinBytes: 2 ** 53 }) }
          : { ...process.env };
      const r = await runTimed(process.execPath, argv, env, root);
      rmSync(target, { recursive: true, force: true });
      let report: ChildReport | undefined;
      try {
        report = r.code === 0 ? JSON.parse(r.stdout.trim().split("\n").pop() ?? "") : undefined;
      } catch {
        report = undefined;
      }
      if (report === undefined) {
        console.log(`child ${kind} failed (exit ${r.code}): ${r.stderr.slice(0, 500)}`);
        return undefined;
      }
      const ok =
        kind === "baseline" ||
        (kind === "http-only" || kind === "undici-only" || kind === "fetch-only"
          ? report.status === "verified"
          : report.sha256 === file.sha256);
      return {
        ms: report.downloadMs,
        processMs: r.wallMs,
        cpuS: r.cpuS,
        rssKiB: r.maxRssKiB,
        ok,
        gc: report.gc,
      };
    };

    const dist = distFresh();
    if (!dist)
      console.log("dist/ is missing or older than src/io: run `npm run build` for the dist rows");
    const rows: string[][] = [
      [
        "pass",
        "client",
        "wall",
        "MB/s",
        "vs curl",
        "vs curl+fsync",
        "CPU",
        "peak RSS",
        "major GCs",
        "bytes ok",
      ],
    ];
    const rss = (k: number | undefined) => (k === undefined ? "?" : `${(k / 1024).toFixed(0)} MiB`);
    const cpu = (s: number | undefined) => (s === undefined ? "?" : fmtMs(s * 1000));
    const ratios = {
      dist: [] as number[],
      tsx: [] as number[],
      "dist-inline": [] as number[],
      distFsync: [] as number[],
      distDurable: [] as number[],
      durableCurl: [] as number[],
    };
    const curlRates: number[] = [];
    const fsyncs: number[] = [];
    const peakRss: number[] = [];
    for (let pass = 1; pass <= passes; pass++) {
      const c = await curl();
      const curlRate = mbps(size, c.ms);
      curlRates.push(curlRate);
      fsyncs.push(c.fsyncMs);
      const withFsync = mbps(size, c.ms + c.fsyncMs);
      rows.push([
        String(pass),
        "curl -s -L -o (no fsync)",
        fmtMs(c.ms),
        curlRate.toFixed(0),
        "1.00",
        "",
        cpu(c.cpuS),
        rss(c.rssKiB),
        "",
        c.ok ? "yes" : "NO",
      ]);
      rows.push([
        String(pass),
        `  curl + fsync of its file (${fmtMs(c.fsyncMs)})`,
        fmtMs(c.ms + c.fsyncMs),
        withFsync.toFixed(0),
        (withFsync / curlRate).toFixed(2),
        "1.00",
        "",
        "",
        "",
        "",
      ]);
      const d = await durable();
      const durableRate = mbps(size, d.ms);
      ratios.durableCurl.push(durableRate / curlRate);
      rows.push([
        String(pass),
        "  disk: dd conv=fdatasync, same bytes (durable rate)",
        fmtMs(d.ms),
        durableRate.toFixed(0),
        (durableRate / curlRate).toFixed(2),
        (durableRate / withFsync).toFixed(2),
        "",
        "",
        "",
        d.ok ? "yes" : "NO",
      ]);
      for (const kind of dist ? (["dist", "dist-inline"] as const) : (["tsx"] as const)) {
        const r = await child(kind);
        if (r === undefined) continue;
        const rate = mbps(size, r.ms);
        ratios[kind].push(rate / curlRate);
        if (kind === "dist") {
          ratios.distFsync.push(rate / withFsync);
          ratios.distDurable.push(rate / durableRate);
        }
        if (r.rssKiB !== undefined) peakRss.push(r.rssKiB / 1024);
        rows.push([
          String(pass),
          kind === "dist"
            ? "downloadToCache, dist/ as shipped (worker sink)"
            : kind === "dist-inline"
              ? "  same, inline sink forced (hash+write here)"
              : "downloadToCache, src/ under tsx",
          fmtMs(r.ms),
          rate.toFixed(0),
          (rate / curlRate).toFixed(2),
          (rate / withFsync).toFixed(2),
          cpu(r.cpuS),
          rss(r.rssKiB),
          r.gc === undefined ? "" : String(r.gc.major),
          r.ok ? "yes" : "NO",
        ]);
      }
      console.log(`pass ${pass} done (${load()})`);
    }
    // The floors and the background-sync switch once each, after the alternating passes.
    const floors: [string, () => Promise<PullRun | undefined>][] = [
      ["downloadToCache under tsx, no background fdatasync", () => child("tsx", ["0"])],
      ["floor: node:http, body dropped (no hash, no write)", () => child("http-only")],
      ["floor: undici request + EnvHttpProxyAgent, body dropped", () => child("undici-only")],
      ["floor: fetch, body dropped (the old path's floor)", () => child("fetch-only")],
      ["baseline: child imports only (node+tsx)", () => child("baseline")],
    ];
    const lastCurl = curlRates[curlRates.length - 1]!;
    for (const [name, run] of floors) {
      const r = await run();
      if (r === undefined) continue;
      const baseline = name.startsWith("baseline");
      const rate = mbps(size, r.ms);
      rows.push([
        "-",
        name,
        baseline ? fmtMs(r.processMs) : fmtMs(r.ms),
        baseline ? "" : rate.toFixed(0),
        baseline ? "" : `${(rate / lastCurl).toFixed(2)}*`,
        "",
        cpu(r.cpuS),
        rss(r.rssKiB),
        r.gc === undefined ? "" : String(r.gc.major),
        r.ok ? "yes" : "NO",
      ]);
    }
    console.log(table(rows));
    console.log(
      [
        `curl ${range(curlRates, 0)} MB/s (median ${median(curlRates).toFixed(0)}); fsync of curl's file ${range(fsyncs, 0)} ms.`,
        `downloadToCache vs curl in the same pass: dist/ as shipped ${range(ratios.dist)} (median ${ratios.dist.length ? median(ratios.dist).toFixed(2) : "-"}), inline sink forced ${range(ratios["dist-inline"])}, under tsx ${range(ratios.tsx)}; dist/ vs curl+fsync ${range(ratios.distFsync)}.`,
        `the disk's durable write rate (dd conv=fdatasync) is ${range(ratios.durableCurl)}× curl's page-cache rate; dist/ reaches ${range(ratios.distDurable)} of that durable rate.`,
        `peak RSS of our children ${range(peakRss, 0)} MiB. * = against the last pass's curl.`,
        "targets: downloadToCache ≥ 0.8× curl, peak RSS < 200 MB. The fixture Hub serves from this process (its CPU is in no row); our wall is from the child's first request to the renamed, fsynced blob.",
      ].join("\n"),
    );
  } finally {
    await hub.close();
  }
}

export async function run(): Promise<void> {
  console.log(machineFacts());
  // MODELVET_BENCH_PULL_BYTES: another size (e.g. 5e8 on a loaded machine).
  const asked = Number(process.env.MODELVET_BENCH_PULL_BYTES ?? Number.NaN);
  const size = asked > 0 ? Math.floor(asked) : freeBytes(tmpdir()) >= 10e9 ? 2e9 : 1e9;
  if (size === 1e9) console.log("under 10 GB free in tmp: using a 1 GB file instead of 2 GB");
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
    if (process.env.MODELVET_BENCH_SKIP_HASHING === undefined) await hashing(big, size, dir);
    await pulling(data, size, dir, big);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
