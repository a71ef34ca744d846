/**
 * A strict JSON (RFC 8259) parser for safetensors headers. `JSON.parse` is not enough here:
 * it keeps the last of two duplicate keys without a word, and it turns integers above 2^53 into
 * rounded floats. Both let a scanner and a loader read the same header differently.
 *
 * This parser keeps objects as Maps in source order, reports every duplicate key, keeps numbers
 * as their source text, and bounds nesting depth. It throws `StrictJsonError` on any deviation.
 */

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

export interface JsonNumber {
  readonly kind: "number";
  /** The number exactly as written, e.g. "12", "-0.5e3". */
  readonly raw: string;
}

export interface JsonObject {
  readonly kind: "object";
  readonly entries: Map<string, JsonValue>;
}

export interface DuplicateKey {
  /** JSON-pointer-like path of the object holding the duplicate, "" for the top level. */
  path: string;
  key: string;
  offset: number;
}

export class StrictJsonError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset} of the JSON header`);
    this.offset = offset;
  }
}

/** Past one of modelvet's own limits (not a JSON error): the header is not walked further. */
export class StrictJsonLimitError extends StrictJsonError {}

const MAX_DEPTH = 64;
/**
 * Values parsed at most. A 100 MB header of 9 million `__metadata__` keys ran for over 5 minutes in
 * 2.3 GB; a real header holds about ten values per tensor (100,000 tensors fit).
 */
export const MAX_JSON_VALUES = 1_000_000;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

export interface StrictJsonResult {
  value: JsonValue;
  duplicates: DuplicateKey[];
}

export function parseStrictJson(text: string): StrictJsonResult {
  const duplicates: DuplicateKey[] = [];
  let pos = 0;
  let values = 0;

  const fail = (message: string): never => {
    throw new StrictJsonError(message, pos);
  };

  const skipWhitespace = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) pos++;
      else break;
    }
  };

  const parseString = (): string => {
    // precondition: text[pos] === '"'
    pos++;
    let out = "";
    let chunkStart = pos;
    while (true) {
      if (pos >= text.length) fail("unterminated string");
      const c = text.charCodeAt(pos);
      if (c === 0x22) {
        out += text.slice(chunkStart, pos);
        pos++;
        return out;
      }
      if (c < 0x20) fail("control character in string");
      if (c === 0x5c) {
        out += text.slice(chunkStart, pos);
        const e = text[pos + 1];
        pos += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = text.slice(pos, pos + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail("bad \\u escape");
            out += String.fromCharCode(Number.parseInt(hex, 16));
            pos += 4;
            break;
          }
          default:
            pos -= 2;
            fail("bad escape");
        }
        chunkStart = pos;
        continue;
      }
      pos++;
    }
  };

  const parseNumber = (): JsonNumber => {
    // Sticky match against the whole text: slicing a window per number would copy it each time.
    NUMBER.lastIndex = pos;
    const match = NUMBER.exec(text);
    if (!match || match[0].length === 0) fail("bad number");
    const raw = match![0];
    if (raw.length > 400) fail("number too long");
    pos += raw.length;
    return { kind: "number", raw };
  };

  const parseLiteral = <T>(word: string, value: T): T => {
    if (text.startsWith(word, pos)) {
      pos += word.length;
      return value;
    }
    return fail("unexpected token");
  };

  const parseValue = (depth: number, path: string): JsonValue => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH}`);
    if (++values > MAX_JSON_VALUES)
      throw new StrictJsonLimitError(
        `more than ${MAX_JSON_VALUES} values, modelvet's limit for a header`,
        pos,
      );
    skipWhitespace();
    const c = text[pos];
    switch (c) {
      case "{": {
        pos++;
        const entries = new Map<string, JsonValue>();
        skipWhitespace();
        if (text[pos] === "}") {
          pos++;
          return { kind: "object", entries };
        }
        while (true) {
          skipWhitespace();
          if (text[pos] !== '"') fail("expected a string key");
          const keyOffset = pos;
          const key = parseString();
          skipWhitespace();
          if (text[pos] !== ":") fail("expected ':'");
          pos++;
          const value = parseValue(depth + 1, `${path}/${key}`);
          if (entries.has(key)) duplicates.push({ path, key, offset: keyOffset });
          else entries.set(key, value);
          skipWhitespace();
          if (text[pos] === ",") {
            pos++;
            continue;
          }
          if (text[pos] === "}") {
            pos++;
            return { kind: "object", entries };
          }
          fail("expected ',' or '}'");
        }
      }
      case "[": {
        pos++;
        const items: JsonValue[] = [];
        skipWhitespace();
        if (text[pos] === "]") {
          pos++;
          return items;
        }
        while (true) {
          items.push(parseValue(depth + 1, `${path}/${items.length}`));
          skipWhitespace();
          if (text[pos] === ",") {
            pos++;
            continue;
          }
          if (text[pos] === "]") {
            pos++;
            return items;
          }
          fail("expected ',' or ']'");
        }
      }
      case '"':
        return parseString();
      case "t":
        return parseLiteral("true", true);
      case "f":
        return parseLiteral("false", false);
      case "n":
        return parseLiteral("null", null);
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return parseNumber();
        return fail(c === undefined ? "unexpected end" : "unexpected character");
    }
  };

  const value = parseValue(0, "");
  skipWhitespace();
  if (pos !== text.length) fail("trailing characters after the JSON value");
  return { value, duplicates };
}

export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && value.kind === "object"
  );
}

export function isJsonNumber(value: JsonValue | undefined): value is JsonNumber {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && value.kind === "number"
  );
}

/** A JSON number that is a non-negative integer written without fraction or exponent. */
export function jsonUnsignedInteger(value: JsonValue | undefined): bigint | undefined {
  if (!isJsonNumber(value) || !/^(?:0|[1-9][0-9]*)$/.test(value.raw)) return undefined;
  return BigInt(value.raw);
}
