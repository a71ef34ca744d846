/**
 * Constant folding of string expressions in a template: `'__cla' ~ 'ss__'`, `[…]|join`,
 * `'%c%c' % (95, 95)`, `|replace`, `|reverse`, `.format(…)`, `dict(__cla=1, ss__=2)|join`, and
 * names bound by `{% set %}` to such constants. Each expression folds to its possible values.
 */
import { isNode, type Node, type Token } from "./parse.js";
import { filterName } from "./tree.js";

/** Possible values kept per expression (a ternary has two, combinations multiply). */
export const MAX_CONSTANTS = 16;

/**
 * Constant folding of string expressions: the possible string values of `node`, or [] when it is
 * not a constant. Follows `{% set x = 'a' ~ 'b' %}` through `env`.
 */
export class Folder {
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
      case "BinaryExpression":
        return this.binary(n, depth + 1);
      case "FilterExpression":
        return this.filter(n, depth + 1);
      case "CallExpression":
        return this.methodCall(n, depth + 1);
      case "Ternary":
        return [...this.fold(n.trueExpr, depth + 1), ...this.fold(n.falseExpr, depth + 1)].slice(
          0,
          MAX_CONSTANTS,
        );
      default:
        return [];
    }
  }

  /** `a ~ b`, `a + b`, `fmt % args`. */
  private binary(n: Record<string, unknown>, depth: number): string[] {
    const op = (n.operator as Token | undefined)?.value;
    if (op === "+" || op === "~")
      return combine(this.fold(n.left, depth), this.fold(n.right, depth));
    if (op !== "%") return [];
    const fmt = this.fold(n.left, depth);
    const right = n.right as Node;
    const args =
      right?.type === "TupleLiteral" && Array.isArray(right.value)
        ? (right.value as unknown[]).map((a) => this.fold(a, depth)[0] ?? "")
        : [this.fold(right, depth)[0] ?? ""];
    return fmt.map((f) => percentFormat(f, args));
  }

  /** `[…]|join(sep)`, `dict(…)|join`, `s|replace(a, b)`, `s|reverse` … */
  private filter(n: Record<string, unknown>, depth: number): string[] {
    const f = filterName(n.filter);
    if (!f) return [];
    const args = f.args.map((a) => this.fold(a, depth)[0]);
    const operand = n.operand as Node;
    if (
      f.name === "join" &&
      (operand?.type === "ArrayLiteral" || operand?.type === "TupleLiteral")
    ) {
      const parts = this.items(operand, depth);
      return parts ? [parts.join(args[0] ?? "")] : [];
    }
    // `dict(__cla=1, ss__=2)|join` joins the keys: a quote-free way to spell a name.
    const keys = f.name === "join" ? dictKeywordKeys(operand) : undefined;
    if (keys !== undefined) return [keys.join(args[0] ?? "")];
    return this.fold(operand, depth).flatMap((s) => applyStringOp(f.name, s, args));
  }

  /** `sep.join([…])`, `s.replace(a, b)`, `s.format(…)` … on a constant string. */
  private methodCall(n: Record<string, unknown>, depth: number): string[] {
    const callee = n.callee as Node;
    if (callee?.type !== "MemberExpression" || callee.computed) return [];
    const method = String((callee.property as Node | undefined)?.value ?? "");
    const args = (Array.isArray(n.args) ? n.args : []).map((a) => this.fold(a, depth)[0]);
    const object = callee.object as Node;
    if (method === "join" && Array.isArray(n.args) && isNode(n.args[0])) {
      const list = n.args[0] as Node;
      if (list.type !== "ArrayLiteral" && list.type !== "TupleLiteral") return [];
      const parts = this.items(list, depth);
      return parts ? this.fold(object, depth).map((sep) => parts.join(sep)) : [];
    }
    return this.fold(object, depth).flatMap((s) => applyStringOp(method, s, args));
  }

  /** The first value of each item of a list or tuple literal, or undefined if one is unknown. */
  private items(list: Node, depth: number): string[] | undefined {
    const parts = (list.value as unknown[]).map((p) => this.fold(p, depth)[0]);
    return parts.some((p) => p === undefined) ? undefined : (parts as string[]);
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
