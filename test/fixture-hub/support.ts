/** Shared bits of the fixture-Hub conformance tests: independent digests and request helpers. */
import { createHash } from "node:crypto";
import type { FixtureHub } from "../helpers/fixture-hub/index.js";

/** git blob id, computed here without the fixture's code. */
export function gitSha1(bytes: Uint8Array | string): string {
  const buf = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : Buffer.from(bytes);
  return createHash("sha1").update(`blob ${buf.length}\0`).update(buf).digest("hex");
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function pointer(sha: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha}\nsize ${size}\n`;
}

export function tokenOf(hub: FixtureHub, user: string): string {
  const found = Object.entries(hub.tokens).find(([, g]) => g.user === user);
  if (!found) throw new Error(`no fixture token for ${user}`);
  return found[0];
}

export function auth(token: string | undefined): Record<string, string> {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** fetch without following redirects. */
export function get(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<Response> {
  return fetch(url, { method, headers, redirect: "manual" });
}

export async function json<T = unknown>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export interface TreeItem {
  type: "file" | "directory";
  oid: string;
  size: number;
  path: string;
  lfs?: { oid: string; size: number; pointerSize: number };
  lastCommit?: { id: string; title: string; date: string };
  securityFileStatus?: { status: string };
}

export const HEX40 = /^[0-9a-f]{40}$/;
export const HEX64 = /^[0-9a-f]{64}$/;
