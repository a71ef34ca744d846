/**
 * The fixture Hub's Xet CAS (issue #15: "Xet on"), checked against the public protocol
 * (huggingface.co/docs/xet): hash vectors from xet-core's reference tests and from hf_xet 1.6.0,
 * a download done here the way download-protocol.md describes it (token, reconstruction, ranged
 * xorb fetches, deframing), the error answers, and @huggingface/hub's XetBlob as a second client.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { downloadFile } from "@huggingface/hub";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import {
  chunkHash,
  fileHash,
  type HashedChunk,
  merkleRoot,
  parseXetHex,
  xetHex,
} from "../helpers/fixture-hub/xet-hash.js";
import { get, json, sha256 } from "./support.js";

const REPO = "acme/xet-cas";
const ZERO = "0".repeat(64);

/** Deterministic bytes that do not compress or repeat (a xorbshift stream). */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const RAMP = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
const HELLO = Buffer.from("hello world");
const BIG = noise(300_000, 7);

describe("Xet hashing: reference vectors", () => {
  // xet-core merklehash aggregated_hashes.rs test_correctness: (chunk hash, size) lists, their
  // xorb (cas_node_hash) and file (salt 0) hashes; hashes in the protocol's string form.
  const R = [
    ZERO,
    "cfc5d07f6f03c29bbf424132963fe08d19a37d5757aaf520bf08119f05cd56d6",
    "c3e67584b5c4fc2a89837ec39e40f2c8a6bb0b2987ac94cd4b31e5fbdd210a72",
    "0d2beb91b9196929a5ddec9f6e306924ddf4a24268e3e59fd8464738d525af37",
    "adf8773496a9b7319b2e50dc98093f344053b17d8ad37100b9c07d9805988784",
    "4ac202caf347fc1e9c874b1ef6a1c5e619141eb775a6f43f0f0124ccd0060d9e",
    "b3b28636f65c149ea52eb1f94669466f70f033b54cea792824c696ba6ef3c389",
    "0e2c1a002aae913d2c0fc8ddfa4e9e14b7b311b3b0d458726d5d9f6a6318013c",
  ];
  const list = (ids: number[]): HashedChunk[] =>
    ids.map((i) => ({ hash: parseXetHex(R[i]!)!, size: i * 100 }));
  const cases: Array<[string, number[], string, string]> = [
    ["one chunk", [1], R[1]!, "8e16257caa3fe079d484d872a8975264b2ff683b0d6db9028cc7c0f968a45661"],
    [
      "three chunks",
      [1, 2, 3],
      "71ec1275fca074724e2dd666921b3277c7cee603e4d025bcab2d4050015be2bc",
      "54e55dccc6653c612bdb5576c5d3cb34bb31bc4e100248abccf4c908b3ef7715",
    ],
    [
      "eight chunks",
      [0, 1, 2, 3, 4, 5, 6, 7],
      "f62abe77e3fb9c954fe52b0028027ddc90c064c45951a4fd2211d87e5c0011db",
      "d1b068be5bbdb38992269e8efe61f601881e39f7a7585fd76883cc6ea5c23b44",
    ],
    [
      "32 equal chunks (three tree levels)",
      Array(32).fill(1),
      "0a0123c1617921883b7e13902095fcb86676e77c49120c33b233003b0af0e0a6",
      "53af4711fd1d5e5bdc7f931b6be932314d8d673cb16ad2482f6f5222eaf9e63d",
    ],
    [
      "64 chunks cycling through eight",
      Array.from({ length: 64 }, (_, i) => i % 8),
      "6554007c9b5d0a5e7918f79596a1b68815c1407535585435f5735db761f21b88",
      "a8640ab81d48854e00078e12b1ea8be5d90be0ffb5f73a15b7009981d093ddd8",
    ],
  ];
  for (const [name, ids, xorb, file] of cases) {
    it(`Merkle aggregation: ${name}`, () => {
      assert.equal(xetHex(merkleRoot(list(ids))), xorb);
      assert.equal(xetHex(fileHash(list(ids))), file);
    });
  }

  it("the string form reverses each 8-byte word (api.md example)", () => {
    // api.md prints this string with the "10" byte missing (62 digits); its byte list is this one
    const raw = Uint8Array.from({ length: 32 }, (_, i) => i);
    const hex = "07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918";
    assert.equal(xetHex(raw), hex);
    assert.deepEqual(parseXetHex(hex), raw);
    assert.equal(parseXetHex("zz"), null);
  });

  it("chunk + file hash of single-chunk files equal hf_xet 1.6.0 hash_files", () => {
    // hf_xet.hash_files([...]) in /work/venv-corpus: files under 8 KiB are one chunk for its
    // content-defined chunker too, so the fixed-size chunks agree with it there.
    const one = (b: Buffer): string => xetHex(fileHash([{ hash: chunkHash(b), size: b.length }]));
    assert.equal(one(HELLO), "f15edd43b7e85cfd25e2758ffe13b99fdd09dfa817e8d9f6548722a7a126db7f");
    assert.equal(one(RAMP), "ac0a6c5757e8ca22cda774ec68fb497bb76e4d691e2ce36812eefcc8ad42c1a2");
    assert.equal(xetHex(fileHash([])), ZERO);
  });
});

