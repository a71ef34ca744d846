/**
 * Recognises the legacy stacked PyTorch format from its first pickle's VALUE, whatever pickle
 * protocol wrote it (torch.save(..., pickle_protocol=4, _use_new_zipfile_serialization=False)
 * starts with PROTO 4 + FRAME, not with the protocol-2 bytes of the usual magic prefix). Used by
 * format detection; reads only the given prefix.
 */
import { bytesSource } from "../source.js";
import { decodeLiteralPickle } from "./literal-pickle.js";

export const LEGACY_MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;

export function isTorchLegacyStart(head: Uint8Array): boolean {
  if (head[0] !== 0x80) return false;
  try {
    return decodeLiteralPickle(bytesSource(head), 0).value === LEGACY_MAGIC_NUMBER;
  } catch {
    return false;
  }
}
