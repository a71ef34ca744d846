/**
 * Single-stream compression wrappers: gzip, zlib (joblib's compress="zlib" and compress=True write a
 * bare zlib stream), bzip2, xz. The stream is decompressed within the file's budget (see
 * decompress.ts) and its content is scanned through the dispatcher, so a wrapped pickle, zip or
 * another wrapper is found by its bytes; nesting depth is the dispatcher's.
 */
import { finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Format, Scanner } from "../context.js";
import { bytesSource } from "../source.js";
import {
  bunzipCapped,
  capFinding,
  inflateCapped,
  type OutputCap,
  OutputCapError,
  outputCap,
  unxzCapped,
} from "./decompress.js";
import { unlzmaAloneCapped } from "./lzma-alone.js";
import { scanChildBothWays } from "./member.js";

type Kind = Extract<Format, "gzip" | "zlib" | "bzip2" | "xz">;

const SUFFIX: Record<Kind, RegExp> = {
  gzip: /\.(gz|gzip)$/i,
  zlib: /\.(z|zz|zlib)$/i,
  bzip2: /\.(bz2|bzip2)$/i,
  xz: /\.(xz|lzma)$/i,
};

/** Name of the content: the container's base name without its compression suffix. */
export function contentName(path: string, kind: Kind): string {
  const base = path.split(/[/\\]/).pop() ?? path;
  const stripped = base.replace(SUFFIX[kind], "");
  return stripped !== base && stripped !== "" ? stripped : `${base}:decompressed`;
}

async function decompress(
  kind: Kind,
  input: Uint8Array,
  cap: OutputCap,
  detail?: string,
): Promise<Uint8Array> {
  // joblib's compress="lzma" writes LZMA-alone (.lzma), not xz: our own bounded decoder.
  if (detail === "lzma-alone") return unlzmaAloneCapped(input, cap);
  if (kind === "gzip") return inflateCapped("gzip", input, cap);
  if (kind === "zlib") return inflateCapped("zlib", input, cap);
  if (kind === "bzip2") return bunzipCapped(input, cap);
  return unxzCapped(input, cap);
}

export function compressedScanner(kind: Kind): Scanner {
  return async (source, ctx, detection) => {
    const limits = ctx.budget.limits;
    const node = (
      findings: ReturnType<typeof finding>[],
      members = [] as Awaited<ReturnType<typeof ctx.scanChild>>[],
    ) => makeNode({ path: ctx.path, format: kind, size: source.size, findings, members });
    if (source.size > limits.maxInMemoryBytes) {
      return node([
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `A ${source.size}-byte ${kind} stream is larger than the in-memory limit.`,
        ),
      ]);
    }
    const cap = outputCap(ctx.budget, source.size);
    let out: Uint8Array;
    try {
      out = await decompress(kind, source.read(0, source.size), cap, detection.detail);
    } catch (error) {
      if (error instanceof OutputCapError)
        return node([capFinding(error.cap, source.size, `The ${kind} stream`)]);
      throw error;
    }
    if (!ctx.budget.chargeDecompressed(out.length)) {
      return node([
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `The file decompresses past the budget of ${limits.maxDecompressedBytes} bytes; the content was not scanned.`,
        ),
      ]);
    }
    const child = await scanChildBothWays(ctx, bytesSource(out), contentName(ctx.path, kind));
    return node([], [child]);
  };
}
