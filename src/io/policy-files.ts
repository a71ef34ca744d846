/**
 * Loads the shipped policy data in allowlist/ (and later, project overrides) into the plain
 * values scanners take. Every file is validated; an invalid one is an InputError naming it.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ScanPolicy } from "../scan/policy.js";

/** allowlist/ at the package root; the same relative place from src/io and dist/io. */
export const SHIPPED_ALLOWLIST_DIR = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "allowlist",
);

/** PLACEHOLDER until the pickle allowlist lands: an empty policy, under which every import is unknown. */
export function loadScanPolicy(_dir: string = SHIPPED_ALLOWLIST_DIR): ScanPolicy {
  return { pickle: { safe: new Set(), dangerous: new Map() } };
}
