/**
 * `modelvet ci` figures (measurements only, never pass/fail):
 *
 * - A fixture Hub with 100 small repos made at run time (a temp repos dir, then one pushCommit of
 *   a real safetensors file per repo), a project declaring all of them, and a lock made by
 *   `lockProject` (which also warms the cache).
 * - `runCi` metadata mode (tree + ref check per model, bounded concurrency): wall time, requests.
 * - `runCi --offline` with the warm cache (re-hash + rescan every file): files/s and MB/s, next to
 *   the raw hashing speed of the same blobs (openssl, node:crypto) in the same run.
 * - The same two runs through the CLI (bin/modelvet.js → dist/) as a user would, when dist/ exists.
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runCi } from "../src/app/ci.js";
import { lockProject } from "../src/app/lock.js";
import { loadPullPolicy } from "../src/app/session.js";
import { serializeLockfile } from "../src/core/lockfile.js";
import { parseProjectFile, serializeProjectFile } from "../src/core/project.js";
import { RepoCache } from "../src/io/cache-layout.js";
import { listSnapshot } from "../src/io/cache-store.js";
import { HubClient } from "../src/io/hub.js";
import { computePolicyDigest } from "../src/io/policy-digest.js";
import { startFixtureHub } from "../test/helpers/fixture-hub/index.js";
import { fmtMs, MB, MiB, machineFacts, mbps, runTimed, table } from "./proc.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const MODELS = 100;
const WEIGHTS = 4 * MiB;

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const elapsed = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`;
const repoName = (i: number) => `google-bert/bench-ci-${String(i).padStart(3, "0")}`;

/** A valid safetensors file: one F32 tensor of `bytes` bytes, the model index in its metadata. */
function safetensors(index: number, bytes: number): Buffer {
  let header = JSON.stringify({
    __metadata__: { bench: String(index) },
    weight: { dtype: "F32", shape: [bytes / 4], data_offsets: [0, bytes] },
  });
  header = header.padEnd(Math.ceil(header.length / 8) * 8, " ");
  const out = Buffer.alloc(8 + header.length + bytes);
  out.writeBigUInt64LE(BigInt(header.length), 0);
  out.write(header, 8, "utf8");
  const body = out.subarray(8 + header.length);
  for (let i = 0; i + 4 <= body.length; i += 4)
    body.writeFloatLE(((i * 2654435761) % 1000) / 1000 + index, i);
  return out;
}

function writeRepos(dir: string): void {
  for (let i = 0; i < MODELS; i++) {
    const [org, name] = repoName(i).split("/") as [string, string];
    const folder = join(dir, org, name);
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      join(folder, "repo.json"),
      JSON.stringify({
        id: repoName(i),
        purpose: "bench/ci.bench.ts: one of 100 small models (temporary)",
        commits: [
          {
            key: "init",
            message: "initial commit",
            date: "2025-01-01T00:00:00.000Z",
            files: {
              ".gitattributes": "*.safetensors filter=lfs diff=lfs merge=lfs -text\n",
              "config.json": JSON.stringify({
                architectures: ["BertModel"],
                model_type: "bert",
                bench: i,
              }),
            },
          },
        ],
        branches: { main: "init" },
      }),
    );
  }
}

async function rawSha256(path: string): Promise<string> {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(MiB);
  const handle = await open(path, "r");
  try {
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, MiB, null);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest("hex");
}

