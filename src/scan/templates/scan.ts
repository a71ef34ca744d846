/**
 * The chat-template check (G1): parse a Jinja template with @huggingface/jinja (the parser
 * transformers.js uses) and walk its syntax tree for anything that reaches Python objects:
 * dunder or private attributes (dot or item access, including keys computed from string
 * literals, `~`/`+` concatenations, `join`/`format`/`replace`/`reverse` and `{% set %}`
 * constants), attribute-reading filters (`attr`, `map(attribute=…)`, `selectattr` …) with such
 * names, `str.format` fields that walk attributes, free Python names (`os`, `self`, `config`,
 * `__builtins__` …), and attribute reads on Jinja's Python-object globals (`lipsum`, `cycler` …).
 *
 * A template that does not parse is TEMPLATE_UNPARSEABLE (`unscannable`): Python Jinja may still
 * render it, and we cannot say what it does. Nesting is bounded before parsing (the parser is
 * recursive), and the tree walk is iterative.
 */
import { parse, tokenize } from "@huggingface/jinja";
import { type Finding, finding } from "../../core/finding.js";
import { type Verdict, worseVerdict } from "../../core/verdict.js";
import {
  ATTRIBUTE_FILTERS,
  classifyAttribute,
  DANGEROUS_CALLEES,
  DANGEROUS_GLOBALS,
  looksLikeDunderFragment,
  PYTHON_OBJECT_GLOBALS,
} from "./rules.js";

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

type Node = { type: string; [key: string]: unknown };
type Token = { type: string; value: string };

/** Functions transformers and Jinja put in the template globals. */
const CALLABLE_GLOBALS = new Set([
  "lipsum",
  "cycler",
  "joiner",
  "namespace",
  "range",
  "dict",
  "raise_exception",
  "strftime_now",
]);
const BLOCK_OPENERS = new Set(["if", "for", "macro", "call", "filter"]);
const BLOCK_CLOSERS = new Set(["endif", "endfor", "endmacro", "endcall", "endfilter", "endset"]);
const MAX_CONSTANTS = 16;

