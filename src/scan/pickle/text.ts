/**
 * Decoding of the text arguments of protocol-0 opcodes, following CPython's rules:
 * integers (INT/LONG: C `strtol`/`int(s, 0)`), floats (`PyOS_string_to_double`), memo keys
 * (`int(s, 10)`), STRING (quoted, `\`-escapes as in a bytes literal) and UNICODE
 * (raw-unicode-escape). Each decoder returns `undefined` where CPython raises.
 */

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes → string, one char per byte (latin-1). */
export function latin1(bytes: Uint8Array): string {
  if (bytes.length <= 24) {
    let short = "";
    for (let i = 0; i < bytes.length; i++) short += String.fromCharCode(bytes[i] as number);
    return short;
  }
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}

/** One reusable argument array per length, so decoding allocates only the resulting string. */
const SCRATCH: number[][] = Array.from({ length: 257 }, (_, n) => new Array<number>(n).fill(0));

/** bytes[at, at+n) as latin-1, as one flat string (no intermediate views or cons strings). */
export function latin1Range(bytes: Uint8Array, at: number, n: number): string {
  if (n > 256) return latin1(bytes.subarray(at, at + n));
  const scratch = SCRATCH[n] as number[];
  for (let i = 0; i < n; i++) scratch[i] = bytes[at + i] as number;
  return String.fromCharCode.apply(null, scratch);
}

/** bytes[at, at+n) as UTF-8; `undefined` when invalid. ASCII takes the fast path. */
export function utf8Range(bytes: Uint8Array, at: number, n: number): string | undefined {
  for (let i = at; i < at + n; i++) {
    if ((bytes[i] as number) >= 0x80) return decodeUtf8(bytes.subarray(at, at + n));
  }
  return latin1Range(bytes, at, n);
}

/** UTF-8 → string; `undefined` for invalid UTF-8 (CPython raises UnicodeDecodeError). */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1(bytes);
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

const PY_INT_BASE0 =
  /^[+-]?(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0+(?:_?0)*|[1-9](?:_?\d)*)$/;
