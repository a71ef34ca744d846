/** The partial file of one download (io/download.ts): named so no other client adopts it. */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";

/** Partial files are `<id>.modelvet-<16 hex>.incomplete`: never a name huggingface_hub uses. */
export function newTempPath(blobsDir: string, blobId: string): string {
  return join(blobsDir, `${blobId}.modelvet-${randomBytes(8).toString("hex")}.incomplete`);
}

/** The partial file of one download: created by this call, resumed only by this call. */
export interface PartialFile {
  path: string | undefined;
  /** The file exists (an earlier attempt created it). */
  created?: boolean;
}

export function dropPartial(partial: PartialFile): void {
  if (partial.path === undefined) return;
  if (partial.created === true) rmSync(partial.path, { force: true });
  partial.path = undefined;
  partial.created = false;
}
