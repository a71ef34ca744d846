/**
 * What the PyTorch loaders do with persistent ids, as checks. torch.load's zip format resolves
 * `('storage', <storage type>, key, location, numel)` by reading the record `data/<key>`; the legacy
 * tar format resolves an id to an object it loaded from `storages`/`tensors` by `int(id)`, or
 * returns the first element of a tuple (a class, already imported through GLOBAL). Anything else
 * makes the loader fail, or means some other loader is expected: both are reported.
 */
import { type Finding, finding } from "../../core/finding.js";
import { storageElementSize } from "./torch-legacy.js";

function globalName(v: unknown): string | undefined {
  return typeof v === "object" &&
    v !== null &&
    "global" in v &&
    typeof (v as { global: unknown }).global === "string"
    ? (v as { global: string }).global
    : undefined;
}

const unexpected = (what: string) =>
  finding(
    "PICKLE_PERSISTENT_ID",
    "suspicious",
    `A persistent id that torch.load cannot resolve: ${what}.`,
  );

/** Checks for the zip format (and TorchScript): storage references to existing `data/<key>` records. */
export function zipStorageIds(
  storageKeys: ReadonlySet<string>,
): (ids: readonly unknown[]) => Finding[] {
  return (ids) => {
    const findings: Finding[] = [];
    for (const id of ids) {
      if (!Array.isArray(id) || id[0] !== "storage" || id.length < 5) {
        findings.push(unexpected("not a ('storage', type, key, location, numel) tuple"));
        continue;
      }
      const type = globalName(id[1]);
      if (type === undefined || storageElementSize(type) === undefined) {
        findings.push(unexpected(`unknown storage type ${type ?? String(id[1])}`));
        continue;
      }
      const key = id[2];
      if (typeof key !== "string" || !storageKeys.has(key)) {
        findings.push(
          finding(
            "TORCH_MALFORMED",
            "suspicious",
            `The pickle refers to storage ${String(key)}, which the archive does not hold.`,
          ),
        );
      }
    }
    return findings;
  };
}

/** Checks for the legacy tar format's `pickle` member. */
export function tarIds(ids: readonly unknown[]): Finding[] {
  const findings: Finding[] = [];
  for (const id of ids) {
    if (typeof id === "number" || (typeof id === "string" && /^-?\d+$/.test(id))) continue;
    if (Array.isArray(id) && globalName(id[0]) !== undefined) continue;
    findings.push(unexpected("neither an object key nor a (class, source) tuple"));
  }
  return findings;
}
