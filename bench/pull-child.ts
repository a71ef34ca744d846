/**
 * Child process for bench/pull.bench.ts, so the parent can read this process's peak RSS.
 *
 *   node --import tsx bench/pull-child.ts cache <hubUrl> <repo> <commit> <path> <size> <sha256> <dir>
 *     one `downloadToCache` (the exact code `modelvet pull` runs per file, through HubClient's
 *     streaming fetch) into a huggingface_hub cache at <dir>
 *   node --import tsx bench/pull-child.ts http  <same arguments>
 *     bench-only sketch for comparison: node:http instead of fetch, same work per chunk
 *     (SHA-256, positioned write, fsync at the end), into <dir>/http.bin
 *   node --import tsx bench/pull-child.ts http-batched  <same arguments>
 *     the sketch with chunks gathered into 4 MiB writev calls
 *   node --import tsx bench/pull-child.ts fetch-only  <same arguments>
 *     HubClient's streaming fetch, body consumed and dropped: the floor of the fetch path
 *   node --import tsx bench/pull-child.ts baseline
 *     same imports, no download: the RSS floor of this process
 *
 * Prints one JSON line: status, sha256, download time (excluding Node/tsx start-up).
 */
import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { get, type IncomingMessage } from "node:http";
import { join } from "node:path";
import { RepoCache } from "../src/io/cache-layout.js";
import { downloadToCache } from "../src/io/download.js";
import { HubClient } from "../src/io/hub.js";

const [mode, hubUrl, repo, commit, path, size, sha256, dir] = process.argv.slice(2);

function getFollowing(url: string, hops = 5): Promise<IncomingMessage> {
  return new Promise((ok, fail) => {
    get(url, { headers: { "Accept-Encoding": "identity" } }, (res) => {
      const location = res.headers.location;
      if (
        res.statusCode !== undefined &&
        res.statusCode >= 300 &&
        res.statusCode < 400 &&
        location
      ) {
        res.resume();
        if (hops === 0) fail(new Error("too many redirects"));
        else getFollowing(new URL(location, url).href, hops - 1).then(ok, fail);
        return;
      }
      if (res.statusCode !== 200) fail(new Error(`HTTP ${res.statusCode}`));
      else ok(res);
    }).on("error", fail);
  });
}

/**
 * The sketch's per-chunk work is the same as downloadToCache's (hash, positioned write); with
 * `batch` > 0, chunks are gathered up to `batch` bytes and written with one writev.
 */
async function httpDownload(
  url: string,
  target: string,
  batch: number,
): Promise<{ status: string; sha256: string; streamMs: number; fsyncMs: number }> {
  const t0 = process.hrtime.bigint();
  const hash = createHash("sha256");
  const res = await getFollowing(url);
  const handle = await open(target, "w");
  let streamMs = 0;
  let fsyncMs = 0;
  try {
    let position = 0;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      if (pendingBytes === 0) return;
      await handle.writev(pending, position);
      position += pendingBytes;
      pending = [];
      pendingBytes = 0;
    };
    for await (const chunk of res) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      if (batch === 0) {
        await handle.write(bytes, 0, bytes.length, position);
        position += bytes.length;
      } else {
        pending.push(bytes);
        pendingBytes += bytes.length;
        if (pendingBytes >= batch) await flush();
      }
    }
    await flush();
    streamMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const t1 = process.hrtime.bigint();
    await handle.sync();
    fsyncMs = Number(process.hrtime.bigint() - t1) / 1e6;
  } finally {
    await handle.close();
  }
  return { status: "verified", sha256: hash.digest("hex"), streamMs, fsyncMs };
}

const start = process.hrtime.bigint();
let result: {
  status: string;
  sha256?: string | undefined;
  streamMs?: number;
  fsyncMs?: number;
};
if (mode === "baseline") {
  result = {
    status: `baseline (${typeof RepoCache}, ${typeof HubClient}, ${typeof downloadToCache})`,
  };
} else if (dir === undefined) {
  throw new Error("usage: pull-child.ts cache|http hubUrl repo commit path size sha256 dir");
} else if (mode === "fetch-only") {
  // The floor of the fetch path: the body consumed and dropped, no hashing, no writing.
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
} else if (mode === "http" || mode === "http-batched") {
  mkdirSync(dir, { recursive: true });
  const client = new HubClient({ hubUrl: hubUrl!, token: undefined });
  const url = client.resolveUrl(repo!, commit!, path!);
  result = await httpDownload(url, join(dir, "http.bin"), mode === "http" ? 0 : 4 << 20);
} else {
  const client = new HubClient({ hubUrl: hubUrl!, token: undefined });
  const r = await downloadToCache({
    cache: new RepoCache(dir, repo!),
    path: path!,
    url: client.resolveUrl(repo!, commit!, path!),
    expected: { size: Number(size), gitOid: "", lfsSha256: sha256 },
    ...client.transferOptions(),
    auth: client.authFor(),
  });
  result = { status: r.status, sha256: r.status === "verified" ? r.sha256 : undefined };
}
const downloadMs = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(`${JSON.stringify({ ...result, downloadMs })}\n`);
