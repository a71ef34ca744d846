/**
 * The digest of everything that decides a verdict: the shipped policy files (allowlist/*.json)
 * and the project's policy section. Recorded per file in models.lock, so CI can tell "the bytes
 * changed" from "the policy changed".
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson } from "../core/canonical-json.js";
import { SHIPPED_ALLOWLIST_DIR } from "./policy-files.js";

export function computePolicyDigest(
  projectPolicy: unknown,
  dir: string = SHIPPED_ALLOWLIST_DIR,
): string {
  const hash = createHash("sha256");
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith(".json"))
    .sort()) {
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(dir, name)));
    hash.update("\0");
  }
  hash.update(canonicalJson(projectPolicy ?? null));
  return `sha256:${hash.digest("hex")}`;
}
