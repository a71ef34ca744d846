/**
 * A strict parser for the Python literal subset that numpy writes into .npy headers (what
 * `ast.literal_eval` would accept for them): dicts, tuples, lists, str, int, True/False/None.
 * No expressions, no names, no floats, no bytes, no implicit string concatenation.
 */
import { ScanError } from "../../core/errors.js";

export type PyLiteral =
  | string
  | number
  | boolean
  | null
  | { kind: "tuple"; items: PyLiteral[] }
  | { kind: "list"; items: PyLiteral[] }
  | { kind: "dict"; entries: [PyLiteral, PyLiteral][] };

const MAX_NESTING = 32;

class Parser {
  at = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new ScanError("SCAN_FORMAT", `header literal: ${what} at character ${this.at}`, {
      offset: this.at,
    });
  }

  skipSpace(): void {
    while (this.at < this.text.length && " \t\n\r".includes(this.text[this.at] ?? "")) this.at++;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.at] ?? "";
  }

  value(depth: number): PyLiteral {
    if (depth > MAX_NESTING) this.fail("nesting too deep");
    const c = this.peek();
    if (c === "{") return this.dict(depth);
    if (c === "(") return this.sequence("(", ")", "tuple", depth);
    if (c === "[") return this.sequence("[", "]", "list", depth);
    if (c === "'" || c === '"') return this.string();
    if (/[0-9-]/.test(c)) return this.integer();
    for (const [word, v] of [
      ["True", true],
      ["False", false],
      ["None", null],
    ] as const) {
      if (
        this.text.startsWith(word, this.at) &&
        !/[\w]/.test(this.text[this.at + word.length] ?? "")
      ) {
        this.at += word.length;
        return v;
      }
    }
    return this.fail(`unexpected ${c === "" ? "end" : JSON.stringify(c)}`);
  }

  integer(): number {
    const m = /^-?(0|[1-9][0-9]*)(?![\w.])/.exec(this.text.slice(this.at, this.at + 40));
    if (!m) this.fail("bad integer");
    this.at += m[0].length;
    const n = Number(m[0]);
    if (!Number.isSafeInteger(n)) this.fail("integer out of range");
    return n;
  }

  string(): string {
    const quote = this.text[this.at];
    this.at++;
    let out = "";
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined || c === "\n") this.fail("unterminated string");
      this.at++;
      if (c === quote) return out;
      if (c === "\\") {
        const e = this.text[this.at++];
        const simple: Record<string, string> = {
          "\\": "\\",
          "'": "'",
          '"': '"',
          n: "\n",
          t: "\t",
          r: "\r",
          "0": "\0",
        };
        if (e !== undefined && e in simple) out += simple[e];
        else if (e === "x") {
          const hex = this.text.slice(this.at, this.at + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail("bad \\x escape");
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.at += 2;
        } else this.fail("unsupported escape");
      } else out += c;
    }
  }

  sequence(open: string, close: string, kind: "tuple" | "list", depth: number): PyLiteral {
    this.at++; // open
    void open;
    const items: PyLiteral[] = [];
    let sawComma = false;
    for (;;) {
      if (this.peek() === close) {
        this.at++;
        break;
      }
      if (items.length > 0 && !sawComma) this.fail(`expected ',' or '${close}'`);
      items.push(this.value(depth + 1));
      sawComma = false;
      if (this.peek() === ",") {
        this.at++;
        sawComma = true;
      }
    }
    // (x) without a comma is a parenthesised value, not a tuple.
    if (kind === "tuple" && items.length === 1 && !sawComma) return items[0] as PyLiteral;
    return { kind, items };
  }

  dict(depth: number): PyLiteral {
    this.at++;
    const entries: [PyLiteral, PyLiteral][] = [];
    let sawComma = true;
    for (;;) {
      if (this.peek() === "}") {
        this.at++;
        return { kind: "dict", entries };
      }
      if (!sawComma) this.fail("expected ',' or '}'");
      const key = this.value(depth + 1);
      if (this.peek() !== ":") this.fail("expected ':'");
      this.at++;
      entries.push([key, this.value(depth + 1)]);
      sawComma = false;
      if (this.peek() === ",") {
        this.at++;
        sawComma = true;
      }
    }
  }
}

/** Parses one literal; trailing whitespace is allowed, anything else is an error. */
export function parsePyLiteral(text: string): PyLiteral {
  const p = new Parser(text);
  const v = p.value(0);
  p.skipSpace();
  if (p.at !== text.length) p.fail("trailing characters");
  return v;
}