function isNode(v: unknown): v is Node {
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

/** Child nodes of an AST node, each with its role (how an Identifier in it must be read). */
type Role = "expr" | "prop" | "bind" | "name" | "text";

function list(v: unknown, role: Role = "expr"): Array<[unknown, Role]> {
  if (Array.isArray(v)) return v.map((x): [unknown, Role] => [x, role]);
  return v === undefined || v === null ? [] : [[v, role]];
}

/**
 * Statement lists: template text arrives as StringLiteral statements (and so does `{{ 'lit' }}`);
 * both are only output, so they get their own role.
 */
function body(v: unknown): Array<[unknown, Role]> {
  if (!Array.isArray(v)) return [];
  return v.map((x): [unknown, Role] => [
    x,
    isNode(x) && x.type === "StringLiteral" ? "text" : "expr",
  ]);
}

function children(node: Node): Array<[unknown, Role]> {
  const n = node as Record<string, unknown>;
  switch (node.type) {
    case "Program":
      return body(n.body);
    case "If":
      return [...list(n.test), ...body(n.body), ...body(n.alternate)];
    case "For":
      return [
        ...list(n.loopvar, "bind"),
        ...list(n.iterable),
        ...body(n.body),
        ...body(n.defaultBlock),
      ];
    case "Set":
      return [...list(n.assignee, "bind"), ...list(n.value), ...body(n.body)];
    case "Macro":
      return [...list(n.name, "bind"), ...list(n.args, "bind"), ...body(n.body)];
    case "MemberExpression":
      return [...list(n.object), ...list(n.property, n.computed ? "expr" : "prop")];
    case "CallExpression":
      return [...list(n.callee), ...list(n.args)];
    case "ArrayLiteral":
    case "TupleLiteral":
      return list(n.value);
    case "ObjectLiteral": {
      const out: Array<[unknown, Role]> = [];
      if (n.value instanceof Map) for (const [k, v] of n.value) out.push([k, "expr"], [v, "expr"]);
      return out;
    }
    case "BinaryExpression":
      return [...list(n.left), ...list(n.right)];
    case "FilterExpression":
      return [...list(n.operand), ...filterChildren(n.filter)];
    case "FilterStatement":
      return [...filterChildren(n.filter), ...body(n.body)];
    case "SelectExpression":
      return [...list(n.lhs), ...list(n.test)];
    case "TestExpression":
      return [...list(n.operand), ...list(n.test, "name")];
    case "UnaryExpression":
    case "SpreadExpression":
    case "KeywordSpreadExpression":
      return list(n.argument);
    case "SliceExpression":
      return [...list(n.start), ...list(n.stop), ...list(n.step)];
    case "KeywordArgumentExpression":
      return [...list(n.key, "name"), ...list(n.value)];
    case "CallStatement":
      return [...list(n.call), ...list(n.callerArgs, "bind"), ...body(n.body)];
    case "Ternary":
      return [...list(n.condition), ...list(n.trueExpr), ...list(n.falseExpr)];
    default: {
      // A node type this code does not know (a newer parser): walk every child node it holds.
      const out: Array<[unknown, Role]> = [];
      for (const [key, value] of Object.entries(n)) {
        if (key === "type" || key === "operator") continue;
        if (Array.isArray(value)) for (const v of value) out.push([v, "expr"]);
        else if (isNode(value)) out.push([value, "expr"]);
      }
      return out;
    }
  }
}

/** A filter is a name (`|upper`) or a call (`|map(attribute='x')`): only its arguments are expressions. */
function filterChildren(filter: unknown): Array<[unknown, Role]> {
  if (!isNode(filter)) return [];
  if (filter.type === "Identifier") return [[filter, "name"]];
  if (filter.type === "CallExpression") {
    const args = Array.isArray(filter.args) ? filter.args : [];
    return [[filter.callee, "name"], ...args.map((a): [unknown, Role] => [a, "expr"])];
  }
  return [[filter, "expr"]];
}

function filterName(filter: unknown): { name: string; args: Node[] } | undefined {
  if (!isNode(filter)) return undefined;
  if (filter.type === "Identifier") return { name: String(filter.value), args: [] };
  if (
    filter.type === "CallExpression" &&
    isNode(filter.callee) &&
    filter.callee.type === "Identifier"
  ) {
    const args = (Array.isArray(filter.args) ? filter.args : []).filter(isNode);
    return { name: String(filter.callee.value), args };
  }
  return undefined;
}

/** Depth-first, iterative: every node with its role. */
function* walk(root: Node): Generator<[Node, Role]> {
  const stack: Array<[unknown, Role]> = [[root, "expr"]];
  while (stack.length > 0) {
    const [node, role] = stack.pop()!;
    if (!isNode(node)) continue;
    yield [node, role];
    const kids = children(node);
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]!);
  }
}

/** Names the template binds itself (set, for, macro, call arguments). */
function collectBindings(nodes: ReadonlyArray<[Node, Role]>): Set<string> {
  const names = new Set<string>();
  for (const [node, role] of nodes) {
    if (role !== "bind") continue;
    if (node.type === "Identifier") names.add(String(node.value));
    if (node.type === "KeywordArgumentExpression" && isNode(node.key))
      names.add(String(node.key.value));
    if (node.type === "TupleLiteral" && Array.isArray(node.value))
      for (const v of node.value)
        if (isNode(v) && v.type === "Identifier") names.add(String(v.value));
  }
  return names;
}

/**
 * Constant folding of string expressions: the possible string values of `node`, or [] when it is
 * not a constant. Follows `{% set x = 'a' ~ 'b' %}` through `env`.
 */
class Folder {
  readonly env = new Map<string, string[]>();

