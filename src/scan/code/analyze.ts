/**
 * Static analysis of one Python module's syntax tree: what it imports, and which calls it makes
 * that execute code, load pickles, open sockets, read secrets or write outside the working tree.
 *
 * Names are resolved the way Python would bind them, through aliases (`import os as o`,
 * `from subprocess import Popen as P`, `x = os.system`), dynamic imports with a computable name
 * (`__import__('o' + 's')`, `importlib.import_module(...)`), `getattr` with a computable attribute
 * and `sys.modules[...]`. Strings are folded (concatenation, `join`, `chr`, slicing `[::-1]`,
 * base64 and hex decoding) so that obfuscated names resolve to what they name. What each call
 * means comes from the rules data (PythonRules); this file only knows Python's semantics.
 *
 * Scope: code at module level, in class bodies, decorators and default values runs when the
 * module is imported (which is what `trust_remote_code` does); function and lambda bodies run when
 * called. Import-time findings get a higher severity, and rules may give them a worse verdict.
 * `if __name__ == "__main__":` blocks do not run on import.
 */
import { type Finding, finding, type Severity } from "../../core/finding.js";
import type { Verdict } from "../../core/verdict.js";
import type { ParsedPython, PyNode } from "./parser.js";
import {
  type CallRule,
  findCallRule,
  isListed,
  moduleListed,
  type PythonRules,
  type RuleVerdict,
} from "./rules.js";
import { decodeBase64, decodeHex, stringParts } from "./strings.js";

interface Taint {
  /** The decoding call that produced this value. */
  decoded?: string;
  /** The secret environment variable this value came from. */
  secret?: string;
}

type Value =
  | { kind: "name"; name: string; module: boolean; obfuscated: boolean; taint?: Taint }
  | { kind: "str"; value: string; computed: boolean; partial: boolean; taint?: Taint }
  | { kind: "unknown"; taint?: Taint };

const UNKNOWN: Value = { kind: "unknown" };

export interface RelativeImport {
  /** Number of leading dots. */
  level: number;
  /** Dotted module after the dots ("" for `from . import x`). */
  module: string;
  /** Imported names (for `from . import a, b`, each may be a module file). */
  names: string[];
  line: number;
}

/** A string handed to exec/eval/compile whose content is known: analysed as code too. */
export interface InlineCode {
  code: string;
  line: number;
  column: number;
  importTime: boolean;
  via: string;
}

export interface ModuleAnalysis {
  findings: Finding[];
  /** Absolute modules imported anywhere in the file, sorted. */
  imports: string[];
  relativeImports: RelativeImport[];
  inline: InlineCode[];
}

class Scope {
  readonly vars = new Map<string, Value>();
  readonly starModules: string[] = [];
  constructor(readonly parent?: Scope) {}

  lookup(name: string): Value | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v) return v;
    }
    return undefined;
  }

  stars(): string[] {
    const out: string[] = [];
    for (let s: Scope | undefined = this; s; s = s.parent) out.push(...s.starModules);
    return out;
  }
}

interface Ctx {
  scope: Scope;
  importTime: boolean;
  depth: number;
  /** The unit (module-level function `f` or method `C.m`) whose body this is, if any. */
  unit?: string | undefined;
  /** The module-level class whose body (or method) this is, if any. */
  cls?: { name: string; scope: Scope } | undefined;
}

/**
 * A module-level function, a method of a module-level class, or a class (whose "calls" are its
 * constructor methods): where its findings are, and which units its body calls (by plain name,
 * or `self.m(...)` / `cls.m(...)` within its class).
 */
interface Unit {
  ranges: [number, number][];
  calls: Set<string>;
}

/** How a unit comes to run without anyone calling it by hand. */
interface Root {
  via: string;
  scope: "import-time" | "load-time";
}

/** Methods that run when a class is instantiated. */
const CONSTRUCTORS = ["__new__", "__init__", "__post_init__"];

const RESOLVE_DEPTH = 64;
const BUMP: Record<Severity, Severity> = {
  info: "low",
  low: "medium",
  medium: "high",
  high: "critical",
  critical: "critical",
};
const SEVERITY: Record<RuleVerdict, Severity> = { suspicious: "medium", malicious: "critical" };

const DYNAMIC_IMPORTS = new Set([
  "builtins.__import__",
  "importlib.import_module",
  "importlib.__import__",
]);
/** Methods of os.environ that hand out every variable at once. */
const WHOLE_ENVIRONMENT = /^os\.environ\.(copy|items|values|keys|__dict__|_data)$/;
const HOME_VARIABLES = new Set(["HOME", "USERPROFILE"]);

function mergeTaint(values: readonly Value[]): Taint | undefined {
  let out: Taint | undefined;
  for (const v of values) {
    if (!v.taint) continue;
    out = { ...(out ?? {}) };
    if (v.taint.decoded && !out.decoded) out.decoded = v.taint.decoded;
    if (v.taint.secret && !out.secret) out.secret = v.taint.secret;
  }
  return out;
}

function withTaint<T extends Value>(v: T, taint: Taint | undefined): T {
  return taint ? { ...v, taint } : v;
}

/** `a.__builtins__.b` → `builtins.b`; `x.__dict__` → `x`. */
function normalizeName(name: string): string {
  let n = name.replace(/(^|\.)__builtins__(?=\.|$)/g, "$1builtins").replace(/\.__dict__$/, "");
  n = n.replace(/^(?:builtins\.)+builtins(?=\.|$)/, "builtins");
  n = n.replace(/^__builtin__(?=\.|$)/, "builtins");
  return n;
}

function nameValue(name: string, module: boolean, obfuscated = false, taint?: Taint): Value {
  return withTaint({ kind: "name", name: normalizeName(name), module, obfuscated }, taint) as Value;
}

function str(value: string, computed: boolean, partial = false, taint?: Taint): Value {
  return withTaint({ kind: "str", value, computed, partial }, taint) as Value;
}

