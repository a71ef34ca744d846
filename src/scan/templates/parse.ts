/**
 * Parsing a chat template with @huggingface/jinja (the parser transformers.js uses), after a
 * nesting check on the token stream: the parser is recursive, so nesting is bounded before it
 * runs. Never throws: a template that does not parse comes back with the reason.
 */
import { parse, tokenize } from "@huggingface/jinja";

export interface TemplateLimits {
  /** Characters of template text. */
  maxLength: number;
  /** Nesting of block statements ({% if %}, {% for %} …). */
  maxBlockDepth: number;
  /** Nesting of brackets inside one expression. */
  maxExpressionDepth: number;
  /** Findings reported per template (the rest are counted). */
  maxFindings: number;
}

export const DEFAULT_TEMPLATE_LIMITS: TemplateLimits = {
  maxLength: 256 * 1024,
  maxBlockDepth: 100,
  maxExpressionDepth: 100,
  maxFindings: 50,
};

/** A node of the parser's syntax tree, read structurally. */
export type Node = { type: string; [key: string]: unknown };
export type Token = { type: string; value: string };

const BLOCK_OPENERS = new Set(["if", "for", "macro", "call", "filter"]);
const BLOCK_CLOSERS = new Set(["endif", "endfor", "endmacro", "endcall", "endfilter", "endset"]);

export function isNode(v: unknown): v is Node {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}

export type TemplateParse =
  | { ok: true; program: Node }
  | { ok: false; reason: string; budget: boolean };

function isPrefixOperator(t: Token | undefined): boolean {
  return (
    t !== undefined &&
    (t.type === "UnaryOperator" || (t.type === "Identifier" && t.value === "not"))
  );
}

/** Nesting checks on the token stream, so that the recursive parser cannot overflow the stack. */
function checkNesting(tokens: readonly Token[], limits: TemplateLimits): string | undefined {
  let blocks = 0;
  let brackets = 0;
  let run = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.type === "OpenStatement") {
      const name = tokens[i + 1]?.value ?? "";
      if (BLOCK_OPENERS.has(name)) blocks++;
      else if (BLOCK_CLOSERS.has(name)) blocks--;
      else if (name === "set") {
        // `{% set x %}…{% endset %}` opens a block; `{% set x = … %}` does not.
        let j = i + 2;
        while (
          j < tokens.length &&
          tokens[j]!.type !== "CloseStatement" &&
          tokens[j]!.type !== "Equals"
        )
          j++;
        if (tokens[j]?.type === "CloseStatement") blocks++;
      }
      if (blocks > limits.maxBlockDepth)
        return `blocks are nested more than ${limits.maxBlockDepth} deep`;
    } else if (
      t.type === "OpenParen" ||
      t.type === "OpenSquareBracket" ||
      t.type === "OpenCurlyBracket"
    ) {
      if (++brackets > limits.maxExpressionDepth)
        return `expressions are nested more than ${limits.maxExpressionDepth} deep`;
    } else if (
      t.type === "CloseParen" ||
      t.type === "CloseSquareBracket" ||
      t.type === "CloseCurlyBracket"
    ) {
      brackets--;
    } else if (isPrefixOperator(t) && isPrefixOperator(tokens[i - 1])) {
      // `not not not …` and `- - -x` recurse in the parser too: a run counts as nesting.
      if (++run > limits.maxExpressionDepth)
        return `expressions are nested more than ${limits.maxExpressionDepth} deep`;
    } else {
      run = 0;
    }
  }
  return undefined;
}

/** Tokenizes and parses; never throws. */
export function parseTemplate(
  text: string,
  limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
): TemplateParse {
  if (text.length > limits.maxLength) {
    return {
      ok: false,
      reason: `the template is longer than ${limits.maxLength} characters`,
      budget: true,
    };
  }
  let tokens: Token[];
  try {
    tokens = tokenize(text) as Token[];
  } catch (error) {
    return { ok: false, reason: `tokenizer: ${message(error)}`, budget: false };
  }
  const nesting = checkNesting(tokens, limits);
  if (nesting !== undefined) return { ok: false, reason: nesting, budget: true };
  try {
    return { ok: true, program: parse(tokens as never) as unknown as Node };
  } catch (error) {
    const budget = error instanceof RangeError;
    return { ok: false, reason: `parser: ${message(error)}`, budget };
  }
}

function message(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}