  fold(node: unknown, depth = 0): string[] {
    if (!isNode(node) || depth > 50) return [];
    const n = node as Record<string, unknown>;
    switch (node.type) {
      case "StringLiteral":
        return [String(n.value)];
      case "IntegerLiteral":
      case "FloatLiteral":
        return [String(n.value)];
      case "Identifier":
        return this.env.get(String(n.value)) ?? [];
      case "BinaryExpression": {
        const op = (n.operator as Token | undefined)?.value;
        if (op === "+" || op === "~")
          return combine(this.fold(n.left, depth + 1), this.fold(n.right, depth + 1));
        if (op === "%") {
          const fmt = this.fold(n.left, depth + 1);
          const right = n.right as Node;
          const args =
            right?.type === "TupleLiteral" && Array.isArray(right.value)
              ? (right.value as unknown[]).map((a) => this.fold(a, depth + 1)[0] ?? "")
              : [this.fold(right, depth + 1)[0] ?? ""];
          return fmt.map((f) => percentFormat(f, args));
        }
        return [];
      }
      case "FilterExpression": {
        const f = filterName(n.filter);
        if (!f) return [];
        const args = f.args.map((a) => this.fold(a, depth + 1)[0]);
        const operand = n.operand as Node;
        if (
          f.name === "join" &&
          (operand?.type === "ArrayLiteral" || operand?.type === "TupleLiteral")
        ) {
          const parts = (operand.value as unknown[]).map((p) => this.fold(p, depth + 1)[0]);
          if (parts.some((p) => p === undefined)) return [];
          return [parts.join(args[0] ?? "")];
        }
        // `dict(__cla=1, ss__=2)|join` joins the keys: a quote-free way to spell a name.
        const keys = f.name === "join" ? dictKeywordKeys(operand) : undefined;
        if (keys !== undefined) return [keys.join(args[0] ?? "")];
        return this.fold(operand, depth + 1).flatMap((s) => applyStringOp(f.name, s, args));
      }
      case "CallExpression": {
        const callee = n.callee as Node;
        if (callee?.type !== "MemberExpression" || callee.computed) return [];
        const method = String((callee.property as Node | undefined)?.value ?? "");
        const args = (Array.isArray(n.args) ? n.args : []).map((a) => this.fold(a, depth + 1)[0]);
        const object = callee.object as Node;
        if (method === "join" && Array.isArray(n.args) && isNode(n.args[0])) {
          const list = n.args[0] as Node;
          if (list.type !== "ArrayLiteral" && list.type !== "TupleLiteral") return [];
          const parts = (list.value as unknown[]).map((p) => this.fold(p, depth + 1)[0]);
          if (parts.some((p) => p === undefined)) return [];
          return this.fold(object, depth + 1).map((sep) => parts.join(sep));
        }
        return this.fold(object, depth + 1).flatMap((s) => applyStringOp(method, s, args));
      }
      case "Ternary":
        return [...this.fold(n.trueExpr, depth + 1), ...this.fold(n.falseExpr, depth + 1)].slice(
          0,
          MAX_CONSTANTS,
        );
      default:
        return [];
    }
  }
}

/** The keyword names of a `dict(a=…, b=…)` call, or undefined for anything else. */
function dictKeywordKeys(node: unknown): string[] | undefined {
  if (!isNode(node) || node.type !== "CallExpression") return undefined;
  const callee = node.callee as Node | undefined;
  if (callee?.type !== "Identifier" || callee.value !== "dict" || !Array.isArray(node.args))
    return undefined;
  const keys: string[] = [];
  for (const arg of node.args) {
    if (!isNode(arg) || arg.type !== "KeywordArgumentExpression" || !isNode(arg.key))
      return undefined;
    keys.push(String(arg.key.value));
  }
  return keys;
}

function combine(a: string[], b: string[]): string[] {
  const out: string[] = [];
  for (const x of a) for (const y of b) if (out.length < MAX_CONSTANTS) out.push(x + y);
  return out;
}

function percentFormat(fmt: string, args: string[]): string {
  let i = 0;
  return fmt.replace(/%([sdrc%])/g, (_, c: string) => {
    if (c === "%") return "%";
    const a = args[i++] ?? "";
    return c === "c" && /^\d+$/.test(a) ? String.fromCharCode(Number(a)) : a;
  });
}

