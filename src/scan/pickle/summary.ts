/**
 * A readable summary of a clean pickle's content (top-level keys, e.g. state-dict tensor names),
 * built with pickleparser. Summary only: nothing decides on it, any error is swallowed, and it runs
 * only on small files that the engine already found clean.
 */
import { Parser } from "pickleparser";
import type { ByteSource } from "../source.js";

/** Files larger than this get no content summary (pickleparser reads everything into memory). */
export const SUMMARY_MAX_BYTES = 8 * 1024 * 1024;
const MAX_KEYS = 50;

export function summarizeContent(
  source: ByteSource,
  end: number,
): Record<string, unknown> | undefined {
  if (end > SUMMARY_MAX_BYTES) return undefined;
  try {
    const parser = new Parser({
      unpicklingTypeOfDictionary: "Map",
      unpicklingTypeOfSet: "array",
      persistentResolver: { resolve: (pid: unknown) => ({ persistentId: pid }) },
    });
    const value: unknown = parser.parse(source.read(0, end));
    if (value instanceof Map) {
      const keys = [...value.keys()].filter((k) => typeof k === "string" || typeof k === "number");
      return { type: "dict", entries: value.size, keys: keys.slice(0, MAX_KEYS).map(String) };
    }
    if (Array.isArray(value)) return { type: "list", length: value.length };
    if (value === null) return { type: "None" };
    return { type: typeof value };
  } catch {
    return undefined;
  }
}
