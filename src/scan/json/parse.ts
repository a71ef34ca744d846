/**
 * JSON as Python's `json` module reads it (transformers, Keras and the Hub tools all use it):
 * standard JSON plus the `NaN`, `Infinity` and `-Infinity` constants Python writes for floats.
 * Those are replaced by `null` outside strings before JSON.parse, which is enough for scanning
 * (no check looks at float values). A leading BOM is ignored so that such files are still read.
 */

export type JsonParse = { ok: true; value: unknown } | { ok: false; error: string };

/** Replaces Python's non-standard float constants outside strings; returns undefined if none. */
function replacePythonConstants(text: string): string | undefined {
  let out = "";
  let last = 0;
  let changed = false;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      continue;
    }
    for (const word of ["-Infinity", "Infinity", "NaN"]) {
      if (text.startsWith(word, i)) {
        out += `${text.slice(last, i)}null`;
        i += word.length - 1;
        last = i + 1;
        changed = true;
        break;
      }
    }
  }
  return changed ? out + text.slice(last) : undefined;
}

export function parsePythonJson(text: string): JsonParse {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    const replaced = replacePythonConstants(body);
    if (replaced !== undefined) {
      try {
        return { ok: true, value: JSON.parse(replaced) };
      } catch {
        // fall through to the original error
      }
    }
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
