/**
 * What a call means, from the rules: a call that runs a process, evaluates code, loads a pickle,
 * writes outside the tree or sends a secret over the network is a finding. Calls also feed the
 * call graph (a local function called at import time runs) and the list of imports (dynamic
 * imports with a known name). exec/eval of a known string hands that string on as inline code.
 */
import { DYNAMIC_IMPORTS } from "./call-values.js";
import { noteImport } from "./imports.js";
import type { PyNode } from "./parser.js";
import { type AnalysisParts, secretLookup, verdictAt } from "./parts.js";
import {
  type ArgumentValue,
  needsArguments,
  pathEscapes,
  persistenceMatch,
  persistenceTarget,
  ruleApplies,
} from "./rule-conditions.js";
import { findCallRule, isListed, moduleListed } from "./rules.js";
import type { Ctx } from "./scope.js";
import { argumentNodes, field } from "./syntax.js";
import type { NameValue, Value } from "./values.js";

/** One call being judged, with lazy access to its arguments' values. */
interface JudgedCall {
  node: PyNode;
  ctx: Ctx;
  positional: PyNode[];
  keywords: Map<string, PyNode>;
  argValue: ArgumentValue;
}

export function judgeCall(parts: AnalysisParts, node: PyNode, ctx: Ctx): void {
  const fn = field(node, "function");
  if (!fn) return;
  noteCalledUnit(parts, fn, ctx);
  const callee = parts.values.resolve(fn, ctx.scope);
  const { positional, keywords } = argumentNodes(node);
  if (ctx.importTime) {
    // A local function handed over at import time (atexit.register(f), Thread(target=f)) runs.
    for (const a of [...positional, ...keywords.values()])
      if (a.type === "identifier" && a.text && parts.graph.has(a.text))
        parts.graph.noteCall(a.text, a, ctx);
  }
  const call: JudgedCall = {
    node,
    ctx,
    positional,
    keywords,
    argValue: (index, keyword) => {
      const n = positional[index] ?? (keyword ? keywords.get(keyword) : undefined);
      return n ? parts.values.resolve(n, ctx.scope) : undefined;
    },
  };
  if (callee.kind === "str" && fn.type === "attribute") {
    // A method on a path-like string: Path("~/.bashrc").write_text(...)
    const method = field(fn, "attribute")?.text ?? "";
    if (parts.rules.pathWriteMethods.includes(method)) pathWrite(parts, method, callee, call);
    return;
  }
  if (callee.kind !== "name") return;
  networkCall(parts, callee.name, call);
  if (DYNAMIC_IMPORTS.has(callee.name) && dynamicImport(parts, callee.name, call)) return;
  if (parts.values.secrets.envLookups.has(callee.name)) {
    const key = call.argValue(0, "key");
    if (key?.kind === "str" && !key.partial) secretLookup(parts, key.value, node, ctx);
    return;
  }
  if (isListed(parts.rules.execSinks, callee.name)) {
    const arg = call.argValue(0, callee.name.endsWith("compile") ? "source" : undefined);
    if (execSink(parts, callee.name, arg, node, ctx)) return;
  }
  ruleCall(parts, callee, call);
}

/** `f(...)` of a module-level function, `self.m(...)` / `cls.m(...)` of the class's own method. */
function noteCalledUnit(parts: AnalysisParts, fn: PyNode, ctx: Ctx): void {
  if (fn.type === "identifier" && fn.text) parts.graph.noteCall(fn.text, fn, ctx);
  else if (fn.type === "attribute" && ctx.cls) {
    const obj = field(fn, "object");
    const attr = field(fn, "attribute")?.text;
    if (obj?.type === "identifier" && (obj.text === "self" || obj.text === "cls") && attr)
      parts.graph.noteCall(`${ctx.cls.name}.${attr}`, fn, ctx);
  }
}

/** A network call; malicious when an argument carries a secret. */
function networkCall(parts: AnalysisParts, name: string, call: JudgedCall): void {
  if (!moduleListed(parts.rules.networkModules, name)) return;
  parts.record.noteNetwork(name, call.node);
  const secret = [...call.positional, ...call.keywords.values()]
    .map((a) => parts.values.resolve(a, call.ctx.scope))
    .find((v) => v.taint?.secret);
  if (!secret?.taint?.secret) return;
  parts.record.emit(
    "malicious",
    `${name}() sends the secret ${secret.taint.secret} over the network`,
    call.node,
    { evidence: { category: "network", callable: name }, importTime: call.ctx.importTime },
  );
}

