/**
 * The checks over a parsed template's nodes: dunder or private attributes (dot or item access,
 * keys folded from constants), attribute-reading filters, `str.format` fields that walk
 * attributes, free Python names, calls of dangerous callees, reads on Jinja's Python-object
 * globals, callable globals used as values, and strings or keywords that spell dunder names.
 */
import type { Finding } from "../../core/finding.js";
import { Folder, MAX_CONSTANTS } from "./fold.js";
import { DEFAULT_TEMPLATE_LIMITS, isNode, type Node, type TemplateLimits } from "./parse.js";
import { TemplateReport } from "./report.js";
import {
  ATTRIBUTE_FILTERS,
  classifyAttribute,
  DANGEROUS_CALLEES,
  DANGEROUS_GLOBALS,
  looksLikeDunderFragment,
  PYTHON_OBJECT_GLOBALS,
} from "./rules.js";
import { collectBindings, containsStringLiteral, filterName, type Role, walk } from "./tree.js";

/** Functions transformers and Jinja put in the template globals: Jinja's, and transformers' two. */
const CALLABLE_GLOBALS = new Set([...PYTHON_OBJECT_GLOBALS, "raise_exception", "strftime_now"]);

/** Checks a parsed template. Pure; never throws. */
export function analyzeTemplate(
  program: Node,
  where: string,
  limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
): Finding[] {
  // One walk; the passes below reuse its list.
  const nodes = [...walk(program)];
  const checks = new TemplateChecks(new TemplateReport(where, limits), nodes);
  for (const [node, role] of nodes) checks.check(node, role);
  return checks.out.finish();
}

/** Constants from `{% set name = <constant> %}`, twice so that chains resolve. */
function foldSetConstants(nodes: ReadonlyArray<[Node, Role]>): Folder {
  const folder = new Folder();
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
  return folder;
}

class TemplateChecks {
  /** Names the template binds itself: not Python objects. */
  private readonly bound: Set<string>;
  private readonly folder: Folder;
  /**
   * Callees and tested names seen so far (parents come before children in the walk):
   * `lipsum(3)` and `strftime_now is defined` are ordinary uses.
   */
  private readonly called = new Set<Node>();

  constructor(
    readonly out: TemplateReport,
    nodes: ReadonlyArray<[Node, Role]>,
  ) {
    this.bound = collectBindings(nodes);
    this.folder = foldSetConstants(nodes);
  }

  check(node: Node, role: Role): void {
    const n = node as Record<string, unknown>;
    switch (node.type) {
      case "MemberExpression":
        this.member(n);
        return;
      case "Identifier":
        if (role === "expr") this.identifier(node);
        return;
      case "CallExpression":
        this.call(n);
        return;
      case "TestExpression":
        if (isNode(n.operand)) this.called.add(n.operand);
        return;
      case "FilterExpression":
      case "FilterStatement":
        this.filter(n);
        return;
      case "KeywordArgumentExpression":
        this.keyword(n);
        return;
      case "StringLiteral":
        if (role !== "text") this.stringLiteral(n);
        return;
      default:
        return;
    }
  }

  private attribute(name: string, how: string): void {
    const verdict = classifyAttribute(name);
    if (verdict)
      this.out.report(verdict, "attribute", name, `${how} '${name}' reaches Python internals.`);
  }

  private member(n: Record<string, unknown>): void {
    const object = n.object as Node;
    const property = n.property as Node;
    if (!n.computed && isNode(property) && property.type === "Identifier") {
      this.attribute(String(property.value), "attribute");
    } else if (n.computed && isNode(property)) {
      const keys = this.folder.fold(property);
      for (const key of keys) this.attribute(key, "item access");
      if (keys.length === 0 && property.type !== "StringLiteral" && containsStringLiteral(property))
        this.out.report(
          "suspicious",
          "computed-key",
          "",
          "an item key is built from strings in a way that cannot be followed.",
        );
    }
    if (isNode(object) && object.type === "Identifier") {
      const name = String(object.value);
      if (PYTHON_OBJECT_GLOBALS.has(name) && !this.bound.has(name))
        this.out.report(
          "malicious",
          "python-global",
          name,
          `an attribute of the Jinja global '${name}' (a Python object) is read.`,
        );
    }
  }

  private identifier(node: Node): void {
    const name = String(node.value);
    if (this.bound.has(name)) return;
    // A global function used as a value, not called or tested: `(lipsum|string)[n]` or
    // `(raise_exception ~ '')[n]` is how payloads build `_` without a string literal.
    if (CALLABLE_GLOBALS.has(name) && !this.called.has(node))
      this.out.report(
        "suspicious",
        "callable-as-value",
        name,
        `uses the Python function '${name}' as a value (its text form leaks characters such as '_').`,
      );
    if (DANGEROUS_GLOBALS.has(name))
      this.out.report(
        "malicious",
        "global",
        name,
        `the name '${name}' refers to a Python object, not template data.`,
      );
  }

  private call(n: Record<string, unknown>): void {
    const callee = n.callee as Node;
    if (!isNode(callee)) return;
    this.called.add(callee);
    if (callee.type === "Identifier") {
      const name = String(callee.value);
      if (DANGEROUS_CALLEES.has(name) && !this.bound.has(name))
        this.out.report("malicious", "call", name, `calls '${name}'.`);
    }
    if (callee.type === "MemberExpression" && !callee.computed) {
      const method = String((callee.property as Node | undefined)?.value ?? "");
      if (method !== "format" && method !== "format_map") return;
      for (const fmt of this.folder.fold(callee.object)) {
        const field = /\{[^{}]*?[.[]\s*([A-Za-z_][\w]*)/g;
        for (const m of fmt.matchAll(field))
          this.attribute(m[1]!, "a str.format field reads attribute");
      }
    }
  }

  /** `|attr(name)`, `|map(attribute=name)`, `|selectattr(name)` … */
  private filter(n: Record<string, unknown>): void {
    const f = filterName(n.filter);
    if (!f || !ATTRIBUTE_FILTERS.has(f.name)) return;
    for (const arg of f.args) {
      const value = arg.type === "KeywordArgumentExpression" ? (arg.value as Node) : arg;
      const names = this.folder.fold(value);
      if (names.length === 0 && f.name === "attr")
        this.out.report(
          "suspicious",
          "attr-filter",
          "",
          "the attr filter reads an attribute whose name cannot be followed.",
        );
      for (const s of names)
        for (const part of s.split(".")) this.attribute(part, `the ${f.name} filter reads`);
    }
  }

  /** `dict(__class__=1)`: a keyword name is a string in disguise. */
  private keyword(n: Record<string, unknown>): void {
    const key = isNode(n.key) ? String(n.key.value) : "";
    if (looksLikeDunderFragment(key))
      this.out.report(
        "suspicious",
        "dunder-keyword",
        key.slice(0, 60),
        `the keyword '${key.slice(0, 60)}' spells (part of) a Python dunder name.`,
      );
  }

  private stringLiteral(n: Record<string, unknown>): void {
    const value = String(n.value);
    if (looksLikeDunderFragment(value))
      this.out.report(
        "suspicious",
        "dunder-string",
        value.slice(0, 60),
        `the string '${value.slice(0, 60)}' spells (part of) a Python dunder name.`,
      );
  }
}