function dottedText(node: PyNode): string {
  return node.children
    .filter((c) => c.type === "identifier")
    .map((c) => c.text ?? "")
    .join(".");
}

function argumentNodes(call: PyNode): { positional: PyNode[]; keywords: Map<string, PyNode> } {
  const args = call.children.find((c) => c.field === "arguments");
  const positional: PyNode[] = [];
  const keywords = new Map<string, PyNode>();
  if (!args) return { positional, keywords };
  if (args.type === "generator_expression") return { positional: [args], keywords };
  for (const a of args.children) {
    if (!a.named || a.type === "comment") continue;
    if (a.type === "keyword_argument") {
      const key = a.children.find((c) => c.field === "name")?.text;
      const value = a.children.find((c) => c.field === "value");
      if (key && value) keywords.set(key, value);
    } else {
      positional.push(a);
    }
  }
  return { positional, keywords };
}

function isMainGuard(condition: PyNode | undefined): boolean {
  if (condition?.type !== "comparison_operator") return false;
  const named = condition.children.filter((c) => c.named);
  const operators = condition.children.filter((c) => !c.named).map((c) => c.type);
  if (named.length !== 2 || operators.length !== 1 || operators[0] !== "==") return false;
  const texts = named.map((c) =>
    c.type === "identifier"
      ? c.text
      : c.type === "string"
        ? stringParts(c).parts.join("")
        : undefined,
  );
  return texts.includes("__name__") && texts.includes("__main__");
}

export class ModuleAnalyzer {
  private readonly findings: Finding[] = [];
  private readonly imports = new Set<string>();
  private readonly relativeImports: RelativeImport[] = [];
  private readonly inline: InlineCode[] = [];
  private secretRead: { name: string; line: number } | undefined;
  private networkUse: { name: string; line: number } | undefined;
  private tooDeep: { line: number } | undefined;
  private readonly secretPatterns: RegExp[];
  private readonly units = new Map<string, Unit>();
  /** Module-level classes and the module-level names of their bases. */
  private readonly classBases = new Map<string, string[]>();
  private readonly roots = new Map<string, Root>();
  private readonly memo = new Map<PyNode, Value>();
  /** For each finding, the verdict it would have at import time (when a rule says so). */
  private readonly importVerdicts: (RuleVerdict | undefined)[] = [];
  /** Calls that return an environment variable named by their first argument (env rules). */
  private readonly envLookups: Set<string>;

  /**
   * `loadedClasses`: classes the loader instantiates (auto_map targets). Their constructors and
   * `rules.loadMethods` run when the model loads, so findings there count like import time.
   */
  constructor(
    private readonly rules: PythonRules,
    loadedClasses: readonly string[] = [],
  ) {
    for (const cls of loadedClasses) {
      for (const method of rules.loadMethods) {
        this.roots.set(`${cls}.${method}`, {
          via: `${cls}.${method}(), which the loader runs`,
          scope: "load-time",
        });
      }
    }
    this.secretPatterns = rules.secretEnvPatterns.map((p) => new RegExp(p, "i"));
    this.envLookups = new Set(
      rules.calls.filter((c) => c.onlyWhenSecretArg !== undefined).map((c) => c.name),
    );
  }