interface Term {
  hash: string;
  unpacked_length: number;
  range: { start: number; end: number };
}
interface FetchInfo {
  range: { start: number; end: number };
  url: string;
  url_range: { start: number; end: number };
}
interface Reconstruction {
  offset_into_first_range: number;
  terms: Term[];
  fetch_info?: Record<string, FetchInfo[]>;
  xorbs?: Record<
    string,
    Array<{
      url: string;
      ranges: Array<{
        chunks: { start: number; end: number };
        bytes: { start: number; end: number };
      }>;
    }>
  >;
}

/** Deframes a fetched xorb byte range into its chunks (8-byte headers, scheme 0 only). */
function deframe(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    assert.ok(at + 8 <= data.length, "truncated chunk header");
    assert.equal(data[at], 0, "chunk header version");
    const stored = data.readUIntLE(at + 1, 3);
    assert.equal(data[at + 4], 0, "compression scheme None");
    assert.equal(data.readUIntLE(at + 5, 3), stored);
    chunks.push(data.subarray(at + 8, at + 8 + stored));
    at += 8 + stored;
  }
  return chunks;
}

interface Session {
  hash: string;
  token: string;
  casUrl: string;
}

/** Steps 1-2 of the protocol: resolve (X-Xet-Hash, xet-auth) and the read token's headers. */
async function open(hub: FixtureHub, repo: string, path: string): Promise<Session> {
  const head = await get(`${hub.url}/${repo}/resolve/main/${path}`, {}, "HEAD");
  const hash = head.headers.get("x-xet-hash")!;
  const refresh = /<([^>]+)>; rel="xet-auth"/.exec(head.headers.get("link") ?? "")![1]!;
  const tok = await get(refresh);
  assert.equal(tok.status, 200);
  return {
    hash,
    token: tok.headers.get("x-xet-access-token")!,
    casUrl: tok.headers.get("x-xet-cas-url")!,
  };
}

/** Steps 3-5: reconstruction (v1 or v2), ranged xorb fetches, deframing, stitching. */
async function download(s: Session, version: 1 | 2, range?: [number, number]): Promise<Buffer> {
  const res = await get(`${s.casUrl}/v${version}/reconstructions/${s.hash}`, {
    Authorization: `Bearer ${s.token}`,
    ...(range ? { Range: `bytes=${range[0]}-${range[1]}` } : {}),
  });
  assert.equal(res.status, 200, await res.clone().text());
  const rec = await json<Reconstruction>(res);
  const parts: Buffer[] = [];
  for (const term of rec.terms) {
    let url: string;
    let bytes: { start: number; end: number };
    let first: number;
    if (version === 1) {
      const info = rec.fetch_info![term.hash]!.find(
        (f) => f.range.start <= term.range.start && f.range.end >= term.range.end,
      )!;
      ({ url } = info);
      bytes = info.url_range;
      first = info.range.start;
    } else {
      const entry = rec.xorbs![term.hash]![0]!;
      const r = entry.ranges.find(
        (x) => x.chunks.start <= term.range.start && x.chunks.end >= term.range.end,
      )!;
      ({ url } = entry);
      bytes = r.bytes;
      first = r.chunks.start;
    }
    const got = await get(url, { Range: `bytes=${bytes.start}-${bytes.end}` });
    assert.equal(got.status, 206);
    const chunks = deframe(Buffer.from(await got.arrayBuffer()));
    const used = chunks.slice(term.range.start - first, term.range.end - first);
    assert.equal(Buffer.concat(used).length, term.unpacked_length);
    if (!range) {
      const hashed = chunks.map((c) => ({ hash: chunkHash(c), size: c.length }));
      assert.equal(
        xetHex(merkleRoot(hashed)),
        term.hash,
        "the xorb hash is its chunks' Merkle root",
      );
    }
    parts.push(...used);
  }
  const all = Buffer.concat(parts).subarray(rec.offset_into_first_range);
  return range ? all.subarray(0, range[1] - range[0] + 1) : all;
}

