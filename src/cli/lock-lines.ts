/**
 * Where things are in models.lock and modelvet.json, for SARIF results that point at a line.
 * Both files are written canonically (two-space JSON), so a key's line is found by its text.
 */
export function lineOfKey(text: string, key: string, after = 0): number | undefined {
  const lines = text.split("\n");
  const needle = `${JSON.stringify(key)}:`;
  for (let i = after; i < lines.length; i++) {
    if (lines[i]!.trimStart().startsWith(needle)) return i + 1;
  }
  return undefined;
}

/** The line of a model's entry, or of one of its files, in models.lock text. */
export function lockLine(text: string, model: string, path?: string): number | undefined {
  const modelLine = lineOfKey(text, model);
  if (modelLine === undefined || path === undefined) return modelLine;
  return lineOfKey(text, path, modelLine) ?? modelLine;
}