  analyze(parsed: ParsedPython): ModuleAnalysis {
    const scope = new Scope();
    this.walkChildren(parsed.root, { scope, importTime: true, depth: 0 });
    this.promoteImportTimeCalls();
    if (this.tooDeep) {
      this.findings.push(
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `Code is nested more than ${this.rules.limits.maxDepth} levels deep; the innermost part was not analysed.`,
          { line: this.tooDeep.line },
        ),
      );
    }
    if (this.secretRead && this.networkUse) {
      this.findings.push(
        finding(
          "PYTHON_DANGEROUS",
          "malicious",
          `Reads the secret ${this.secretRead.name} (line ${this.secretRead.line}) and uses the network (${this.networkUse.name}, line ${this.networkUse.line}): the pattern of token exfiltration.`,
          {
            line: this.secretRead.line,
            evidence: { category: "exfiltration", secret: this.secretRead.name },
          },
        ),
      );
    }
    return {
      findings: this.findings,
      imports: [...this.imports].sort(),
      relativeImports: this.relativeImports,
      inline: this.inline,
    };
  }

  // ---------------------------------------------------------------- statements and scopes

  private walkChildren(node: PyNode, ctx: Ctx): void {
    for (const c of node.children) this.walk(c, node, ctx);
  }

  private walk(node: PyNode, parent: PyNode | undefined, ctx: Ctx): void {
    if (!node.named) return;
    if (ctx.depth > this.rules.limits.maxDepth) {
      this.tooDeep ??= { line: node.row + 1 };
      return;
    }
    const inner: Ctx = { ...ctx, depth: ctx.depth + 1 };
    switch (node.type) {
      case "import_statement":
        this.importStatement(node, ctx);
        return;
      case "import_from_statement":
        this.importFrom(node, ctx);
        return;
      case "future_import_statement":
        return;
      case "function_definition":
        this.functionDefinition(node, inner);
        return;
      case "lambda":
        this.lambda(node, inner);
        return;
      case "class_definition":
        this.classDefinition(node, inner);
        return;
      case "if_statement":
        if (isMainGuard(node.children.find((c) => c.field === "condition"))) {
          // Only the body is skipped on import; elif/else branches run then.
          for (const c of node.children) {
            const script = c.field === "consequence" || c.field === "condition";
            this.walk(c, node, script ? { ...inner, importTime: false } : inner);
          }
          return;
        }
        break;
      case "assignment":
        this.assignment(node, inner);
        return;
      case "call":
        this.call(node, inner);
        break;
      case "named_expression":
        this.resolve(node, ctx.scope, 0); // binds its name
        break;
      case "decorator": {
        const expr = node.children.find((c) => c.named);
        if (expr?.type === "identifier" && expr.text) this.noteCall(expr.text, expr, ctx);
        break;
      }
      case "exec_statement":
        this.execStatement(node, inner);
        break;
      case "subscript":
        this.subscriptRead(node, parent, inner);
        break;
      case "attribute":
        this.internalAttribute(node, inner);
        this.reference(node, parent, inner);
        break;
      case "identifier":
        this.reference(node, parent, inner);
        break;
      case "for_statement":
      case "for_in_clause":
        this.bindTargets(
          node.children.find((c) => c.field === "left"),
          ctx.scope,
          UNKNOWN,
        );
        break;
      case "as_pattern":
        this.bindTargets(
          node.children.find((c) => c.field === "alias"),
          ctx.scope,
          UNKNOWN,
        );
        break;
      default:
        break;
    }
    this.walkChildren(node, inner);
  }

  private functionDefinition(node: PyNode, ctx: Ctx): void {
    const name = node.children.find((c) => c.field === "name")?.text;
    if (name) ctx.scope.vars.set(name, UNKNOWN);
    const body = new Scope(ctx.scope);
    let id: string | undefined;
    if (name && ctx.scope.parent === undefined) id = name;
    else if (name && ctx.cls && ctx.cls.scope === ctx.scope) id = `${ctx.cls.name}.${name}`;
    const unit = id ?? ctx.unit;
    const from = this.findings.length;
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
    if (id) this.unitFor(id).ranges.push([from, this.findings.length]);
  }

  private unitFor(id: string): Unit {
    let unit = this.units.get(id);
    if (!unit) {
      unit = { ranges: [], calls: new Set() };
      this.units.set(id, unit);
    }
    return unit;
  }

  /** A call of a unit by name: at import time it is a root; inside a unit, an edge. */
  private noteCall(target: string, at: PyNode, ctx: Ctx): void {
    if (ctx.importTime) {
      if (!this.roots.has(target))
        this.roots.set(target, { via: `${target}() at line ${at.row + 1}`, scope: "import-time" });
    } else if (ctx.unit) {
      this.unitFor(ctx.unit).calls.add(target);
    }
  }

  /** Findings in units reachable from a root run at import (or load) time: promote them. */
  private promoteImportTimeCalls(): void {
    const reached = new Map<string, Root>();
    const queue: string[] = [];
    for (const [id, root] of this.roots) {
      reached.set(id, root);
      queue.push(id);
    }
    while (queue.length > 0) {
      const id = queue.shift() as string;
      const callees = [...(this.units.get(id)?.calls ?? [])];
      // C.m also runs the base classes' m (inherited, or through super()).
      const dot = id.indexOf(".");
      if (dot > 0) {
        for (const base of this.classBases.get(id.slice(0, dot)) ?? [])
          callees.push(`${base}${id.slice(dot)}`);
      }
      for (const callee of callees) {
        if (!reached.has(callee)) {
          reached.set(callee, reached.get(id) as Root);
          queue.push(callee);
        }
      }
    }
    for (const [id, root] of reached) {
      for (const [from, to] of this.units.get(id)?.ranges ?? []) {
        for (let i = from; i < to; i++) {
          const f = this.findings[i];
          const evidence = f?.evidence as { scope?: string } | undefined;
          if (!f || evidence?.scope !== "function") continue;
          const verdict = this.importVerdicts[i] ?? (f.verdict as RuleVerdict);
          const when = root.scope === "import-time" ? "at import time" : "when the model loads";
          this.findings[i] = {
            ...f,
            code: verdict === "malicious" ? "PYTHON_DANGEROUS" : "PYTHON_SUSPICIOUS",
            verdict,
            severity: BUMP[SEVERITY[verdict]],
            message: `${f.message}, ${when} (through ${root.via})`,
            evidence: { ...f.evidence, scope: root.scope, via: root.via },
          };
        }
      }
    }
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
    const name = node.children.find((c) => c.field === "name")?.text;
    if (name) ctx.scope.vars.set(name, UNKNOWN);
    const body = new Scope(ctx.scope);
    const topLevel = name !== undefined && ctx.scope.parent === undefined;
    if (topLevel) {
      // Instantiating the class runs its constructors.
      for (const m of CONSTRUCTORS) this.unitFor(name).calls.add(`${name}.${m}`);
    }
    const cls = topLevel ? { name, scope: body } : ctx.cls;
    if (topLevel) {
      const supers = node.children.find((c) => c.field === "superclasses");
      const bases = (supers?.children ?? [])
        .filter((c) => c.type === "identifier")
        .map((c) => c.text ?? "");
      this.classBases.set(name, bases);
    }
    for (const c of node.children) {
      if (c.field === "body") this.walk(c, node, { ...ctx, scope: body, cls });
      else if (c.field !== "name") this.walk(c, node, ctx);
    }
  }

  private assignment(node: PyNode, ctx: Ctx): void {
    const left = node.children.find((c) => c.field === "left");
    const right = node.children.find((c) => c.field === "right");
    const type = node.children.find((c) => c.field === "type");
    if (right) this.walk(right, node, ctx);
    if (type) this.walk(type, node, ctx);
    if (left) {
      // Subscript/attribute targets still evaluate their object (and may call things).
      if (left.type !== "identifier") this.walk(left, node, ctx);
      const value = right ? this.resolve(right, ctx.scope, 0) : UNKNOWN;
      this.bindTargets(left, ctx.scope, value);
    }
  }

  private bindTargets(target: PyNode | undefined, scope: Scope, value: Value): void {
    if (!target) return;
    if (target.type === "identifier") {
      scope.vars.set(target.text ?? "", value);
      return;
    }
    if (
      target.type === "pattern_list" ||
      target.type === "tuple_pattern" ||
      target.type === "list_pattern" ||
      target.type === "tuple" ||
      target.type === "list" ||
      target.type === "list_splat_pattern" ||
      target.type === "parenthesized_expression"
    ) {
      for (const c of target.children) if (c.named) this.bindTargets(c, scope, UNKNOWN);
    }
  }

  // ---------------------------------------------------------------- imports

  private importStatement(node: PyNode, ctx: Ctx): void {
    for (const c of node.children) {
      if (c.field !== "name") continue;
      if (c.type === "dotted_name") {
        const module = dottedText(c);
        this.noteImport(module, c);
        const top = module.split(".")[0] ?? module;
        ctx.scope.vars.set(top, nameValue(top, true));
      } else if (c.type === "aliased_import") {
        const nameNode = c.children.find((x) => x.field === "name");
        const alias = c.children.find((x) => x.field === "alias")?.text;
        if (!nameNode) continue;
        const module = dottedText(nameNode);
        this.noteImport(module, c);
        if (alias) ctx.scope.vars.set(alias, nameValue(module, true));
      }
    }
  }

  private importFrom(node: PyNode, ctx: Ctx): void {
    const moduleNode = node.children.find((c) => c.field === "module_name");
    if (!moduleNode) return;
    const names: { name: string; alias: string }[] = [];
    let wildcard = false;
    for (const c of node.children) {
      if (c.type === "wildcard_import") wildcard = true;
      if (c.field !== "name") continue;
      if (c.type === "dotted_name") {
        const n = dottedText(c);
        names.push({ name: n, alias: n });
      } else if (c.type === "aliased_import") {
        const n = dottedText(c.children.find((x) => x.field === "name") ?? c);
        names.push({ name: n, alias: c.children.find((x) => x.field === "alias")?.text ?? n });
      }
    }
    if (moduleNode.type === "relative_import") {
      const prefix = moduleNode.children.find((c) => c.type === "import_prefix")?.text ?? ".";
      const dotted = moduleNode.children.find((c) => c.type === "dotted_name");
      const module = dotted ? dottedText(dotted) : "";
      this.relativeImports.push({
        level: prefix.length,
        module,
        names: names.map((n) => n.name),
        line: node.row + 1,
      });
      const base = `${prefix}${module}`;
      for (const n of names) ctx.scope.vars.set(n.alias, nameValue(`${base}.${n.name}`, false));
      return;
    }
    const module = dottedText(moduleNode);
    this.noteImport(module, moduleNode);
    if (wildcard) ctx.scope.starModules.push(module);
    for (const n of names) {
      const full = `${module}.${n.name}`;
      // `from urllib import request` imports a submodule that may be flagged on its own.
      if (this.rules.flaggedModules.some((m) => m.name === full))
        this.noteFlaggedModule(full, node);
      ctx.scope.vars.set(n.alias, nameValue(full, false));
    }
  }

  private noteImport(module: string, at: PyNode): void {
    if (!module) return;
    this.imports.add(module);
    this.noteFlaggedModule(module, at);
  }

  private noteFlaggedModule(module: string, at: PyNode): void {
    const flagged = this.rules.flaggedModules.find(
      (m) => module === m.name || module.startsWith(`${m.name}.`),
    );
    if (flagged) {
      this.emit(flagged.verdict, `imports ${module}: ${flagged.reason}`, at, {
        category: flagged.category,
        module,
      });
    }
    if (moduleListed(this.rules.networkModules, module))
      this.networkUse ??= { name: module, line: at.row + 1 };
  }

  // ---------------------------------------------------------------- references

  private reference(node: PyNode, parent: PyNode | undefined, ctx: Ctx): void {
    // Only the outermost node of an attribute chain is looked at.
    if (parent?.type === "attribute" && node.field === "object") return;
    if (node.type === "identifier" && parent?.type === "attribute") return;
    const handedOver =
      parent?.type === "argument_list" ||
      (parent?.type === "keyword_argument" && node.field === "value");
    if (node.type === "identifier" && !handedOver && !ctx.scope.lookup(node.text ?? "")) return;
    const value = this.resolve(node, ctx.scope, 0);
    if (value.kind !== "name") return;
    if (handedOver) this.callableHandedOver(value.name, node, ctx);
    if (moduleListed(this.rules.networkModules, value.name))
      this.networkUse ??= { name: value.name, line: node.row + 1 };
    if (value.name !== "os.environ" && !WHOLE_ENVIRONMENT.test(value.name)) return;
    // os.environ[...] and os.environ.get(...) are judged by name elsewhere; anything else
    // (dict(os.environ), os.environ.copy(), passing it on) hands out every secret at once.
    if (parent?.type === "subscript" && node.field === "value") return;
    if (parent?.type === "comparison_operator") return;
    this.secretRead ??= { name: "the whole environment", line: node.row + 1 };
    this.emit(
      "suspicious",
      "reads the whole environment (os.environ), tokens included",
      node,
      { category: "env" },
      ctx.importTime,
    );
  }

  private internalAttribute(node: PyNode, ctx: Ctx): void {
    const attr = node.children.find((c) => c.field === "attribute")?.text;
    if (!attr || !this.rules.internalAttributes.includes(attr)) return;
    this.emit(
      "suspicious",
      `reaches interpreter internals through .${attr}`,
      node,
      { category: "reflection", attribute: attr },
      ctx.importTime,
    );
  }

  /**
   * `Thread(target=os.system, args=(...))`, `map(eval, lines)`: a dangerous callable passed as a
   * value will be called by someone else. Rules whose conditions need the call's arguments cannot
   * be judged here and are skipped.
   */
  private callableHandedOver(name: string, at: PyNode, ctx: Ctx): void {
    // subprocess.PIPE, socket.AF_INET: constants of a flagged module, not callables.
    if (/^[A-Z][A-Z0-9_]*$/.test(name.slice(name.lastIndexOf(".") + 1))) return;
    const rule = findCallRule(this.rules, name);
    if (
      !rule ||
      rule.safeWhenKeyword ||
      rule.onlyWhenKeyword ||
      rule.onlyWhenPathEscapes ||
      rule.onlyWhenWriteMode ||
      rule.onlyWhenComputedName ||
      rule.onlyWhenSecretArg !== undefined
    )
      return;
    const verdict = ctx.importTime ? (rule.importTimeVerdict ?? rule.verdict) : rule.verdict;
    this.emit(
      verdict,
      `passes ${name} on to be called: ${rule.reason}`,
      at,
      { category: rule.category, callable: name },
      ctx.importTime,
      rule.importTimeVerdict ?? rule.verdict,
    );
  }

  private subscriptRead(node: PyNode, parent: PyNode | undefined, ctx: Ctx): void {
    const valueNode = node.children.find((c) => c.field === "value");
    const keyNode = node.children.find((c) => c.field === "subscript");
    if (!valueNode || !keyNode) return;
    const value = this.resolve(valueNode, ctx.scope, 0);
    if (value.kind !== "name" || value.name !== "os.environ") return;
    if (parent?.type === "assignment" && node.field === "left") return; // a write, not a read
    if (parent?.type === "augmented_assignment" && node.field === "left") return;
    const key = this.resolve(keyNode, ctx.scope, 0);
    if (key.kind === "str" && !key.partial) this.secretLookup(key.value, node, ctx);
  }

  private isSecretName(name: string): boolean {
    if (this.rules.secretEnvAllow.includes(name)) return false;
    return this.secretPatterns.some((p) => p.test(name));
  }

  private secretLookup(name: string, at: PyNode, ctx: Ctx): boolean {
    if (!this.isSecretName(name)) return false;
    this.secretRead ??= { name, line: at.row + 1 };
    this.emit(
      "suspicious",
      `reads the secret environment variable ${name}`,
      at,
      {
        category: "env",
        variable: name,
      },
      ctx.importTime,
    );
    return true;
  }

  // ---------------------------------------------------------------- calls

  private execStatement(node: PyNode, ctx: Ctx): void {
    const code = node.children.find((c) => c.field === "code");
    if (!code) return;
    const arg = this.resolve(code, ctx.scope, 0);
    if (this.execSink("builtins.exec", arg, node, ctx)) return;
    const rule = findCallRule(this.rules, "builtins.exec");
    if (rule) {
      const verdict = ctx.importTime ? (rule.importTimeVerdict ?? rule.verdict) : rule.verdict;
      this.emit(
        verdict,
        `exec statement: ${rule.reason}`,
        node,
        { category: rule.category, callable: "builtins.exec" },
        ctx.importTime,
      );
    }
  }

  private call(node: PyNode, ctx: Ctx): void {
    const fn = node.children.find((c) => c.field === "function");
    if (!fn) return;
    if (fn.type === "identifier" && fn.text) this.noteCall(fn.text, fn, ctx);
    else if (fn.type === "attribute" && ctx.cls) {
      // self.m(...) / cls.m(...) inside a class: a call of its own method.
      const obj = fn.children.find((c) => c.field === "object");
      const attr = fn.children.find((c) => c.field === "attribute")?.text;
      if (obj?.type === "identifier" && (obj.text === "self" || obj.text === "cls") && attr)
        this.noteCall(`${ctx.cls.name}.${attr}`, fn, ctx);
    }
    const callee = this.resolve(fn, ctx.scope, 0);
    const { positional, keywords } = argumentNodes(node);
    if (ctx.importTime) {
      // A local function handed over at import time (atexit.register(f), Thread(target=f)) runs.
      for (const a of [...positional, ...keywords.values()])
        if (a.type === "identifier" && a.text && this.units.has(a.text))
          this.noteCall(a.text, a, ctx);
    }
    const argValue = (index: number, keyword?: string): Value | undefined => {
      const n = positional[index] ?? (keyword ? keywords.get(keyword) : undefined);
      return n ? this.resolve(n, ctx.scope, 0) : undefined;
    };

    if (callee.kind === "str" && fn.type === "attribute") {
      // A method on a path-like string: Path("~/.bashrc").write_text(...)
      const method = fn.children.find((c) => c.field === "attribute")?.text ?? "";
      if (this.rules.pathWriteMethods.includes(method)) this.pathWrite(method, callee, node, ctx);
      return;
    }
    if (callee.kind !== "name") return;
    const name = callee.name;

    if (moduleListed(this.rules.networkModules, name)) {
      this.networkUse ??= { name, line: node.row + 1 };
      const secret = [...positional, ...keywords.values()]
        .map((a) => this.resolve(a, ctx.scope, 0))
        .find((v) => v.taint?.secret);
      if (secret?.taint?.secret) {
        this.emit(
          "malicious",
          `${name}() sends the secret ${secret.taint.secret} over the network`,
          node,
          {
            category: "network",
            callable: name,
          },
          ctx.importTime,
        );
      }
    }

    if (DYNAMIC_IMPORTS.has(name)) {
      const target = argValue(0, "name");
      if (target?.kind === "str" && !target.partial && !target.computed) {
        const relative = /^(\.+)(.*)$/.exec(target.value);
        if (relative) {
          // import_module(".sub", package=__package__): a file of this repo.
          this.relativeImports.push({
            level: relative[1]?.length ?? 1,
            module: relative[2] ?? "",
            names: [],
            line: node.row + 1,
          });
        } else this.noteImport(target.value, node);
        return;
      }
      if (target?.taint?.decoded) {
        this.emit(
          "malicious",
          `${name}() imports a module whose name is decoded data (${target.taint.decoded})`,
          node,
          {
            category: "import",
            callable: name,
          },
          ctx.importTime,
        );
        return;
      }
      if (target?.kind === "str" && !target.partial) {
        this.noteImport(target.value, node);
        this.emit(
          "suspicious",
          `${name}() imports ${target.value} under a name built at runtime`,
          node,
          {
            category: "import",
            callable: name,
            obfuscated: true,
          },
          ctx.importTime,
        );
        return;
      }
    }

    if (this.envLookups.has(name)) {
      const key = argValue(0, "key");
      if (key?.kind === "str" && !key.partial) this.secretLookup(key.value, node, ctx);
      return;
    }

    if (isListed(this.rules.execSinks, name)) {
      const arg = argValue(0, name.endsWith("compile") ? "source" : undefined);
      if (this.execSink(name, arg, node, ctx)) return;
    }

    const rule = findCallRule(this.rules, name);
    if (rule && this.ruleApplies(rule, argValue, keywords)) {
      const verdict = ctx.importTime ? (rule.importTimeVerdict ?? rule.verdict) : rule.verdict;
      const persistence = this.persistenceTarget(rule, argValue);
      const obf = callee.obfuscated ? " (name built at runtime)" : "";
      this.emit(
        persistence ? "malicious" : verdict,
        `${name}(): ${rule.reason}${persistence ? ` (${persistence})` : ""}${obf}`,
        node,
        {
          category: rule.category,
          callable: name,
          ...(callee.obfuscated ? { obfuscated: true } : {}),
        },
        ctx.importTime,
        persistence ? "malicious" : (rule.importTimeVerdict ?? rule.verdict),
      );
    } else if (callee.obfuscated && !moduleListed(this.rules.safeModules, name)) {
      this.emit(
        "suspicious",
        `calls ${name} through a name built at runtime`,
        node,
        {
          category: "reflection",
          callable: name,
          obfuscated: true,
        },
        ctx.importTime,
      );
    }
  }

  /** Decoded data reaching an execution sink is malicious; a known string is analysed as code. */
  private execSink(name: string, arg: Value | undefined, at: PyNode, ctx: Ctx): boolean {
    if (arg?.taint?.decoded) {
      this.emit(
        "malicious",
        `${name}() runs decoded data (${arg.taint.decoded})`,
        at,
        { category: "eval", callable: name, decoder: arg.taint.decoded },
        ctx.importTime,
      );
      this.inlineCode(arg, at, ctx, name);
      return true;
    }
    if (arg?.kind === "str" && !arg.partial) this.inlineCode(arg, at, ctx, name);
    return false;
  }

  private inlineCode(arg: Value, at: PyNode, ctx: Ctx, via: string): void {
    if (arg.kind !== "str" || arg.partial) return;
    this.inline.push({
      code: arg.value,
      line: at.row + 1,
      column: at.col + 1,
      importTime: ctx.importTime,
      via,
    });
  }

  private ruleApplies(
    rule: CallRule,
    argValue: (index: number, keyword?: string) => Value | undefined,
    keywords: Map<string, PyNode>,
  ): boolean {
    const literalKeyword = (key: string): boolean | undefined => {
      const n = keywords.get(key);
      if (n?.type === "true") return true;
      if (n?.type === "false") return false;
      return undefined;
    };
    if (
      rule.safeWhenKeyword &&
      literalKeyword(rule.safeWhenKeyword.name) === rule.safeWhenKeyword.value
    )
      return false;
    if (
      rule.onlyWhenKeyword &&
      literalKeyword(rule.onlyWhenKeyword.name) !== rule.onlyWhenKeyword.value
    ) {
      // A non-literal value could be either: only a literal "safe" value clears the call.
      const n = keywords.get(rule.onlyWhenKeyword.name);
      if (!n || n.type === "true" || n.type === "false") return false;
    }
    if (rule.onlyWhenWriteMode) {
      const mode = argValue(rule.onlyWhenWriteMode.index, rule.onlyWhenWriteMode.keyword);
      if (!mode) return false; // default mode reads
      if (mode.kind === "str" && !mode.partial && !/[wax+]/.test(mode.value)) return false;
    }
    if (rule.onlyWhenPathEscapes) {
      const path = argValue(rule.onlyWhenPathEscapes.index, rule.onlyWhenPathEscapes.keyword);
      if (!path || !this.pathEscapes(path)) return false;
    }
    if (rule.onlyWhenComputedName) {
      const obj = argValue(rule.onlyWhenComputedName.objectIndex);
      const key = argValue(rule.onlyWhenComputedName.nameIndex);
      if (obj?.kind !== "name") return false;
      if (moduleListed(this.rules.safeModules, obj.name)) return false;
      if (!obj.module && !obj.name.startsWith("builtins")) return false;
      if (key?.kind === "str" && !key.computed && !key.partial) return false;
    }
    if (rule.onlyWhenSecretArg !== undefined) {
      const key = argValue(rule.onlyWhenSecretArg);
      if (key?.kind !== "str" || !this.isSecretName(key.value)) return false;
    }
    return true;
  }

  /** A path that leaves the working tree: absolute, home-relative, or climbing with `..`. */
  private pathEscapes(path: Value): boolean {
    if (path.kind !== "str") return false;
    const p = path.value;
    if (this.persistenceMatch(p)) return true;
    return (
      p.startsWith("/") ||
      p.startsWith("~") ||
      p.startsWith("\\") ||
      /^[A-Za-z]:[\\/]/.test(p) ||
      /(^|[\\/])\.\.([\\/]|$)/.test(p)
    );
  }

  private persistenceMatch(p: string): string | undefined {
    return this.rules.persistencePaths.find((s) => p.includes(s));
  }

  private persistenceTarget(
    rule: CallRule,
    argValue: (index: number, keyword?: string) => Value | undefined,
  ): string | undefined {
    if (!rule.onlyWhenPathEscapes) return undefined;
    const path = argValue(rule.onlyWhenPathEscapes.index, rule.onlyWhenPathEscapes.keyword);
    if (path?.kind !== "str") return undefined;
    const hit = this.persistenceMatch(path.value);
    return hit ? `writes ${path.value}` : undefined;
  }

  private pathWrite(method: string, path: Value, at: PyNode, ctx: Ctx): void {
    if (path.kind !== "str" || !this.pathEscapes(path)) return;
    const persistence = this.persistenceMatch(path.value);
    this.emit(
      persistence ? "malicious" : "suspicious",
      `${method}() on ${path.value}: changes a file outside the model folder`,
      at,
      { category: "file", callable: method },
      ctx.importTime,
    );
  }

  private emit(
    verdict: RuleVerdict,
    message: string,
    at: PyNode,
    evidence: Record<string, unknown>,
    importTime = false,
    importTimeVerdict?: RuleVerdict,
  ): void {
    while (this.importVerdicts.length < this.findings.length) this.importVerdicts.push(undefined);
    this.importVerdicts.push(importTimeVerdict);
    const severity = importTime ? BUMP[SEVERITY[verdict]] : SEVERITY[verdict];
    const where = importTime ? ", at import time" : "";
    this.findings.push(
      finding(
        verdict === "malicious" ? "PYTHON_DANGEROUS" : "PYTHON_SUSPICIOUS",
        verdict as Verdict,
        `${message}${where}`,
        {
          severity,
          line: at.row + 1,
          column: at.col + 1,
          evidence: { ...evidence, scope: importTime ? "import-time" : "function" },
        },
      ),
    );
  }

  // ---------------------------------------------------------------- values

  /**
   * What an expression evaluates to, as far as it can be known statically. Memoised per node: the
   * walk visits each statement once, so a node is always resolved under the same bindings.
   */
  private resolve(node: PyNode, scope: Scope, depth: number): Value {
    const known = this.memo.get(node);
    if (known) return known;
    if (depth > RESOLVE_DEPTH) return UNKNOWN;
    const value = this.resolveUncached(node, scope, depth + 1);
    this.memo.set(node, value);
    return value;
  }

  private resolveUncached(node: PyNode, scope: Scope, d: number): Value {
    switch (node.type) {
      case "identifier": {
        const name = node.text ?? "";
        const bound = scope.lookup(name);
        if (bound) return bound;
        for (const m of scope.stars()) {
          if (findCallRule(this.rules, `${m}.${name}`)) return nameValue(`${m}.${name}`, false);
        }
        return nameValue(`builtins.${name}`, false);
      }
      case "attribute": {
        const obj = node.children.find((c) => c.field === "object");
        const attr = node.children.find((c) => c.field === "attribute")?.text;
        if (!obj || !attr) return UNKNOWN;
        return this.attributeOf(this.resolve(obj, scope, d), attr, false);
      }
      case "named_expression": {
        // (f := os.system)(...): the walrus binds as it evaluates.
        const name = node.children.find((c) => c.field === "name")?.text;
        const valueNode = node.children.find((c) => c.field === "value");
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
      case "concatenated_string": {
        const parts = node.children.filter((c) => c.named).map((c) => this.resolve(c, scope, d));
        return this.concat(parts, false);
      }
      case "binary_operator":
        return this.binary(node, scope, d);
      case "subscript":
        return this.subscript(node, scope, d);
      case "call":
        return this.resolveCall(node, scope, d);
      default: {
        const parts = node.children.filter((c) => c.named).map((c) => this.resolve(c, scope, d));
        return withTaint({ kind: "unknown" }, mergeTaint(parts));
      }
    }
  }

  private attributeOf(obj: Value, attr: string, obfuscated: boolean): Value {
    if (obj.kind === "name") {
      if (attr === "__dict__") return obj; // the namespace itself, indexed by name below
      return nameValue(`${obj.name}.${attr}`, false, obj.obfuscated || obfuscated, obj.taint);
    }
    if (obj.kind === "str") return obj; // a method of the string: handled by resolveCall
    return obj.taint ? withTaint({ kind: "unknown" }, obj.taint) : UNKNOWN;
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
      const expr = p.children.find((c) => c.field === "expression");
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

  private concat(parts: Value[], computed: boolean): Value {
    let value = "";
    let partial = false;
    let comp = computed;
    for (const p of parts) {
      if (p.kind === "str") {
        value += p.value;
        partial ||= p.partial;
        comp ||= p.computed;
      } else {
        value += "{?}";
        partial = true;
      }
    }
    return str(value, comp, partial, mergeTaint(parts));
  }

  private binary(node: PyNode, scope: Scope, depth: number): Value {
    const left = node.children.find((c) => c.field === "left");
    const right = node.children.find((c) => c.field === "right");
    const op = node.children.find((c) => c.field === "operator")?.type;
    if (!left || !right) return UNKNOWN;
    const l = this.resolve(left, scope, depth);
    const r = this.resolve(right, scope, depth);
    if (op === "+" && (l.kind === "str" || r.kind === "str")) return this.concat([l, r], true);
    if (op === "/" && l.kind === "str") {
      // pathlib: Path.home() / ".bashrc"
      const rv = r.kind === "str" ? r.value : "{?}";
      return str(`${l.value.replace(/\/$/, "")}/${rv}`, true, l.partial || r.kind !== "str");
    }
    if (op === "%" && l.kind === "str") return str(l.value, true, true, mergeTaint([l, r]));
    return withTaint({ kind: "unknown" }, mergeTaint([l, r]));
  }

  private subscript(node: PyNode, scope: Scope, depth: number): Value {
    const valueNode = node.children.find((c) => c.field === "value");
    const keyNode = node.children.find((c) => c.field === "subscript");
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
        if (HOME_VARIABLES.has(key.value)) return str("~", true);
        if (this.isSecretName(key.value))
          return withTaint({ kind: "unknown" }, { secret: key.value });
      }
    }
    return withTaint({ kind: "unknown" }, mergeTaint([value, key]));
  }

  private resolveCall(node: PyNode, scope: Scope, depth: number): Value {
    const fn = node.children.find((c) => c.field === "function");
    if (!fn) return UNKNOWN;
    const callee = this.resolve(fn, scope, depth);
    const { positional, keywords } = argumentNodes(node);
    const arg = (i: number, keyword?: string): Value => {
      const n = positional[i] ?? (keyword ? keywords.get(keyword) : undefined);
      return n ? this.resolve(n, scope, depth) : UNKNOWN;
    };

    if (callee.kind === "str" && fn.type === "attribute") {
      const method = fn.children.find((c) => c.field === "attribute")?.text ?? "";
      return this.stringMethod(callee, method, positional, scope, depth);
    }
    if (callee.kind !== "name") {
      const args = positional.map((p) => this.resolve(p, scope, depth));
      return withTaint({ kind: "unknown" }, mergeTaint([callee, ...args]));
    }
    const name = callee.name;
    if (DYNAMIC_IMPORTS.has(name)) {
      const target = arg(0, "name");
      if (target.kind === "str" && !target.partial) {
        // __import__("os.path") returns the top package; import_module returns the leaf.
        const mod =
          name === "builtins.__import__" ? (target.value.split(".")[0] ?? "") : target.value;
        return nameValue(mod, true, target.computed || callee.obfuscated);
      }
      return UNKNOWN;
    }
    if (name === "builtins.getattr") {
      const obj = arg(0);
      const key = arg(1);
      if (key.kind === "str" && !key.partial) return this.attributeOf(obj, key.value, key.computed);
      return withTaint({ kind: "unknown" }, mergeTaint([obj, key]));
    }
    if (name === "builtins.vars" && positional[0]) {
      const target = this.resolve(positional[0], scope, depth);
      if (target.kind === "name") return { ...target, module: true };
    }
    if (name === "builtins.globals" || name === "builtins.vars" || name === "builtins.locals")
      return nameValue("builtins", true);
    if (name === "sys.modules.get" || name === "sys.modules.__getitem__") {
      const key = arg(0);
      if (key.kind === "str" && !key.partial) return nameValue(key.value, true, key.computed);
    }
    if (isListed(this.rules.decoders, name)) {
      const input = arg(0);
      let decoded: string | undefined;
      if (input.kind === "str" && !input.partial) {
        if (/b64decode|a2b_base64|decodebytes|decodestring/.test(name))
          decoded = decodeBase64(input.value);
        else if (/fromhex|unhexlify|a2b_hex/.test(name)) decoded = decodeHex(input.value);
      }
      const taint: Taint = { decoded: name };
      return decoded !== undefined
        ? str(decoded, true, false, taint)
        : withTaint({ kind: "unknown" }, taint);
    }
    if (name === "builtins.chr") {
      const n = positional[0];
      if (n?.type === "integer") {
        const code = Number(n.text);
        if (Number.isInteger(code) && code >= 0 && code <= 0x10ffff)
          return str(String.fromCodePoint(code), true);
      }
      return str("{?}", true, true);
    }
    if (name === "builtins.str" || name === "builtins.bytes" || name === "builtins.bytearray")
      return arg(0);
    if (
      name === "os.path.expanduser" ||
      name === "os.path.expandvars" ||
      /^pathlib\.(Pure)?(Posix|Windows)?Path$/.test(name)
    ) {
      const first = arg(0);
      return first.kind === "str" ? str(first.value, true, first.partial) : str("{?}", true, true);
    }
    if (/^pathlib\.(Posix)?Path\.home$/.test(name)) return str("~", true);
    if (name === "os.path.join") {
      const parts = positional.map((p) => this.resolve(p, scope, depth));
      let out = "";
      let partial = false;
      for (const p of parts) {
        const piece = p.kind === "str" ? p.value : "{?}";
        partial ||= p.kind !== "str" || p.partial;
        out = piece.startsWith("/") || out === "" ? piece : `${out.replace(/\/$/, "")}/${piece}`;
      }
      return str(out, true, partial);
    }
    if (this.envLookups.has(name)) {
      const key = arg(0, "key");
      if (key.kind === "str") {
        if (HOME_VARIABLES.has(key.value)) return str("~", true);
        if (this.isSecretName(key.value))
          return withTaint({ kind: "unknown" }, { secret: key.value });
      }
      return UNKNOWN;
    }
    // Any other call: its result carries what its arguments carry (decoded bytes stay decoded).
    const args = [...positional, ...keywords.values()].map((p) => this.resolve(p, scope, depth));
    return withTaint({ kind: "unknown" }, mergeTaint([callee, ...args]));
  }

  private stringMethod(
    self: Extract<Value, { kind: "str" }>,
    method: string,
    positional: PyNode[],
    scope: Scope,
    depth: number,
  ): Value {
    const args = positional.map((p) => this.resolve(p, scope, depth));
    switch (method) {
      case "join": {
        const list = positional[0];
        if (!list || (list.type !== "list" && list.type !== "tuple"))
          return str("{?}", true, true, mergeTaint([self, ...args]));
        const items = list.children
          .filter((c) => c.named)
          .map((c) => this.resolve(c, scope, depth));
        let out = "";
        let partial = self.partial;
        items.forEach((item, i) => {
          if (i > 0) out += self.value;
          if (item.kind === "str") {
            out += item.value;
            partial ||= item.partial;
          } else {
            out += "{?}";
            partial = true;
          }
        });
        return str(out, true, partial, mergeTaint([self, ...items]));
      }
      case "decode":
      case "encode":
      case "strip":
      case "expanduser":
      case "resolve":
      case "absolute":
        return str(self.value, self.computed, self.partial, self.taint);
      case "lower":
        return str(self.value.toLowerCase(), true, self.partial, self.taint);
      case "upper":
        return str(self.value.toUpperCase(), true, self.partial, self.taint);
      case "replace": {
        const [a, b] = args;
        if (a?.kind === "str" && b?.kind === "str" && !a.partial && !b.partial)
          return str(self.value.split(a.value).join(b.value), true, self.partial, self.taint);
        return str(self.value, true, true, self.taint);
      }
      case "joinpath": {
        const rest = args.map((a) => (a.kind === "str" ? a.value : "{?}")).join("/");
        return str(
          `${self.value.replace(/\/$/, "")}/${rest}`,
          true,
          self.partial || args.some((a) => a.kind !== "str"),
        );
      }
      default:
        return str(self.value, true, true, mergeTaint([self, ...args]));
    }
  }
}
