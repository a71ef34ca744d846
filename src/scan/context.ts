import type { ScanNode } from "../core/report.js";
import type { Budget } from "./budget.js";
import type { ScanPolicy } from "./policy.js";
import type { ByteSource } from "./source.js";

/** What a scanner gets besides its bytes. */
export interface ScanContext {
  policy: ScanPolicy;
  /** Shared by a top-level file and everything nested in it. */
  budget: Budget;
  /** Container depth: 0 for a top-level file. */
  depth: number;
  /** Display path of the node being scanned. */
  path: string;
  /**
   * Scan nested bytes (a container member, a decompressed stream) through the dispatcher, with
   * format detection, depth accounting and the fail-closed boundary. `name` is the member's path
   * inside this container.
   */
  scanChild(source: ByteSource, name: string): Promise<ScanNode>;
}

/** A scanner: bytes in, a node out. Throws only when it cannot finish (the dispatcher catches). */
export type Scanner = (
  source: ByteSource,
  ctx: ScanContext,
  detection: Detection,
) => Promise<ScanNode>;

export interface Detection {
  format: Format;
  /** Format-specific detail, e.g. the pickle protocol or the numpy format version. */
  detail?: string;
  /** Another format the same bytes are (a pickle reading of text, JSON…): scanned as that too. */
  also?: Format;
}

export const FORMATS = [
  "empty",
  "pickle",
  "pytorch-legacy",
  "zip",
  "tar",
  "gzip",
  "bzip2",
  "xz",
  "zlib",
  "7z",
  "numpy",
  "safetensors",
  "gguf",
  "hdf5",
  "protobuf",
  "tflite",
  "tf-checkpoint-index",
  "lightgbm",
  "json",
  "python",
  "text",
  "unknown",
] as const;
export type Format = (typeof FORMATS)[number];
