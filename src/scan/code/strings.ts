/**
 * Python string literals as values: prefixes, escapes and the handful of decodings obfuscated
 * payloads use (base64, hex). Pure helpers for the analyser's constant folding.
 */
import type { PyNode } from "./parser.js";

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\n": "",
};

/** Decodes the escapes of a non-raw literal body. Unknown escapes stay as written, like Python. */
export function unescapePython(body: string, bytes: boolean): string {
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\" || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const next = body[i + 1] as string;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i += 1;
      continue;
    }
    const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1, i + 4));
    if (octal) {
      out += String.fromCharCode(Number.parseInt(octal[0], 8));
      i += octal[0].length;
      continue;
    }
    const hexLength =
      next === "x" ? 2 : !bytes && next === "u" ? 4 : !bytes && next === "U" ? 8 : 0;
    if (hexLength > 0) {
      const hex = body.slice(i + 2, i + 2 + hexLength);
      if (/^[0-9a-fA-F]+$/.test(hex) && hex.length === hexLength) {
        const code = Number.parseInt(hex, 16);
        out += code <= 0x10ffff ? String.fromCodePoint(code) : "";
        i += 1 + hexLength;
        continue;
      }
    }
    out += c;
  }
  return out;
}

export interface LiteralParts {
  prefix: string;
  /** Literal text pieces and interpolation nodes, in order. */
  parts: (string | PyNode)[];
}

/** Splits one `string` node into its prefix, literal pieces (unescaped) and interpolations. */
export function stringParts(node: PyNode): LiteralParts {
  const start = node.children.find((c) => c.type === "string_start");
  const prefix = (start?.text ?? "").replace(/["']+$/, "").toLowerCase();
  const raw = prefix.includes("r");
  const bytes = prefix.includes("b");
  const parts: (string | PyNode)[] = [];
  for (const c of node.children) {
    if (c.type === "string_content") {
      const text = c.text ?? "";
      parts.push(raw ? text : unescapePython(text, bytes));
    } else if (c.type === "interpolation") {
      parts.push(c);
    }
  }
  return { prefix, parts };
}

const BASE64 = /^[A-Za-z0-9+/=\s_-]*$/;

/** Decodes base64 (standard or URL-safe) as Python's b64decode would; undefined when not base64. */
export function decodeBase64(text: string): string | undefined {
  const clean = text.replace(/\s+/g, "");
  if (!BASE64.test(clean) || clean.length === 0) return undefined;
  try {
    return Buffer.from(clean.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("latin1");
  } catch {
    return undefined;
  }
}

export function decodeHex(text: string): string | undefined {
  const clean = text.replace(/\s+/g, "");
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) return undefined;
  return Buffer.from(clean, "hex").toString("latin1");
}
