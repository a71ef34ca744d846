/**
 * The conformance run's Xet checks (issue #15, "Xet on"): what the fixture Hub recorded while the
 * official client downloaded with hf_xet enabled.
 */
import type { FixtureHub } from "../../test/helpers/fixture-hub/index.js";

type Check = (name: string, passed: boolean, reason: string) => void;

/** Each LFS file's Xet hash as the Hub advertises it (tree `xetHash`; needs knobs.xet). */
export async function advertisedXetHashes(
  hub: FixtureHub,
  repos: Array<{ id: string; commit: string }>,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const repo of repos) {
    const res = await fetch(`${hub.url}/api/models/${repo.id}/tree/${repo.commit}?recursive=true`);
    const items = (await res.json()) as Array<{ path: string; xetHash?: string }>;
    for (const item of items) if (item.xetHash) out.set(`${repo.id}/${item.path}`, item.xetHash);
  }
  return out;
}

/**
 * What the fixture Hub saw during the "Xet on" phase: every LFS file's bytes came through the CAS
 * (an authorized reconstruction and ranged xorb fetches), none through the LFS CDN path, and
 * hf_xet asked for no upload, shard or global-dedup route.
 */
export function xetTransferChecks(
  okOrFail: Check,
  label: string,
  seen: FixtureHub["requests"],
  hashes: Map<string, string>,
  version?: 1,
): void {
  const cas = seen.filter((r) => r.origin === "cdn");
  const recon = cas.filter((r) => /^\/v[12]\/reconstructions\//.test(r.path));
  const ok = recon.filter((r) => r.status === 200 && (!version || r.path.startsWith("/v1/")));
  const served = new Set(ok.map((r) => r.path.split("/")[3]));
  const missing = [...hashes].filter(([, h]) => !served.has(h)).map(([file]) => file);
  const versions = [
    ...new Set(recon.filter((r) => r.status === 200).map((r) => r.path.slice(0, 3))),
  ];
  okOrFail(
    `${label}: each of the ${hashes.size} LFS files was reconstructed through the Xet CAS (${recon.length} reconstruction queries, ${versions.join(" ")})`,
    hashes.size > 0 && missing.length === 0,
    `no 200 reconstruction for ${missing.join(", ")}`,
  );
  if (version === 1) {
    const v2 = recon.filter((r) => r.path.startsWith("/v2/"));
    okOrFail(
      `${label}: hf_xet asked /v2 first (${v2.length}, answered 404) and fell back to /v1`,
      v2.length > 0 && v2.every((r) => r.status === 404) && ok.length > 0,
      `v2 answers ${v2.map((r) => r.status).join(" ")}; v1 200s ${ok.length}`,
    );
  }
  const unauthorized = recon.filter((r) => !/^Bearer xet_/.test(r.headers.authorization ?? ""));
  okOrFail(
    `${label}: reconstruction queries carry the Xet read token (Authorization: Bearer)`,
    unauthorized.length === 0,
    `${unauthorized.length} without it, e.g. ${unauthorized[0]?.path}`,
  );
  const xorbs = cas.filter((r) => r.path.startsWith("/xorbs/"));
  const badXorb = xorbs.filter((r) => r.status !== 206 || !r.headers.range);
  okOrFail(
    `${label}: the bytes came as ranged xorb fetches (${xorbs.length}, all 206)`,
    xorbs.length > 0 && badXorb.length === 0,
    `${badXorb.length} not 206 or without Range, e.g. ${badXorb[0]?.status} ${badXorb[0]?.path}`,
  );
  const lfs = cas.filter((r) => r.path.startsWith("/lfs/") && r.method === "GET");
  okOrFail(
    `${label}: no byte came through the LFS CDN path`,
    lfs.length === 0,
    `${lfs.length} GET /lfs/…, e.g. ${lfs[0]?.path}`,
  );
  const writes = cas.filter(
    (r) => r.method !== "GET" || /^\/v[12]\/(chunks|shards|xorbs)\b/.test(r.path),
  );
  okOrFail(
    `${label}: hf_xet made no upload, shard or global-dedup request on download`,
    writes.length === 0,
    writes.map((r) => `${r.method} ${r.path}`).join(", "),
  );
}
