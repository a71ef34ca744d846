/**
 * What a zip archive is, from its member names the way the loaders decide it (a PyTorch
 * checkpoint, a TorchScript archive, an npz, a Keras v3 file, a plain zip), and the role each
 * member plays in it (a pickle the loader unpickles, a raw tensor storage, TorchScript code).
 */
import { type Finding, finding } from "../../core/finding.js";
import type { ZipEntry, ZipIssue } from "./zip-reader.js";

export type ZipLayout =
  | { kind: "pytorch" | "torchscript"; folder: string }
  | { kind: "npz" | "keras" | "zip" };

export type MemberRole = "storage" | "pickle" | "torchscript-code" | "directory" | "other";

export function issueFinding(issue: ZipIssue): Finding {
  const { code, verdict, message, ...extra } = issue;
  return finding(code, verdict, message, extra);
}

/** Decides the layout from the names, the way the loaders do. */
export function zipLayout(entries: readonly ZipEntry[]): ZipLayout {
  const names = new Set(entries.map((e) => e.name));
  const first = entries[0]?.name ?? "";
  const slash = first.indexOf("/");
  if (slash > 0) {
    const folder = first.slice(0, slash);
    if (names.has(`${folder}/constants.pkl`)) return { kind: "torchscript", folder };
    if (names.has(`${folder}/data.pkl`)) return { kind: "pytorch", folder };
  }
  if (names.has("config.json") && names.has("metadata.json")) return { kind: "keras" };
  if (entries.length > 0 && entries.every((e) => e.name.endsWith(".npy"))) return { kind: "npz" };
  return { kind: "zip" };
}

export function memberRole(entry: ZipEntry, layout: ZipLayout): MemberRole {
  const name = entry.name;
  if (name.endsWith("/") && entry.uncompressedSize === 0) return "directory";
  if (name.endsWith(".pkl") || name.endsWith(".debug_pkl")) return "pickle";
  if (layout.kind === "pytorch" || layout.kind === "torchscript") {
    const prefix = `${layout.folder}/`;
    if (name.startsWith(`${prefix}data/`) && !name.slice(prefix.length + 5).includes("/"))
      return "storage";
    if (layout.kind === "torchscript" && name.startsWith(`${prefix}code/`) && name.endsWith(".py"))
      return "torchscript-code";
  }
  return "other";
}

/**
 * In a TorchScript archive the pickles are read by TorchScript's C++ unpickler, which resolves
 * `__torch__.*` to classes compiled from the archive's own code/ and `torch.jit._pickle.*` to
 * built-in list/tensor rebuilders; it cannot import Python modules. Findings about those two names
 * are therefore not about Python imports: they are dropped from the member (one TorchScript model
 * has hundreds) and the names are listed in its summary. Every other name keeps its verdict (a
 * pickle that names posix.system is malicious whoever reads it).
 */
export function torchScriptScope(f: Finding): string | undefined {
  const name = f.global ? `${f.global.module}.${f.global.name}` : f.call?.callable;
  if (name === undefined || !/^(__torch__|torch\.jit\._pickle)\./.test(name)) return undefined;
  if (
    f.code !== "PICKLE_UNKNOWN_GLOBAL" &&
    f.code !== "PICKLE_DANGEROUS_GLOBAL" &&
    f.code !== "PICKLE_DANGEROUS_CALL"
  )
    return undefined;
  return name;
}

export const LAYOUT_FORMAT: Record<ZipLayout["kind"], string> = {
  pytorch: "pytorch-zip",
  torchscript: "torchscript",
  npz: "npz",
  keras: "keras-zip",
  zip: "zip",
};
