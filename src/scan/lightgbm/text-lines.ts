/** Line and value readers shared by the LightGBM model-text checks; a problem throws `Problem`. */

export const INT = /^[-+]?\d{1,10}$/;
export const NUMBER =
  /^[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf|infinity|nan)$/i;

export class Problem extends Error {}

export function fail(line: number, message: string): never {
  throw new Problem(`line ${line + 1}: ${message}`);
}

export function intValue(
  text: string,
  line: number,
  what: string,
  min: number,
  max: number,
): number {
  if (!INT.test(text)) fail(line, `${what} is not an integer`);
  const n = Number(text);
  if (n < min || n > max) fail(line, `${what} ${n} is outside [${min}, ${max}]`);
  return n;
}

/** Array values: space-separated (linear trees pad per-leaf lists with extra spaces). */
export function tokens(text: string): string[] {
  return text.split(" ").filter((t) => t !== "");
}

export function ints(text: string, line: number, what: string, count: number): number[] {
  const parts = tokens(text);
  if (parts.length !== count) fail(line, `${what} has ${parts.length} values, expected ${count}`);
  return parts.map((p) => {
    if (!INT.test(p)) fail(line, `${what} holds a value that is not an integer`);
    return Number(p);
  });
}

export function numbers(text: string, line: number, what: string, count: number): void {
  const parts = tokens(text);
  if (parts.length !== count) fail(line, `${what} has ${parts.length} values, expected ${count}`);
  for (const p of parts) if (!NUMBER.test(p)) fail(line, `${what} holds a value that is no number`);
}

export interface Lines {
  text: string;
  /** Start offset of each line (lines split on "\n"; a trailing "\r" is dropped). */
  starts: number[];
  lines: string[];
}

export function splitLines(text: string): Lines {
  const lines = text.split("\n");
  const starts: number[] = [];
  let at = 0;
  for (let i = 0; i < lines.length; i++) {
    starts.push(at);
    at += (lines[i] as string).length + 1;
    const l = lines[i] as string;
    if (l.endsWith("\r")) lines[i] = l.slice(0, -1);
  }
  return { text, starts, lines };
}
