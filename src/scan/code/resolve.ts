/**
 * Value folding: what a Python expression evaluates to, as far as it can be known statically.
 * Names resolve through the scope's bindings and star imports; strings fold through f-strings,
 * concatenation, `%`, path division and the `[::-1]` reversal; subscripts read namespaces
 * (`sys.modules[...]`, `vars(os)[...]`, `os.environ[...]`). Calls are folded in call-values.ts.
 */
import { resolveCallValue } from "./call-values.js";
import type { PyNode } from "./parser.js";
import { findCallRule, type PythonRules } from "./rules.js";
import type { Scope } from "./scope.js";
import { HOME_VARIABLES, type SecretNames } from "./secret-names.js";
import { stringParts } from "./strings.js";
import { field } from "./syntax.js";
import {
  concat,
  mergeTaint,
  nameValue,
  str,
  UNKNOWN,
  unknownFrom,
  type Value,
  withTaint,
} from "./values.js";

const RESOLVE_DEPTH = 64;

export class ValueResolver {
  private readonly memo = new Map<PyNode, Value>();

  constructor(
    readonly rules: PythonRules,
    readonly secrets: SecretNames,
  ) {}

  /**
   * Memoised per node: the walk visits each statement once, so a node is always resolved under
   * the same bindings.
   */
  resolve(node: PyNode, scope: Scope, depth = 0): Value {
    const known = this.memo.get(node);
    if (known) return known;
    if (depth > RESOLVE_DEPTH) return UNKNOWN;
    const value = this.resolveUncached(node, scope, depth + 1);
    this.memo.set(node, value);
    return value;
  }

  /** A secret's name taints what it reads; HOME and friends read as `~`. */
  environmentValue(key: string): Value | undefined {
    if (HOME_VARIABLES.has(key)) return str("~", true);
    if (this.secrets.isSecret(key)) return withTaint({ kind: "unknown" }, { secret: key });
    return undefined;
  }

  attributeOf(obj: Value, attr: string, obfuscated: boolean): Value {
    if (obj.kind === "name") {
      if (attr === "__dict__") return obj; // the namespace itself, indexed by name below
      return nameValue(`${obj.name}.${attr}`, false, obj.obfuscated || obfuscated, obj.taint);
    }
    if (obj.kind === "str") return obj; // a method of the string: handled by call-values.ts
    return obj.taint ? withTaint({ kind: "unknown" }, obj.taint) : UNKNOWN;
  }

  private resolveUncached(node: PyNode, scope: Scope, d: number): Value {
    switch (node.type) {
      case "identifier":
        return this.identifier(node.text ?? "", scope);
      case "attribute": {
        const obj = field(node, "object");
        const attr = field(node, "attribute")?.text;
        if (!obj || !attr) return UNKNOWN;
        return this.attributeOf(this.resolve(obj, scope, d), attr, false);
      }
      case "named_expression": {
        // (f := os.system)(...): the walrus binds as it evaluates.
        const name = field(node, "name")?.text;
        const valueNode = field(node, "value");
        const value = valueNode ? this.resolve(valueNode, scope, d) : UNKNOWN;
        if (name) scope.vars.set(name, value);
        return value;
      }
      case "parenthesized_expression": {
        const inner = node.children.find((c) => c.named);
        return inner ? this.resolve(inner, scope, d) : UNKNOWN;
      }
      case "string":
        return this.foldString(node, scope, d);
      case "concatenated_string":
        return concat(this.namedChildren(node, scope, d), false);
      case "binary_operator":
        return this.binary(node, scope, d);
      case "subscript":
        return this.subscript(node, scope, d);
      case "call":
        return resolveCallValue(this, node, scope, d);
      default:
        return unknownFrom(this.namedChildren(node, scope, d));
    }
  }

  private namedChildren(node: PyNode, scope: Scope, depth: number): Value[] {
    return node.children.filter((c) => c.named).map((c) => this.resolve(c, scope, depth));
  }

  private identifier(name: string, scope: Scope): Value {
    const bound = scope.lookup(name);
    if (bound) return bound;
    for (const m of scope.stars()) {
      if (findCallRule(this.rules, `${m}.${name}`)) return nameValue(`${m}.${name}`, false);
    }
    return nameValue(`builtins.${name}`, false);
  }

  private foldString(node: PyNode, scope: Scope, depth: number): Value {
    const { parts } = stringParts(node);
    let value = "";
    let partial = false;
    let computed = false;
    const taints: Value[] = [];
    for (const p of parts) {
      if (typeof p === "string") {
        value += p;
        continue;
      }
      computed = true;
      const expr = field(p, "expression");
      const v = expr ? this.resolve(expr, scope, depth) : UNKNOWN;
      taints.push(v);
      if (v.kind === "str") {
        value += v.value;
        partial ||= v.partial;
      } else {
        value += "{?}";
        partial = true;
      }
    }
    return str(value, computed, partial, mergeTaint(taints));
  }

  private binary(node: PyNode, scope: Scope, depth: number): Value {
    const left = field(node, "left");
    const right = field(node, "right");
    const op = field(node, "operator")?.type;
    if (!left || !right) return UNKNOWN;
    const l = this.resolve(left, scope, depth);
    const r = this.resolve(right, scope, depth);
    if (op === "+" && (l.kind === "str" || r.kind === "str")) return concat([l, r], true);
    if (op === "/" && l.kind === "str") {
      // pathlib: Path.home() / ".bashrc"
      const rv = r.kind === "str" ? r.value : "{?}";
      return str(`${l.value.replace(/\/$/, "")}/${rv}`, true, l.partial || r.kind !== "str");
    }
    if (op === "%" && l.kind === "str") return str(l.value, true, true, mergeTaint([l, r]));
    return unknownFrom([l, r]);
  }

  private subscript(node: PyNode, scope: Scope, depth: number): Value {
    const valueNode = field(node, "value");
    const keyNode = field(node, "subscript");
    if (!valueNode || !keyNode) return UNKNOWN;
    const value = this.resolve(valueNode, scope, depth);
    if (value.kind === "str" && keyNode.type === "slice") {
      const text = keyNode.children.map((c) => c.type).join("");
      // "so"[::-1]: the reversal trick
      const step = keyNode.children.find((c) => c.type === "unary_operator");
      if (text.startsWith("::") && step)
        return str([...value.value].reverse().join(""), true, value.partial, value.taint);
      return str(value.value, true, true, value.taint);
    }
    const key = this.resolve(keyNode, scope, depth);
    if (value.kind === "name" && key.kind === "str" && !key.partial) {
      if (value.name === "sys.modules") return nameValue(key.value, true, key.computed);
      // builtins["eval"], vars(os)["system"], os.__dict__["system"]: a namespace read by key.
      if (value.name === "builtins" || value.module)
        return this.attributeOf(value, key.value, key.computed);
      if (value.name === "os.environ") {
        const env = this.environmentValue(key.value);
        if (env) return env;
      }
    }
    return unknownFrom([value, key]);
  }
}
