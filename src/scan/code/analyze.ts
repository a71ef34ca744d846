/**
 * Static analysis of one Python module's syntax tree: what it imports, and which calls it makes
 * that execute code, load pickles, open sockets, read secrets or write outside the working tree.
 *
 * Names are resolved the way Python would bind them, through aliases (`import os as o`,
 * `from subprocess import Popen as P`, `x = os.system`), dynamic imports with a computable name
 * (`__import__('o' + 's')`, `importlib.import_module(...)`), `getattr` with a computable attribute
 * and `sys.modules[...]`. Strings are folded (concatenation, `join`, `chr`, slicing `[::-1]`,
 * base64 and hex decoding) so that obfuscated names resolve to what they name. What each call
 * means comes from the rules data (PythonRules); this code only knows Python's semantics.
 *
 * Scope: code at module level, in class bodies, decorators and default values runs when the
 * module is imported (which is what `trust_remote_code` does); function and lambda bodies run when
 * called. Import-time findings get a higher severity, and rules may give them a worse verdict.
 * `if __name__ == "__main__":` blocks do not run on import.
 *
 * This file walks statements and scopes; the parts live beside it: values.ts and resolve.ts /
 * call-values.ts (value folding), imports.ts, call-rules.ts and rule-conditions.ts (what calls
 * mean), references.ts (names read), call-graph.ts (what runs at import time), record.ts (the
 * findings and facts collected).
 */
import { CallGraph } from "./call-graph.js";
import { execStatement, judgeCall } from "./call-rules.js";
import { importFrom, importStatement } from "./imports.js";
import type { ParsedPython, PyNode } from "./parser.js";
import type { AnalysisParts } from "./parts.js";
import { AnalysisRecord, type ModuleAnalysis } from "./record.js";
import { internalAttribute, reference, subscriptRead } from "./references.js";
import { ValueResolver } from "./resolve.js";
import type { PythonRules } from "./rules.js";
import { type Ctx, Scope } from "./scope.js";
import { SecretNames } from "./secret-names.js";
import { field, isMainGuard } from "./syntax.js";
import { UNKNOWN, type Value } from "./values.js";

export type { InlineCode, ModuleAnalysis, RelativeImport } from "./record.js";

/** Assignment targets that unpack: each name in them is bound to an unknown value. */
const UNPACKING = new Set([
  "pattern_list",
  "tuple_pattern",
  "list_pattern",
  "tuple",
  "list",
  "list_splat_pattern",
  "parenthesized_expression",
]);

export class ModuleAnalyzer {
  private readonly parts: AnalysisParts;

  /**
   * `loadedClasses`: classes the loader instantiates (auto_map targets). Their constructors and
   * `rules.loadMethods` run when the model loads, so findings there count like import time.
   */
  constructor(
    private readonly rules: PythonRules,
    loadedClasses: readonly string[] = [],
  ) {
    this.parts = {
      rules,
      record: new AnalysisRecord(),
      values: new ValueResolver(rules, new SecretNames(rules)),
      graph: new CallGraph(loadedClasses, rules.loadMethods),
    };
  }

  analyze(parsed: ParsedPython): ModuleAnalysis {
    this.walkChildren(parsed.root, { scope: new Scope(), importTime: true, depth: 0 });
    const { record, graph } = this.parts;
    graph.promote(record.findings, record.importVerdicts);
    return record.finish(this.rules.limits.maxDepth);
  }

  private walkChildren(node: PyNode, ctx: Ctx): void {
    for (const c of node.children) this.walk(c, node, ctx);
  }

  private walk(node: PyNode, parent: PyNode | undefined, ctx: Ctx): void {
    if (!node.named) return;
    if (ctx.depth > this.rules.limits.maxDepth) {
      this.parts.record.noteTooDeep(node);
      return;
    }
    const inner: Ctx = { ...ctx, depth: ctx.depth + 1 };
    if (this.statement(node, ctx, inner)) return;
    this.expression(node, parent, ctx, inner);
    this.walkChildren(node, inner);
  }

  /** Statements that bind names or open a scope, walked here in full: true when handled. */
  private statement(node: PyNode, ctx: Ctx, inner: Ctx): boolean {
    switch (node.type) {
      case "import_statement":
        importStatement(this.parts, node, ctx);
        return true;
      case "import_from_statement":
        importFrom(this.parts, node, ctx);
        return true;
      case "future_import_statement":
        return true;
      case "function_definition":
        this.functionDefinition(node, inner);
        return true;
      case "lambda":
        this.lambda(node, inner);
        return true;
      case "class_definition":
        this.classDefinition(node, inner);
        return true;
      case "if_statement": {
        if (!isMainGuard(field(node, "condition"))) return false;
        // Only the body is skipped on import; elif/else branches run then.
        for (const c of node.children) {
          const script = c.field === "consequence" || c.field === "condition";
          this.walk(c, node, script ? { ...inner, importTime: false } : inner);
        }
        return true;
      }
      case "assignment":
        this.assignment(node, inner);
        return true;
      default:
        return false;
    }
  }