describe("Xet CAS: downloads the way the protocol describes", () => {
  let hub: FixtureHub;
  before(async () => {
    // 4 KiB chunks and 10-chunk xorbs: a 300 kB file spans 74 chunks in 8 xorbs
    hub = await startFixtureHub({ xetLayout: { chunkBytes: 4096, xorbBytes: 10 * (4096 + 8) } });
    hub.knobs.xet = true;
    hub.addRepo({ id: REPO, files: { "big.bin": BIG, "hello.bin": HELLO } });
  });
  after(() => hub.close());

  it("tree xetHash, X-Xet-Hash and the Link reconstruction URL agree, and are the file's Merkle hash", async () => {
    const s = await open(hub, REPO, "big.bin");
    const tree = await json<Array<{ path: string; xetHash?: string }>>(
      await get(`${hub.url}/api/models/${REPO}/tree/main`),
    );
    assert.equal(tree.find((t) => t.path === "big.bin")?.xetHash, s.hash);
    const head = await get(`${hub.url}/${REPO}/resolve/main/big.bin`, {}, "HEAD");
    assert.match(head.headers.get("link") ?? "", new RegExp(`/v1/reconstructions/${s.hash}>`));
    const chunks: HashedChunk[] = [];
    for (let at = 0; at < BIG.length; at += 4096) {
      const c = BIG.subarray(at, at + 4096);
      chunks.push({ hash: chunkHash(c), size: c.length });
    }
    assert.equal(s.hash, xetHex(fileHash(chunks)));
    assert.equal(s.casUrl, hub.cdnUrl);
  });

  for (const version of [1, 2] as const) {
    it(`v${version}: the whole file, over several xorbs, byte for byte`, async () => {
      const s = await open(hub, REPO, "big.bin");
      const before = hub.requests.length;
      const bytes = await download(s, version);
      assert.equal(sha256(bytes), sha256(BIG));
      const xorbFetches = hub.requests.slice(before).filter((r) => r.path.startsWith("/xorbs/"));
      assert.equal(xorbFetches.length, 8);
    });

    it(`v${version}: a Range inside the file (offset_into_first_range, trimmed end)`, async () => {
      const s = await open(hub, REPO, "big.bin");
      for (const [a, b] of [
        [5000, 5000],
        [4095, 4096],
        [12_345, 123_456],
        [299_000, 400_000],
      ] as Array<[number, number]>) {
        const got = await download(s, version, [a, b]);
        assert.equal(sha256(got), sha256(BIG.subarray(a, b + 1)), `bytes=${a}-${b}`);
      }
    });
  }

  it("a single-chunk file's X-Xet-Hash is the hash hf_xet computes for the same bytes", async () => {
    const s = await open(hub, REPO, "hello.bin");
    assert.equal(s.hash, "f15edd43b7e85cfd25e2758ffe13b99fdd09dfa817e8d9f6548722a7a126db7f");
    assert.equal(sha256(await download(s, 1)), sha256(HELLO));
  });

  it("401 without a token or with an unknown one; 404 for an unknown hash; 400 for a malformed one", async () => {
    const s = await open(hub, REPO, "big.bin");
    const url = `${s.casUrl}/v1/reconstructions/${s.hash}`;
    assert.equal((await get(url)).status, 401);
    assert.equal(
      (await get(url, { Authorization: "Bearer xet_fixture_0000000000000000" })).status,
      401,
    );
    assert.equal((await get(url, { Authorization: "Bearer hf_alice" })).status, 401);
    const bearer = { Authorization: `Bearer ${s.token}` };
    assert.equal(
      (await get(`${s.casUrl}/v1/reconstructions/${"ab".repeat(32)}`, bearer)).status,
      404,
    );
    assert.equal(
      (await get(`${s.casUrl}/v2/reconstructions/${"ab".repeat(32)}`, bearer)).status,
      404,
    );
    assert.equal((await get(`${s.casUrl}/v1/reconstructions/not-a-hash`, bearer)).status, 400);
  });

  it("a token of another repo does not read this repo's files (404)", async () => {
    const s = await open(hub, REPO, "big.bin");
    const other = await open(hub, "acme/tiny-safetensors", "model.safetensors");
    const res = await get(`${s.casUrl}/v1/reconstructions/${s.hash}`, {
      Authorization: `Bearer ${other.token}`,
    });
    assert.equal(res.status, 404);
  });

  it("Range past the end is 416, a malformed one 400", async () => {
    const s = await open(hub, REPO, "big.bin");
    const url = `${s.casUrl}/v1/reconstructions/${s.hash}`;
    const bearer = `Bearer ${s.token}`;
    const past = await get(url, { Authorization: bearer, Range: `bytes=${BIG.length}-` });
    assert.equal(past.status, 416);
    const bad = await get(url, { Authorization: bearer, Range: "bytes=9-3" });
    assert.equal(bad.status, 400);
  });

  it("xorb transfer URLs: 206 for the presigned range only; no Range, another range or a bad signature is 403", async () => {
    const s = await open(hub, REPO, "big.bin");
    const rec = await json<Reconstruction>(
      await get(`${s.casUrl}/v1/reconstructions/${s.hash}`, { Authorization: `Bearer ${s.token}` }),
    );
    const info = rec.fetch_info![rec.terms[1]!.hash]![0]!;
    const { start, end } = info.url_range;
    const ok = await get(info.url, { Range: `bytes=${start}-${end}` });
    assert.equal(ok.status, 206);
    assert.equal(ok.headers.get("content-range"), `bytes ${start}-${end}/${end + 1}`);
    assert.equal((await get(info.url, { Range: `bytes=${start + 8}-${end}` })).status, 206);
    assert.equal((await get(info.url)).status, 403);
    assert.equal((await get(info.url, { Range: `bytes=${start}-${end + 1}` })).status, 403);
    const forged = info.url.replace(/Signature=[0-9a-f]+/, `Signature=${"0".repeat(64)}`);
    assert.equal((await get(forged, { Range: `bytes=${start}-${end}` })).status, 403);
    const wider = info.url.replace(/X-Xet-Signed-Range=[^&]+/, "X-Xet-Signed-Range=0-99999999");
    assert.equal((await get(wider, { Range: "bytes=0-99" })).status, 403);
  });

  it("knobs.xetReconstructionV2 = false: v2 answers 404 (a v1-only CAS), v1 still serves", async () => {
    const s = await open(hub, REPO, "hello.bin");
    hub.knobs.xetReconstructionV2 = false;
    try {
      const bearer = { Authorization: `Bearer ${s.token}` };
      assert.equal((await get(`${s.casUrl}/v2/reconstructions/${s.hash}`, bearer)).status, 404);
      assert.equal((await get(`${s.casUrl}/v1/reconstructions/${s.hash}`, bearer)).status, 200);
    } finally {
      hub.knobs.xetReconstructionV2 = true;
    }
  });

  it("a read token cannot upload: POST xorbs and shards are 403", async () => {
    const s = await open(hub, REPO, "hello.bin");
    const post = (path: string): Promise<Response> =>
      fetch(`${s.casUrl}${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${s.token}` },
        body: "x",
      });
    assert.equal((await post(`/v1/xorbs/default/${s.hash}`)).status, 403);
    assert.equal((await post("/v1/shards")).status, 403);
  });

  it("@huggingface/hub downloadFile through Xet (XetBlob, v2) gets the exact bytes from the CAS", async () => {
    const before = hub.requests.length;
    const blob = await downloadFile({ repo: REPO, path: "big.bin", hubUrl: hub.url });
    assert.equal(sha256(Buffer.from(await blob!.arrayBuffer())), sha256(BIG));
    const seen = hub.requests.slice(before);
    assert.ok(seen.some((r) => r.path.startsWith("/v2/reconstructions/") && r.status === 200));
    assert.ok(!seen.some((r) => r.path.startsWith("/lfs/")), "no byte came from the LFS CDN path");
  });
});
