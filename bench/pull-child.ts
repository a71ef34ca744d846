/**
 * Child process for bench/pull.bench.ts, so the parent can read this process's CPU and peak RSS.
 *
 *   node --import tsx bench/pull-child.ts cache <hubUrl> <repo> <commit> <path> <size> <sha256> <dir> [syncEveryBytes]
 *     one `downloadToCache` (the exact code `modelvet pull` runs per file) into a
 *     huggingface_hub cache at <dir>
 *   node --import tsx bench/pull-child.ts http-only  <same arguments>
 *     the floor of the node:http path: io/http-get.ts, redirect followed, body dropped
 *   node --import tsx bench/pull-child.ts undici-only  <same arguments>
 *     the same floor over undici's `request` with the dispatcher every fetch uses (io/net-agent.ts,
 *     EnvHttpProxyAgent): the candidate body path measured against node:http (issue #15 item 8)
 *   node --import tsx bench/pull-child.ts fetch-only  <same arguments>
 *     the floor of the fetch path the downloader used before: body consumed and dropped
 *   node --import tsx bench/pull-child.ts baseline
 *     same imports, no download: the RSS floor of this process
 *
 * Prints one JSON line: status, sha256, download time (excluding Node/tsx start-up), and the
 * garbage collections seen (major = mark-compact).
 */
import { constants, PerformanceObserver } from "node:perf_hooks";
import { RepoCache } from "../src/io/cache-layout.js";
import { downloadToCache } from "../src/io/download.js";
import { httpGet } from "../src/io/http-get.js";
import { HubClient } from "../src/io/hub.js";
import { networkDispatcher } from "../src/io/net-agent.js";

const [mode, hubUrl, repo, commit, path, size, sha256, dir, syncEvery] = process.argv.slice(2);

const gc = { major: 0, minor: 0 };
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) gc.major++;
    else gc.minor++;
  }
});
observer.observe({ entryTypes: ["gc"] });

const start = process.hrtime.bigint();

/** Bytes a body brings, read through 'data' events (the cheapest way to drop a Node stream). */
function countBytes(body: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  return new Promise<number>((ok, fail) => {
    body.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    body.on("end", () => ok(bytes));
    body.on("error", fail);
  });
}
let result: { status: string; sha256?: string | undefined };
if (mode === "baseline") {
  result = {
    status: `baseline (${typeof RepoCache}, ${typeof HubClient}, ${typeof downloadToCache})`,
  };
} else if (dir === undefined) {
  throw new Error(
    "usage: pull-child.ts cache|http-only|undici-only|fetch-only hubUrl repo commit path size sha256 dir",
  );
} else if (mode === "fetch-only") {
  const client = new HubClient({ hubUrl: hubUrl!, token: undefined });
  const fetchFn = client.streamingFetch();
  let url = new URL(client.resolveUrl(repo!, commit!, path!));
  let response = await fetchFn(url, { redirect: "manual" });
  const location = response.headers.get("location");
  if (location !== null) {
    await response.body?.cancel();
    url = new URL(location, url);
    response = await fetchFn(url, { redirect: "manual" });
  }
  let bytes = 0;
  if (response.body !== null)
    for await (const chunk of response.body) bytes += (chunk as Uint8Array).length;
  result = { status: bytes === Number(size) ? "verified" : `short: ${bytes}`, sha256 };
} else if (mode === "undici-only") {
  const { request } = await import("undici");
  const dispatcher = await networkDispatcher();
  const client = new HubClient({ hubUrl: hubUrl!, token: undefined });
  let url = new URL(client.resolveUrl(repo!, commit!, path!));
  let response = await request(url, { dispatcher });
  const location = response.headers.location;
  if (typeof location === "string") {
    await response.body.dump();
    url = new URL(location, url);
    response = await request(url, { dispatcher });
  }
  const bytes = await countBytes(response.body);
  result = { status: bytes === Number(size) ? "verified" : `short: ${bytes}`, sha256 };
} else if (mode === "http-only") {
  const client = new HubClient({ hubUrl: hubUrl!, token: undefined });
  let url = new URL(client.resolveUrl(repo!, commit!, path!));
  let response = await httpGet(url, { headers: {} });
  const location = response.header("location");
  if (location !== undefined) {
    response.discard();
    url = new URL(location, url);
    response = await httpGet(url, { headers: {} });
  }
  const bytes = await countBytes(response.body);
  result = { status: bytes === Number(size) ? "verified" : `short: ${bytes}`, sha256 };
} else {
  const client = new HubClient({ hubUrl: hubUrl!, token: undefined });
  const r = await downloadToCache({
    cache: new RepoCache(dir, repo!),
    path: path!,
    url: client.resolveUrl(repo!, commit!, path!),
    expected: { size: Number(size), gitOid: "", lfsSha256: sha256 },
    ...client.transferOptions(),
    auth: client.authFor(),
    sink: {
      ...(syncEvery !== undefined ? { syncEveryBytes: Number(syncEvery) } : {}),
      // Bench-only experiments with the sink, e.g. {"batchBytes":4194304}, or
      // {"offThreadMinBytes":1e18} to hash and write on this thread (the inline path) where the
      // default moves a big file's hashing and writing to a worker thread.
      ...(JSON.parse(process.env.MODELVET_BENCH_SINK ?? "{}") as object),
    },
  });
  result = { status: r.status, sha256: r.status === "verified" ? r.sha256 : undefined };
}
const downloadMs = Number(process.hrtime.bigint() - start) / 1e6;
observer.disconnect();
process.stdout.write(`${JSON.stringify({ ...result, downloadMs, gc })}\n`);
