/**
 * `torch.export.save` / `torch.export.pt2_archive` archives (`.pt2`): a zip with one top folder
 * holding `archive_format` ("pt2"), `models/*.json` (the serialized program, scanned as JSON like
 * any member) and `data/weights/` + `data/constants/` with a `model_*_config.json` each. The
 * loader reads every config entry's `path_name` member: with `use_pickle: false` as raw tensor
 * bytes (`torch.frombuffer`), with `use_pickle: true` through `torch.load`. Only the raw ones are
 * returned here, to be counted like PyTorch storages and never parsed; every other member (the
 * pickled ones included) is scanned as usual, and a raw weight named by no config stays unknown.
 */
import type { ByteSource } from "../source.js";
import type { ZipEntry } from "./zip-reader.js";

/** Largest weights/constants config read (a config lists tensor metadata, not tensor bytes). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;
const PLAIN_NAME = /^[A-Za-z0-9_.-]+$/;

export type OpenMember = (entry: ZipEntry) => ByteSource | undefined;

function readText(entry: ZipEntry | undefined, open: OpenMember, max: number): string | undefined {
  if (entry === undefined || entry.uncompressedSize > max) return undefined;
  const data = open(entry);
  if (data === undefined || data.size > max) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data.read(0, data.size));
  } catch {
    return undefined;
  }
}

/** Names of the members a pt2 loader reads as raw tensor bytes (empty when it is not a pt2). */
export function pt2RawMembers(entries: readonly ZipEntry[], open: OpenMember): Set<string> {
  const raw = new Set<string>();
  const first = entries[0]?.name ?? "";
  const folder = first.slice(0, first.indexOf("/"));
  if (folder === "") return raw;
  const byName = new Map(entries.map((e) => [e.name, e]));
  if (readText(byName.get(`${folder}/archive_format`), open, 64)?.trim() !== "pt2") return raw;
  for (const kind of ["weights", "constants"]) {
    const dir = `${folder}/data/${kind}/`;
    const text = readText(byName.get(`${dir}model_${kind}_config.json`), open, MAX_CONFIG_BYTES);
    if (text === undefined) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      continue;
    }
    const config = (parsed as { config?: unknown } | null)?.config;
    if (typeof config !== "object" || config === null) continue;
    for (const meta of Object.values(config as Record<string, unknown>)) {
      if (typeof meta !== "object" || meta === null) continue;
      const { path_name: name, use_pickle: pickled } = meta as Record<string, unknown>;
      if (pickled === false && typeof name === "string" && PLAIN_NAME.test(name))
        raw.add(`${dir}${name}`);
    }
  }
  return raw;
}