export async function run(): Promise<void> {
  console.log(machineFacts());
  const dir = mkdtempSync(join(tmpdir(), "modelvet-bench-ci-"));
  const reposDir = join(dir, "repos");
  const cacheDir = join(dir, "cache");
  const projectDir = join(dir, "project");
  let t = process.hrtime.bigint();
  writeRepos(reposDir);
  const hub = await startFixtureHub({ repos: reposDir });
  try {
    for (let i = 0; i < MODELS; i++) {
      hub.pushCommit(repoName(i), {
        branch: "main",
        message: "Add weights",
        files: { "model.safetensors": safetensors(i, WEIGHTS) },
      });
    }
    console.log(
      `fixture Hub with ${MODELS} repos (config.json + ${WEIGHTS / MiB} MiB safetensors each) ready in ${fmtMs(elapsed(t))}`,
    );

    const project = parseProjectFile(
      JSON.stringify({
        models: Object.fromEntries(Array.from({ length: MODELS }, (_, i) => [repoName(i), "main"])),
      }),
    );
    const policy = loadPullPolicy(project);
    const policyDigest = computePolicyDigest(project.policy);
    const today = new Date().toISOString().slice(0, 10);
    const client = new HubClient({ hubUrl: hub.url, token: undefined });

    console.log(`\n-- lock (${load()})`);
    t = process.hrtime.bigint();
    const locked = await lockProject({
      client,
      cacheDir,
      project,
      previous: undefined,
      update: "none",
      policy,
      policyDigest,
      today,
    });
    const lockMs = elapsed(t);
    const lock = locked.lock;
    const fileCount = Object.values(lock.models).reduce(
      (n, m) => n + Object.keys(m.files).length,
      0,
    );
    const lockBytes = Object.values(lock.models).reduce(
      (n, m) => n + Object.values(m.files).reduce((s, f) => s + f.size, 0),
      0,
    );
    console.log(
      `lockProject: ${Object.keys(lock.models).length} models, ${fileCount} files, ${(lockBytes / MB).toFixed(0)} MB pulled, verified and scanned in ${fmtMs(lockMs)} (${mbps(lockBytes, lockMs).toFixed(0)} MB/s), blocked: ${locked.blocked}`,
    );

    console.log(`\n-- ci, metadata only (${load()})`);
    const before = hub.requests.length;
    let cpuAt = process.cpuUsage();
    t = process.hrtime.bigint();
    const meta = await runCi({
      client,
      cacheDir,
      project,
      lock,
      policy,
      policyDigest,
      today,
      download: false,
      offline: false,
    });
    const metaMs = elapsed(t);
    const metaCpu = cpuMs(process.cpuUsage(cpuAt));
    const metaRequests = hub.requests.length - before;
    const kinds = new Map<string, number>();
    for (const r of hub.requests.slice(before)) {
      const kind = `${r.method} ${r.path.replace(/google-bert\/bench-ci-\d+/, "<repo>").replace(/[0-9a-f]{40}/g, "<commit>")}`;
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    const sweep: string[] = [];
    for (const concurrency of [4, 16, 32]) {
      const at = process.hrtime.bigint();
      const c = process.cpuUsage();
      const r = await runCi({
        client,
        cacheDir,
        project,
        lock,
        policy,
        policyDigest,
        today,
        download: false,
        offline: false,
        concurrency,
      });
      sweep.push(
        `concurrency ${concurrency}: ${fmtMs(elapsed(at))} wall, ${fmtMs(cpuMs(process.cpuUsage(c)))} CPU, ${r.problems.length} problems`,
      );
    }

    console.log(`-- ci --offline, warm cache (${load()})`);
    cpuAt = process.cpuUsage();
    t = process.hrtime.bigint();
    const offline = await runCi({
      client: undefined,
      cacheDir,
      project,
      lock,
      policy,
      policyDigest,
      today,
      download: false,
      offline: true,
    });
    const offlineMs = elapsed(t);
    const offlineCpu = cpuMs(process.cpuUsage(cpuAt));

    // Raw hashing of the very blobs ci --offline reads.
    const blobs: string[] = [];
    for (const [repo, entry] of Object.entries(lock.models)) {
      const cache = new RepoCache(cacheDir, repo);
      for (const e of listSnapshot(cache, entry.revision))
        if (e.status === "blob") blobs.push(e.blobPath);
    }
    const blobBytes = blobs.reduce((n, b) => n + statSync(b).size, 0);
    t = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (const b of blobs) await rawSha256(b);
    const nodeMs = elapsed(t);
    const nodeCpu = process.cpuUsage(cpu);
    const ossl = await runTimed("openssl", ["dgst", "-sha256", ...blobs]);

    const rows: string[][] = [
      ["run", "wall", "files", "files/s", "MB", "MB/s", "problems"],
      [
        "runCi metadata (concurrency 8)",
        fmtMs(metaMs),
        String(meta.files),
        (meta.files / (metaMs / 1000)).toFixed(0),
        "-",
        "-",
        String(meta.problems.length),
      ],
      [
        "runCi --offline (re-hash + rescan)",
        fmtMs(offlineMs),
        String(offline.files),
        (offline.files / (offlineMs / 1000)).toFixed(0),
        (blobBytes / MB).toFixed(0),
        mbps(blobBytes, offlineMs).toFixed(0),
        String(offline.problems.length),
      ],
      [
        "raw: node:crypto, same blobs, sequential",
        fmtMs(nodeMs),
        String(blobs.length),
        (blobs.length / (nodeMs / 1000)).toFixed(0),
        (blobBytes / MB).toFixed(0),
        mbps(blobBytes, nodeMs).toFixed(0),
        "",
      ],
      [
        "raw: openssl dgst -sha256 <all blobs>",
        fmtMs(ossl.wallMs),
        String(blobs.length),
        (blobs.length / (ossl.wallMs / 1000)).toFixed(0),
        (blobBytes / MB).toFixed(0),
        mbps(blobBytes, ossl.wallMs).toFixed(0),
        "",
      ],
    ];

    // The CLI as a user runs it (bin → dist/), when dist/ has been built.
    let distBuilt = false;
    let cliCpu = "";
    const cpuOf = (r: { cpuS: number | undefined }) =>
      r.cpuS === undefined ? "?" : fmtMs(r.cpuS * 1000);
    try {
      distBuilt = statSync(join(root, "dist", "cli", "main.js")).isFile();
    } catch {
      distBuilt = false;
    }
    if (distBuilt) {
      mkdirSync(projectDir, { recursive: true });
      writeFileSync(join(projectDir, "modelvet.json"), serializeProjectFile(project));
      writeFileSync(join(projectDir, "models.lock"), serializeLockfile(lock));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        HF_HOME: join(dir, "hf-home"),
        CI: "true",
        NO_COLOR: "1",
      };
      for (const k of [
        "HF_TOKEN",
        "HF_TOKEN_PATH",
        "HF_ENDPOINT",
        "HF_HUB_OFFLINE",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
      ])
        delete env[k];
      const cli = (args: string[]) =>
        runTimed(
          process.execPath,
          [
            join(root, "bin", "modelvet.js"),
            "ci",
            "--config",
            join(projectDir, "modelvet.json"),
            "--cache-dir",
            cacheDir,
            "--format",
            "json",
            ...args,
          ],
          env,
          projectDir,
        );
      const version = await runTimed(
        process.execPath,
        [join(root, "bin", "modelvet.js"), "--version"],
        env,
        projectDir,
      );
      const importCost = (module: string) =>
        runTimed(
          process.execPath,
          ["--input-type=module", "-e", `await import(${JSON.stringify(`./dist/${module}`)})`],
          env,
          root,
        );
      const imports: [string, Awaited<ReturnType<typeof importCost>>][] = [];
      for (const m of ["cli/program.js", "io/hub.js", "scan/dispatch.js", "app/ci.js"])
        imports.push([m, await importCost(m)]);
      const cliMeta = await cli(["--hub-url", hub.url]);
      const cliOffline = await cli(["--offline"]);
      cliCpu = `CPU of the CLI child alone (user+sys): --version ${cpuOf(version)}, ci ${cpuOf(cliMeta)}, ci --offline ${cpuOf(cliOffline)}.`;
      const status = (r: typeof cliMeta) =>
        r.code === 0 ? "exit 0" : `exit ${r.code}: ${r.stderr.slice(0, 200)}`;
      rows.push(
        [
          "CLI: modelvet --version (start-up floor)",
          fmtMs(version.wallMs),
          "",
          "",
          "",
          "",
          status(version),
        ],
        ...imports.map(([m, r]) => [
          `  import cost: dist/${m}`,
          fmtMs(r.wallMs),
          "",
          "",
          "",
          "",
          r.code === 0 ? `${((r.maxRssKiB ?? 0) / 1024).toFixed(0)} MiB RSS` : `exit ${r.code}`,
        ]),
        [
          "CLI: modelvet ci (dist/, whole process)",
          fmtMs(cliMeta.wallMs),
          "",
          "",
          "",
          "",
          status(cliMeta),
        ],
        [
          "CLI: modelvet ci --offline (whole process)",
          fmtMs(cliOffline.wallMs),
          "",
          "",
          (blobBytes / MB).toFixed(0),
          mbps(blobBytes, cliOffline.wallMs).toFixed(0),
          status(cliOffline),
        ],
      );
    } else {
      rows.push(["CLI runs skipped: no dist/ (npm run build)", "", "", "", "", "", ""]);
    }
    console.log(table(rows));
    console.log(
      `metadata run: ${metaRequests} HTTP requests to the fixture Hub for ${MODELS} models (${(metaRequests / MODELS).toFixed(1)} per model). Target < 2 s for 100 models.`,
    );
    if (cliCpu !== "") console.log(cliCpu);
    console.log(
      `CPU of this process (client and fixture Hub server together): metadata ${fmtMs(metaCpu)}, offline ${fmtMs(offlineCpu)}.`,
    );
    console.log(
      `raw hashing CPU (node:crypto): ${((nodeCpu.user + nodeCpu.system) / 1000).toFixed(0)} ms; openssl CPU: ${ossl.cpuS === undefined ? "?" : (ossl.cpuS * 1000).toFixed(0)} ms.`,
    );
    console.log(`requests by route: ${[...kinds].map(([k, n]) => `${n}× ${k}`).join("; ")}`);
    console.log(
      `runCi metadata, other concurrency limits (same lock, warm JIT): ${sweep.join("; ")}`,
    );
    for (const note of [...meta.notes, ...offline.notes]) console.log(`note from ci: ${note}`);
    for (const p of [...meta.problems, ...offline.problems].slice(0, 5))
      console.log(`problem: ${p.class} ${p.model} ${p.finding.message}`);
  } finally {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