/** `__import__(...)` / `import_module(...)`: true when the call is fully judged here. */
function dynamicImport(parts: AnalysisParts, name: string, call: JudgedCall): boolean {
  const { node, ctx } = call;
  const target = call.argValue(0, "name");
  if (target?.kind === "str" && !target.partial && !target.computed) {
    const relative = /^(\.+)(.*)$/.exec(target.value);
    if (relative) {
      // import_module(".sub", package=__package__): a file of this repo.
      parts.record.relativeImports.push({
        level: relative[1]?.length ?? 1,
        module: relative[2] ?? "",
        names: [],
        line: node.row + 1,
      });
    } else noteImport(parts, target.value, node);
    return true;
  }
  if (target?.taint?.decoded) {
    parts.record.emit(
      "malicious",
      `${name}() imports a module whose name is decoded data (${target.taint.decoded})`,
      node,
      { evidence: { category: "import", callable: name }, importTime: ctx.importTime },
    );
    return true;
  }
  if (target?.kind === "str" && !target.partial) {
    noteImport(parts, target.value, node);
    parts.record.emit(
      "suspicious",
      `${name}() imports ${target.value} under a name built at runtime`,
      node,
      {
        evidence: { category: "import", callable: name, obfuscated: true },
        importTime: ctx.importTime,
      },
    );
    return true;
  }
  return false;
}

/** The call rule for `callee`, or a call through a name built at runtime. */
function ruleCall(parts: AnalysisParts, callee: NameValue, call: JudgedCall): void {
  const { name } = callee;
  const { rules } = parts;
  const rule = findCallRule(rules, name);
  const conditions = { rules, secrets: parts.values.secrets, ...call };
  if (rule && ruleApplies(rule, conditions)) {
    const persistence = persistenceTarget(rules, rule, call.argValue);
    const obf = callee.obfuscated ? " (name built at runtime)" : "";
    parts.record.emit(
      persistence ? "malicious" : verdictAt(rule, call.ctx),
      `${name}(): ${rule.reason}${persistence ? ` (${persistence})` : ""}${obf}`,
      call.node,
      {
        evidence: {
          category: rule.category,
          callable: name,
          ...(callee.obfuscated ? { obfuscated: true } : {}),
        },
        importTime: call.ctx.importTime,
        importTimeVerdict: persistence ? "malicious" : (rule.importTimeVerdict ?? rule.verdict),
      },
    );
  } else if (callee.obfuscated && !moduleListed(rules.safeModules, name)) {
    parts.record.emit("suspicious", `calls ${name} through a name built at runtime`, call.node, {
      evidence: { category: "reflection", callable: name, obfuscated: true },
      importTime: call.ctx.importTime,
    });
  }
}

/** `exec code` (Python 2): judged like a call of exec. */
export function execStatement(parts: AnalysisParts, node: PyNode, ctx: Ctx): void {
  const code = field(node, "code");
  if (!code) return;
  const arg = parts.values.resolve(code, ctx.scope);
  if (execSink(parts, "builtins.exec", arg, node, ctx)) return;
  const rule = findCallRule(parts.rules, "builtins.exec");
  if (rule) {
    parts.record.emit(verdictAt(rule, ctx), `exec statement: ${rule.reason}`, node, {
      evidence: { category: rule.category, callable: "builtins.exec" },
      importTime: ctx.importTime,
    });
  }
}

/** Decoded data reaching an execution sink is malicious; a known string is analysed as code. */
function execSink(
  parts: AnalysisParts,
  name: string,
  arg: Value | undefined,
  at: PyNode,
  ctx: Ctx,
): boolean {
  const known = arg?.kind === "str" && !arg.partial ? arg : undefined;
  if (arg?.taint?.decoded) {
    parts.record.emit("malicious", `${name}() runs decoded data (${arg.taint.decoded})`, at, {
      evidence: { category: "eval", callable: name, decoder: arg.taint.decoded },
      importTime: ctx.importTime,
    });
    if (known) parts.record.noteInline(known.value, at, ctx.importTime, name);
    return true;
  }
  if (known) parts.record.noteInline(known.value, at, ctx.importTime, name);
  return false;
}

/**
 * `Thread(target=os.system, args=(...))`, `map(eval, lines)`: a dangerous callable passed as a
 * value will be called by someone else. Rules whose conditions need the call's arguments cannot
 * be judged here and are skipped.
 */
export function callableHandedOver(parts: AnalysisParts, name: string, at: PyNode, ctx: Ctx): void {
  // subprocess.PIPE, socket.AF_INET: constants of a flagged module, not callables.
  if (/^[A-Z][A-Z0-9_]*$/.test(name.slice(name.lastIndexOf(".") + 1))) return;
  const rule = findCallRule(parts.rules, name);
  if (!rule || needsArguments(rule)) return;
  parts.record.emit(verdictAt(rule, ctx), `passes ${name} on to be called: ${rule.reason}`, at, {
    evidence: { category: rule.category, callable: name },
    importTime: ctx.importTime,
    importTimeVerdict: rule.importTimeVerdict ?? rule.verdict,
  });
}

/** `write_text()` and friends on a path outside the model folder. */
function pathWrite(parts: AnalysisParts, method: string, path: Value, call: JudgedCall): void {
  if (path.kind !== "str" || !pathEscapes(parts.rules, path)) return;
  const persistence = persistenceMatch(parts.rules, path.value);
  parts.record.emit(
    persistence ? "malicious" : "suspicious",
    `${method}() on ${path.value}: changes a file outside the model folder`,
    call.node,
    { evidence: { category: "file", callable: method }, importTime: call.ctx.importTime },
  );
}
