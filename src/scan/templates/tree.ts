/**
 * The template's syntax tree as a flat walk: each node's children with the role an Identifier in
 * them plays (an expression, a property name, a binding, a filter or test name, output text).
 */
import { isNode, type Node } from "./parse.js";

/** Child nodes of an AST node, each with its role (how an Identifier in it must be read). */
export type Role = "expr" | "prop" | "bind" | "name" | "text";

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

export function filterName(filter: unknown): { name: string; args: Node[] } | undefined {
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
export function* walk(root: Node): Generator<[Node, Role]> {
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
export function collectBindings(nodes: ReadonlyArray<[Node, Role]>): Set<string> {
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

export function containsStringLiteral(node: Node): boolean {
  for (const [n] of walk(node)) if (n.type === "StringLiteral") return true;
  return false;
}