const C_STRTOL_BASE0 = /^[ \t\n\v\f\r]*[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/;

function toInt(text: string): number | bigint {
  const t = text.trim().replace(/_/g, "");
  let sign = 1n;
  let body = t;
  if (body.startsWith("-") || body.startsWith("+")) {
    if (body[0] === "-") sign = -1n;
    body = body.slice(1);
  }
  let value: bigint;
  if (/^0[0-7]+$/.test(body)) value = BigInt(`0o${body.slice(1)}`);
  else value = BigInt(body);
  value *= sign;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** INT / LONG argument (without "\n"): C `strtol(s, 0)` first, then Python `int(s, 0)`. */
export function parseIntLine(line: string): number | bigint | undefined {
  const fast = plainDigits(line);
  if (fast >= 0 && (line.length === 1 || line.charCodeAt(0) !== 0x30)) return fast;
  if (C_STRTOL_BASE0.test(line)) return toInt(line);
  const trimmed = line.trim();
  if (PY_INT_BASE0.test(trimmed)) return toInt(trimmed);
  return undefined;
}

const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;

/** FLOAT argument: `PyOS_string_to_double` must consume the whole line. */
export function parseFloatLine(line: string): number | undefined {
  if (!FLOAT.test(line)) return undefined;
  const lower = line.toLowerCase();
  if (lower.includes("inf")) return lower.startsWith("-") ? -Infinity : Infinity;
  if (lower.includes("nan")) return Number.NaN;
  return Number(line);
}

/** Value of a short run of ASCII digits (no sign, no spaces), or -1. */
function plainDigits(line: string): number {
  const n = line.length;
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = line.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Value of b[at, at+n) when it is 1-15 ASCII digits (no sign, no spaces), or -1. */
export function digitsIn(b: Uint8Array, at: number, n: number): number {
  if (n === 0 || n > 15) return -1;
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = (b[i] as number) - 0x30;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * INT/LONG argument bytes in their commonest form, plain digits without a leading zero (what
 * parseIntLine returns for them); -1 for anything else (parse the text then).
 */
export function plainIntIn(b: Uint8Array, at: number, n: number): number {
  if (n > 1 && b[at] === 0x30) return -1;
  return digitsIn(b, at, n);
}

/**
 * FLOAT argument bytes of the form [-]digits[.digits] with at most 15 digits and no exponent,
 * or undefined for anything else (parse the text then). The digits make an exact integer m and
 * the point a power of ten 10^k (k <= 15, exact as a double), so m / 10^k is one correctly
 * rounded division: the same double as parsing the decimal text.
 */
export function simpleFloatIn(b: Uint8Array, at: number, n: number): number | undefined {
  let i = at;
  const end = at + n;
  const negative = i < end && b[i] === 0x2d;
  if (negative) i++;
  let m = 0;
  let digits = 0;
  let scale = 1;
  let point = false;
  for (; i < end; i++) {
    const c = b[i] as number;
    if (c === 0x2e && !point) {
      point = true;
      continue;
    }
    const d = c - 0x30;
    if (d < 0 || d > 9 || ++digits > 15) return undefined;
    m = m * 10 + d;
    if (point) scale *= 10;
  }
  if (digits === 0) return undefined;
  const v = m / scale;
  return negative ? -v : v;
}

const DECIMAL = /^\s*[+-]?\d(?:_?\d)*\s*$/;

/**
 * GET/PUT argument: `int(s, 10)`, exactly: a number while it is a safe integer, a bigint past
 * that (a double would fold neighbouring indices into one, where Python keeps them apart).
 */
export function parseDecimalLine(line: string): number | bigint | undefined {
  const fast = plainDigits(line);
  if (fast >= 0) return fast;
  if (!DECIMAL.test(line)) return undefined;
  const digits = line.trim().replace(/_/g, "");
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : BigInt(digits);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * STRING argument: must be quoted with matching ' or "; the inside is decoded like a Python
 * bytes literal (`codecs.escape_decode`). Returns the bytes, or undefined where CPython raises.
 */
export function decodeStringLine(line: Uint8Array): Uint8Array | undefined {
  const n = line.length;
  const q = line[0];
  if (n < 2 || (q !== 0x27 && q !== 0x22) || line[n - 1] !== q) return undefined;
  if (line.indexOf(0x5c, 1) < 0) return line.subarray(1, n - 1); // no escapes: the bytes as they are
  const out = new Uint8Array(n);
  let o = 0;
  let i = 1;
  const end = n - 1;
  while (i < end) {
    const c = line[i++] as number;
    if (c !== 0x5c) {
      out[o++] = c;
      continue;
    }
    if (i >= end) return undefined; // trailing backslash
    const e = line[i++] as number;
    switch (e) {
      case 0x0a: // backslash-newline: line continuation
        break;
      case 0x5c:
      case 0x27:
      case 0x22:
        out[o++] = e;
        break;
      case 0x62: // \b
        out[o++] = 8;
        break;
      case 0x66: // \f
        out[o++] = 12;
        break;
      case 0x74: // \t
        out[o++] = 9;
        break;
      case 0x6e: // \n
        out[o++] = 10;
        break;
      case 0x72: // \r
        out[o++] = 13;
        break;
      case 0x76: // \v
        out[o++] = 11;
        break;
      case 0x61: // \a
        out[o++] = 7;
        break;
      case 0x78: {
        // \xHH: exactly two hex digits
        const h1 = i < end ? hexValue(line[i] as number) : -1;
        const h2 = i + 1 < end ? hexValue(line[i + 1] as number) : -1;
        if (h1 < 0 || h2 < 0) return undefined;
        out[o++] = h1 * 16 + h2;
        i += 2;
        break;
      }
      default:
        if (e >= 0x30 && e <= 0x37) {
          let v = e - 0x30;
          for (let k = 0; k < 2 && i < end; k++) {
            const d = line[i] as number;
            if (d < 0x30 || d > 0x37) break;
            v = v * 8 + (d - 0x30);
            i++;
          }
          out[o++] = v & 0xff;
        } else {
          // Unknown escapes are kept as written (CPython only warns).
          out[o++] = 0x5c;
          out[o++] = e;
        }
    }
  }
  return out.subarray(0, o);
}

/** UNICODE argument: raw-unicode-escape (latin-1 bytes plus \uXXXX / \UXXXXXXXX after an odd run of backslashes). */
export function decodeRawUnicodeEscape(line: Uint8Array): string | undefined {
  if (line.indexOf(0x5c) < 0) return latin1(line);
  const parts: string[] = [];
  let run = "";
  let i = 0;
  const n = line.length;
  while (i < n) {
    const c = line[i] as number;
    if (c !== 0x5c) {
      run += String.fromCharCode(c);
      i++;
      continue;
    }
    const bs = i;
    while (i < n && line[i] === 0x5c) {
      run += "\\";
      i++;
    }
    const next = line[i];
    if (((i - bs) & 1) === 0 || i >= n || (next !== 0x75 && next !== 0x55)) continue;
    run = run.slice(0, -1);
    let count = next === 0x75 ? 4 : 8;
    i++;
    let cp = 0;
    for (; count > 0; count--, i++) {
      if (i >= n) return undefined;
      const h = hexValue(line[i] as number);
      if (h < 0) return undefined;
      cp = cp * 16 + h;
    }
    if (cp > 0x10ffff) return undefined;
    run += String.fromCodePoint(cp);
    if (run.length > 65536) {
      parts.push(run);
      run = "";
    }
  }
  parts.push(run);
  return parts.join("");
}

/** Latin-1 bytes of a string, or undefined when a character is above U+00FF. */
export function latin1Bytes(text: string): Uint8Array | undefined {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) return undefined;
    out[i] = c;
  }
  return out;
}