function applyStringOp(name: string, s: string, args: Array<string | undefined>): string[] {
  switch (name) {
    case "lower":
      return [s.toLowerCase()];
    case "upper":
      return [s.toUpperCase()];
    case "string":
    case "trim":
    case "strip":
      return [name === "string" ? s : s.trim()];
    case "reverse":
      return [[...s].reverse().join("")];
    case "replace":
      return args[0] !== undefined && args[1] !== undefined ? [s.split(args[0]).join(args[1])] : [];
    case "format": {
      if (!s.includes("{")) return [percentFormat(s, args as string[])];
      // Python numbers empty fields left to right: "{}{}".format(a, b) is a + b.
      let next = 0;
      return [s.replace(/\{(\d*)\}/g, (_, d: string) => args[d === "" ? next++ : Number(d)] ?? "")];
    }
    default:
      return [];
  }
}

function containsStringLiteral(node: Node): boolean {
  for (const [n] of walk(node)) if (n.type === "StringLiteral") return true;
  return false;
}

class Analysis {
  readonly findings: Finding[] = [];
  private readonly seen = new Set<string>();
  private dropped = 0;

  constructor(
    private readonly where: string,
    private readonly limits: TemplateLimits,
  ) {}

  report(verdict: Verdict, rule: string, detail: string, text: string): void {
    const key = `${rule}\u0000${detail}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    if (this.findings.length >= this.limits.maxFindings) {
      this.dropped++;
      return;
    }
    this.findings.push(
      finding("TEMPLATE_DANGEROUS", verdict, `Chat template ${this.where}: ${text}`, {
        evidence: { where: this.where, rule, detail },
      }),
    );
  }

  finish(): Finding[] {
    if (this.dropped > 0) {
      const worst = this.findings.reduce<Verdict>((v, f) => worseVerdict(v, f.verdict), "clean");
      this.findings.push(
        finding(
          "TEMPLATE_DANGEROUS",
          worst,
          `Chat template ${this.where}: ${this.dropped} more findings not listed.`,
          {
            evidence: { where: this.where, dropped: this.dropped },
          },
        ),
      );
    }
    return this.findings;
  }
}

/** Checks a parsed template. Pure; never throws. */
export function analyzeTemplate(
  program: Node,
  where: string,
  limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
): Finding[] {
  const out = new Analysis(where, limits);
  // One walk; the passes below reuse its list.
  const nodes = [...walk(program)];
  const bound = collectBindings(nodes);
  const folder = new Folder();
  // Constants from `{% set name = <constant> %}`, twice so that chains resolve.
  for (let pass = 0; pass < 2; pass++) {
    for (const [node] of nodes) {
      if (node.type !== "Set" || !isNode(node.assignee) || node.assignee.type !== "Identifier")
        continue;
      const values = folder.fold(node.value);
      if (values.length === 0) continue;
      const name = String(node.assignee.value);
      const merged = [...new Set([...(folder.env.get(name) ?? []), ...values])].slice(
        0,
        MAX_CONSTANTS,
      );
      folder.env.set(name, merged);
    }
  }

  const checkAttribute = (name: string, how: string): void => {
    const verdict = classifyAttribute(name);
    if (verdict)
      out.report(verdict, "attribute", name, `${how} '${name}' reaches Python internals.`);
  };

  // Callees and tested names seen so far (parents come before children in `nodes`):
  // `lipsum(3)` and `strftime_now is defined` are ordinary uses.
  const called = new Set<Node>();
  for (const [node, role] of nodes) {
    const n = node as Record<string, unknown>;
    switch (node.type) {
      case "MemberExpression": {
        const object = n.object as Node;
        const property = n.property as Node;
        if (!n.computed && isNode(property) && property.type === "Identifier") {
          checkAttribute(String(property.value), "attribute");
        } else if (n.computed && isNode(property)) {
          const keys = folder.fold(property);
          for (const key of keys) checkAttribute(key, "item access");
          if (
            keys.length === 0 &&
            property.type !== "StringLiteral" &&
            containsStringLiteral(property)
          ) {
            out.report(
              "suspicious",
              "computed-key",
              "",
              "an item key is built from strings in a way that cannot be followed.",
            );
          }
        }
        if (isNode(object) && object.type === "Identifier") {
          const name = String(object.value);
          if (PYTHON_OBJECT_GLOBALS.has(name) && !bound.has(name))
            out.report(
              "malicious",
              "python-global",
              name,
              `an attribute of the Jinja global '${name}' (a Python object) is read.`,
            );
        }
        break;
      }
      case "Identifier": {
        if (role !== "expr") break;
        const name = String(n.value);
        // A global function used as a value, not called or tested: `(lipsum|string)[n]` or
        // `(raise_exception ~ '')[n]` is how payloads build `_` without a string literal.
        if (CALLABLE_GLOBALS.has(name) && !bound.has(name) && !called.has(node))
          out.report(
            "suspicious",
            "callable-as-value",
            name,
            `uses the Python function '${name}' as a value (its text form leaks characters such as '_').`,
          );
        if (DANGEROUS_GLOBALS.has(name) && !bound.has(name))
          out.report(
            "malicious",
            "global",
            name,
            `the name '${name}' refers to a Python object, not template data.`,
          );
        break;
      }
      case "CallExpression": {
        const callee = n.callee as Node;
        if (isNode(callee)) called.add(callee);
        if (isNode(callee) && callee.type === "Identifier") {
          const name = String(callee.value);
          if (DANGEROUS_CALLEES.has(name) && !bound.has(name))
            out.report("malicious", "call", name, `calls '${name}'.`);
        }
        if (isNode(callee) && callee.type === "MemberExpression" && !callee.computed) {
          const method = String((callee.property as Node | undefined)?.value ?? "");
          if (method === "format" || method === "format_map") {
            for (const fmt of folder.fold(callee.object)) {
              const field = /\{[^{}]*?[.[]\s*([A-Za-z_][\w]*)/g;
              for (const m of fmt.matchAll(field))
                checkAttribute(m[1]!, "a str.format field reads attribute");
            }
          }
        }
        break;
      }
      case "TestExpression": {
        if (isNode(n.operand)) called.add(n.operand);
        break;
      }
      case "FilterExpression":
      case "FilterStatement": {
        const f = filterName(n.filter);
        if (!f || !ATTRIBUTE_FILTERS.has(f.name)) break;
        for (const arg of f.args) {
          const value = arg.type === "KeywordArgumentExpression" ? (arg.value as Node) : arg;
          const names = folder.fold(value);
          if (names.length === 0 && f.name === "attr")
            out.report(
              "suspicious",
              "attr-filter",
              "",
              "the attr filter reads an attribute whose name cannot be followed.",
            );
          for (const s of names)
            for (const part of s.split(".")) checkAttribute(part, `the ${f.name} filter reads`);
        }
        break;
      }
      case "KeywordArgumentExpression": {
        // `dict(__class__=1)`: a keyword name is a string in disguise.
        const key = isNode(n.key) ? String(n.key.value) : "";
        if (looksLikeDunderFragment(key))
          out.report(
            "suspicious",
            "dunder-keyword",
            key.slice(0, 60),
            `the keyword '${key.slice(0, 60)}' spells (part of) a Python dunder name.`,
          );
        break;
      }
      case "StringLiteral": {
        if (role === "text") break;
        const value = String(n.value);
        if (looksLikeDunderFragment(value))
          out.report(
            "suspicious",
            "dunder-string",
            value.slice(0, 60),
            `the string '${value.slice(0, 60)}' spells (part of) a Python dunder name.`,
          );
        break;
      }
      default:
        break;
    }
  }
  return out.finish();
}

/**
 * The chat-template check other scanners call (GGUF `tokenizer.chat_template`, JSON files,
 * `.jinja` text): parse `text` and return its findings. `where` names the template's origin, e.g.
 * `tokenizer_config.json:chat_template` or `model.gguf:tokenizer.chat_template`. An unparseable
 * template is TEMPLATE_UNPARSEABLE (`unscannable`).
 */
export function scanChatTemplate(
  text: string,
  where: string,
  limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
): Finding[] {
  const parsed = parseTemplate(text, limits);
  if (!parsed.ok) {
    return [
      finding(
        "TEMPLATE_UNPARSEABLE",
        "unscannable",
        `Chat template ${where} could not be parsed (${parsed.reason}); a loader might still render it.`,
        {
          evidence: { where, reason: parsed.reason, budget: parsed.budget },
        },
      ),
    ];
  }
  return analyzeTemplate(parsed.program, where, limits);
}