  /** What an expression (or simple statement) does before its children are walked. */
  private expression(node: PyNode, parent: PyNode | undefined, ctx: Ctx, inner: Ctx): void {
    const { parts } = this;
    switch (node.type) {
      case "call":
        judgeCall(parts, node, inner);
        return;
      case "named_expression":
        parts.values.resolve(node, ctx.scope); // binds its name
        return;
      case "decorator": {
        const expr = node.children.find((c) => c.named);
        if (expr?.type === "identifier" && expr.text) parts.graph.noteCall(expr.text, expr, ctx);
        return;
      }
      case "exec_statement":
        execStatement(parts, node, inner);
        return;
      case "subscript":
        subscriptRead(parts, node, parent, inner);
        return;
      case "attribute":
        internalAttribute(parts, node, inner);
        reference(parts, node, parent, inner);
        return;
      case "identifier":
        reference(parts, node, parent, inner);
        return;
      case "for_statement":
      case "for_in_clause":
        this.bindTargets(field(node, "left"), ctx.scope, UNKNOWN);
        return;
      case "as_pattern":
        this.bindTargets(field(node, "alias"), ctx.scope, UNKNOWN);
        return;
      default:
        return;
    }
  }

  private functionDefinition(node: PyNode, ctx: Ctx): void {
    const name = field(node, "name")?.text;
    if (name) ctx.scope.vars.set(name, UNKNOWN);
    const body = new Scope(ctx.scope);
    let id: string | undefined;
    if (name && ctx.scope.parent === undefined) id = name;
    else if (name && ctx.cls && ctx.cls.scope === ctx.scope) id = `${ctx.cls.name}.${name}`;
    const unit = id ?? ctx.unit;
    const { findings } = this.parts.record;
    const from = findings.length;
    for (const c of node.children) {
      if (c.field === "body")
        this.walk(c, node, {
          scope: body,
          importTime: false,
          depth: ctx.depth,
          unit,
          cls: ctx.cls,
        });
      else if (c.field === "parameters") this.parameters(c, ctx, body);
      else this.walk(c, node, ctx); // return type annotation: evaluated at definition time
    }
    if (id) this.parts.graph.addRange(id, from, findings.length);
  }

  private lambda(node: PyNode, ctx: Ctx): void {
    const body = new Scope(ctx.scope);
    for (const c of node.children) {
      if (c.field === "body") this.walk(c, node, { ...ctx, scope: body, importTime: false });
      else if (c.field === "parameters") this.parameters(c, ctx, body);
    }
  }

  /** Defaults and annotations run where the function is defined; names bind in its body. */
  private parameters(node: PyNode, outer: Ctx, body: Scope): void {
    for (const p of node.children) {
      if (!p.named) continue;
      if (p.type === "identifier") {
        body.vars.set(p.text ?? "", UNKNOWN);
        continue;
      }
      for (const c of p.children) {
        if (c.field === "name" || c.type === "identifier") body.vars.set(c.text ?? "", UNKNOWN);
        else this.walk(c, p, outer);
      }
    }
  }

  private classDefinition(node: PyNode, ctx: Ctx): void {
    const name = field(node, "name")?.text;
    if (name) ctx.scope.vars.set(name, UNKNOWN);
    const body = new Scope(ctx.scope);
    const topLevel = name !== undefined && ctx.scope.parent === undefined;
    if (topLevel) {
      const bases = (field(node, "superclasses")?.children ?? [])
        .filter((c) => c.type === "identifier")
        .map((c) => c.text ?? "");
      this.parts.graph.addClass(name, bases);
    }
    const cls = topLevel ? { name, scope: body } : ctx.cls;
    for (const c of node.children) {
      if (c.field === "body") this.walk(c, node, { ...ctx, scope: body, cls });
      else if (c.field !== "name") this.walk(c, node, ctx);
    }
  }

  private assignment(node: PyNode, ctx: Ctx): void {
    const left = field(node, "left");
    const right = field(node, "right");
    const type = field(node, "type");
    if (right) this.walk(right, node, ctx);
    if (type) this.walk(type, node, ctx);
    if (left) {
      // Subscript/attribute targets still evaluate their object (and may call things).
      if (left.type !== "identifier") this.walk(left, node, ctx);
      const value = right ? this.parts.values.resolve(right, ctx.scope) : UNKNOWN;
      this.bindTargets(left, ctx.scope, value);
    }
  }

  private bindTargets(target: PyNode | undefined, scope: Scope, value: Value): void {
    if (!target) return;
    if (target.type === "identifier") {
      scope.vars.set(target.text ?? "", value);
      return;
    }
    if (UNPACKING.has(target.type)) {
      for (const c of target.children) if (c.named) this.bindTargets(c, scope, UNKNOWN);
    }
  }
}
