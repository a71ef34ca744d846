/**
 * Deterministic JSON: object keys sorted by UTF-16 code unit order (what JavaScript's default sort
 * gives, and byte order for the ASCII keys we write), two-space indent, LF, trailing newline.
 * Used for files people commit and diff (models.lock, modelvet.json edits).
 */

function sortValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortValue);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortValue(v);
    }
    return out;
  }
  return value;
}

export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortValue(value), null, 2)}\n`;
}
