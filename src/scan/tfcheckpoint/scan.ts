/**
 * `tf.train.Checkpoint` / SavedModel variables index (`*.index`): a LevelDB-style SSTable (footer
 * of 48 bytes: metaindex and index BlockHandles as varints, padding, then the magic
 * 0xdb4775248b80fb57 little-endian). Its entries are BundleEntryProto records (dtype, shape, shard,
 * offset, size, crc32c) and the data shards (`*.data-NNNNN-of-NNNNN`) are raw tensor bytes:
 * restoring fills existing variables and runs no code (the checkpoint's object graph only names
 * attributes to match). The scanner checks the footer (handles inside the file, before the footer)
 * and reports it clean; shards are labelled through the companion pass (companions.ts).
 */
import { finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import type { ByteSource } from "../source.js";

const FOOTER = 48;
const MAGIC = [0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb];

export function hasSstableMagic(source: ByteSource): boolean {
  if (source.size < FOOTER) return false;
  const tail = source.read(source.size - 8, 8);
  return MAGIC.every((b, i) => tail[i] === b);
}

/** Reads the footer's two BlockHandles, or a reason they are not valid. */
function footerHandles(source: ByteSource): { handles: [number, number][] } | { error: string } {
  const footer = source.read(source.size - FOOTER, FOOTER - 8);
  let at = 0;
  const varint = (): number | undefined => {
    let value = 0;
    for (let shift = 0; shift < 64 && at < footer.length; shift += 7) {
      const b = footer[at++] as number;
      value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    return undefined;
  };
  const handles: [number, number][] = [];
  for (let i = 0; i < 2; i++) {
    const offset = varint();
    const size = varint();
    if (offset === undefined || size === undefined) return { error: "a block handle is malformed" };
    // Each block is followed by a 5-byte trailer (compression type, crc32c).
    if (offset + size + 5 > source.size - FOOTER)
      return { error: "a block handle points past the data" };
    handles.push([offset, size]);
  }
  return { handles };
}

export const scanTfCheckpointIndex: Scanner = async (source, ctx): Promise<ScanNode> => {
  const base = { path: ctx.path, format: "tf-checkpoint-index", size: source.size };
  const read = footerHandles(source);
  if ("error" in read) {
    return makeNode({
      ...base,
      findings: [
        finding(
          "UNSCANNABLE",
          "unscannable",
          `The checkpoint index (SSTable) footer is invalid: ${read.error}.`,
        ),
      ],
    });
  }
  return makeNode({
    ...base,
    findings: [],
    summary: { kind: "TensorFlow checkpoint index (tensor metadata only)" },
  });
};
