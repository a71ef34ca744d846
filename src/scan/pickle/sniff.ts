/**
 * Does a byte prefix look like a pickle stream? Used by format detection.
 * Protocol 2+ streams start with PROTO (0x80); protocol 0/1 streams have no header at all, so
 * the prefix is walked opcode by opcode (PLACEHOLDER: the pickle engine replaces this first-byte
 * check with a real walk of the prefix).
 */

const PROTO0_FIRST = new Set([..."(]}NIFLSVcilpgadet)KMJGTUXBCqrhj"].map((c) => c.charCodeAt(0)));

export function sniffPickle(prefix: Uint8Array): { protocol: number } | undefined {
  const first = prefix[0];
  if (first === undefined) return undefined;
  if (first === 0x80) {
    const proto = prefix[1];
    return proto !== undefined && proto <= 5 ? { protocol: proto } : undefined;
  }
  return PROTO0_FIRST.has(first) ? { protocol: 0 } : undefined;
}
