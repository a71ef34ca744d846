/**
 * The serialized program of a `torch.export` archive (`models/<name>.json` in a `.pt2`, or
 * `serialized_exported_program.json` in older ones): a JSON `ExportedProgram` whose graph nodes
 * name the operators the program calls. What torch does with it when the archive is loaded:
 *
 * - each node's `target` is resolved by walking attributes: `torch.…` from the torch module (so
 *   `torch.ops.<namespace>.<op>.<overload>`, but also any torch attribute, e.g. `torch.os.system`),
 *   `_operator.…` and `math.…` from those modules, `#…` through registered extension handlers;
 *   the program calls it when it runs;
 * - every `expr_str` (symbolic shapes) goes through `sympy.sympify`, which evaluates the string as
 *   Python;
 * - `guards_code` strings are compiled into a Python guard function when the program is turned
 *   into a module;
 * - custom objects (`as_custom_obj`, `custom_obj_values`) are TorchBind objects, restored by their
 *   C++ classes.
 *
 * So: operators of the standard namespaces (aten, prims, quantized_decomposed), the symbolic-shape
 * helpers torch itself serializes (`_operator.add`, `torch.sym_max`, `math.trunc`…) and the
 * higher-order ops whose bodies are subgraphs of the same program are clean; any other target is a
 * finding (TORCH_EXPORT_OPERATOR; malicious when it walks to a module such as os or builtins);
 * `expr_str` and guards must fit the small grammars torch writes; custom objects are findings.
 * The walk is iterative (no recursion on hostile nesting) and bounded by the JSON item count.
 */

import { type Finding, finding } from "../../core/finding.js";
import { isGuard, isSymbolicExpression } from "./expressions.js";

const STANDARD_NAMESPACES = new Set(["aten", "prims", "quantized_decomposed"]);
/** Higher-order ops whose callable arguments are subgraphs serialized in the same program. */
const SUBGRAPH_HIGHER_ORDER = new Set([
  "cond",
  "while_loop",
  "map_impl",
  "scan",
  "wrap_with_set_grad_enabled",
  "wrap_with_autocast",
]);
/** Non-op targets torch serializes for symbolic shapes (_SYM_OPS in torch/_export/serde). */
const SYMBOLIC_TARGETS = new Set([
  ...[
    "eq",
    "ne",
    "le",
    "ge",
    "lt",
    "gt",
    "neg",
    "pos",
    "mul",
    "add",
    "sub",
    "floordiv",
    "mod",
    "pow",
    "truediv",
    "and_",
    "or_",
    "lshift",
    "rshift",
    "getitem",
  ].map((n) => `_operator.${n}`),
  "math.trunc",
  ...["sym_not", "sym_int", "sym_float", "sym_ite", "sym_max", "sym_min", "sym_sqrt"].map(
    (n) => `torch.${n}`,
  ),
]);
/** Attribute names that reach code execution, files or processes from a torch attribute walk. */
const DANGEROUS_SEGMENTS = new Set([
  "os",
  "sys",
  "subprocess",
  "builtins",
  "importlib",
  "shutil",
  "socket",
  "pickle",
  "system",
  "popen",
  "eval",
  "exec",
  "compile",
  "load",
  "hub",
  "ctypes",
]);
const OP_TARGET =
  /^torch\.ops\.([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?$/;

export type TargetKind = "standard" | "symbolic" | "higher-order" | "custom" | "dangerous";

/** How torch would resolve and run a node target. */
export function classifyTarget(target: string): TargetKind {
  if (SYMBOLIC_TARGETS.has(target)) return "symbolic";
  const op = OP_TARGET.exec(target);
  if (op !== null) {
    const ns = op[1] as string;
    if (STANDARD_NAMESPACES.has(ns)) return "standard";
    if (ns === "higher_order" && op[3] === undefined && SUBGRAPH_HIGHER_ORDER.has(op[2] as string))
      return "higher-order";
    return "custom";
  }
  const parts = target.split(".");
  if (parts.some((p) => DANGEROUS_SEGMENTS.has(p) || (p.startsWith("__") && p.endsWith("__"))))
    return "dangerous";
  return "custom";
}

export function isExportedProgram(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" && value !== null && !Array.isArray(value) && "graph_module" in value
  );
}

const MAX_LISTED = 50;
/** Nesting read in a program (real ones nest a few dozen levels, subgraphs included). */
const MAX_DEPTH = 512;

/**
 * Members a torch.export loader reads as a serialized program: `<archive>/models/<name>.json`
 * (torch >= 2.6 .pt2) and `serialized_exported_program.json` (older .pt2). Such a member is read
 * as JSON whatever its bytes look like, and must hold a program (fail closed).
 */
const PROGRAM_MEMBER =
  /^(?:[^/]+\/models\/[^/]+\.json|(?:[^/]+\/)?serialized_exported_program\.json)$/;

export function isProgramMember(path: string, depth: number): boolean {
  return depth > 0 && PROGRAM_MEMBER.test(path);
}

export function invalidProgram(why: string): Finding {
  return finding(
    "TORCH_EXPORT_INVALID",
    "unscannable",
    `A torch.export program member that is not a serialized program (${why}); its operators cannot be read.`,
  );
}

/** Findings and a summary (operators by count) for one serialized ExportedProgram. */
export function analyzeExportedProgram(program: Record<string, unknown>): {
  findings: Finding[];
  summary: Record<string, unknown>;
} {
  const findings: Finding[] = [];
  const graph = (program.graph_module as { graph?: { nodes?: unknown } } | null)?.graph;
  if (typeof graph !== "object" || graph === null || !Array.isArray(graph.nodes)) {
    findings.push(
      finding(
        "TORCH_EXPORT_INVALID",
        "unscannable",
        "The serialized torch.export program has no graph_module.graph.nodes list, so its operators cannot be read.",
      ),
    );
    return { findings, summary: {} };
  }
  const operators = new Map<string, number>();
  const byKind = new Map<TargetKind, Set<string>>();
  const badExpr = new Set<string>();
  let customObjects = 0;
  let nodes = 0;
  let invalidTargets = 0;
  // Iterative walk over every value (subgraphs of higher-order ops sit anywhere inside nodes).
  const stack: unknown[] = [program];
  const depths: number[] = [0];
  let tooDeep = false;
  while (stack.length > 0) {
    const v = stack.pop();
    const depth = depths.pop() as number;
    if (typeof v !== "object" || v === null) continue;
    if (depth > MAX_DEPTH) {
      tooDeep = true;
      break;
    }
    if (Array.isArray(v)) {
      for (const x of v)
        if (typeof x === "object" && x !== null) {
          stack.push(x);
          depths.push(depth + 1);
        }
      continue;
    }
    const o = v as Record<string, unknown>;
    if ("target" in o && "inputs" in o && "outputs" in o) {
      nodes++;
      if (typeof o.target !== "string") invalidTargets++;
      else {
        operators.set(o.target, (operators.get(o.target) ?? 0) + 1);
        const kind = classifyTarget(o.target);
        const set = byKind.get(kind) ?? new Set<string>();
        byKind.set(kind, set);
        set.add(o.target);
      }
    }
    if ("as_custom_obj" in o) customObjects++;
    if ("expr_str" in o && (typeof o.expr_str !== "string" || !isSymbolicExpression(o.expr_str)))
      badExpr.add(String(o.expr_str).slice(0, 80));
    for (const x of Object.values(o))
      if (typeof x === "object" && x !== null) {
        stack.push(x);
        depths.push(depth + 1);
      }
  }
  if (tooDeep)
    findings.push(
      finding(
        "TORCH_EXPORT_INVALID",
        "unscannable",
        `The serialized program nests deeper than ${MAX_DEPTH} levels (Python's json module stops near 1000); it was not read to the end.`,
      ),
    );
  const customValues = (graph as { custom_obj_values?: unknown }).custom_obj_values;
  if (
    typeof customValues === "object" &&
    customValues !== null &&
    Object.keys(customValues).length > 0
  )
    customObjects += Object.keys(customValues).length;
  const listed = (kind: TargetKind) => [...(byKind.get(kind) ?? [])].sort().slice(0, MAX_LISTED);
  if (byKind.has("dangerous"))
    findings.push(
      finding(
        "TORCH_EXPORT_OPERATOR",
        "malicious",
        `The torch.export program calls ${listed("dangerous").join(", ")}: torch resolves a target by walking attributes from the torch module, so this reaches a module that runs code or touches files when the program runs.`,
        { evidence: { targets: listed("dangerous") } },
      ),
    );
  if (byKind.has("custom"))
    findings.push(
      finding(
        "TORCH_EXPORT_OPERATOR",
        "suspicious",
        `The torch.export program calls operators outside aten/prims: ${listed("custom").join(", ")}. A custom operator or higher-order op runs whatever kernel or Python its library registered; review it before loading.`,
        { evidence: { targets: listed("custom") } },
      ),
    );
  if (invalidTargets > 0)
    findings.push(
      finding(
        "TORCH_EXPORT_INVALID",
        "unscannable",
        `${invalidTargets} graph node(s) have a target that is not a string, so what they call cannot be read.`,
      ),
    );
  if (badExpr.size > 0)
    findings.push(
      finding(
        "TORCH_EXPORT_OPERATOR",
        "malicious",
        `A symbolic-shape expression is not one torch writes (${[...badExpr].slice(0, 5).join("; ")}); torch passes every expr_str to sympy.sympify, which evaluates it as Python.`,
      ),
    );
  const guards = program.guards_code;
  if (guards !== undefined) {
    const bad = Array.isArray(guards)
      ? guards.filter((g) => typeof g !== "string" || !isGuard(g))
      : [guards];
    if (bad.length > 0)
      findings.push(
        finding(
          "TORCH_EXPORT_OPERATOR",
          "malicious",
          `guards_code holds code that is not a shape guard torch writes (${String(bad[0]).slice(0, 80)}); torch compiles guards_code into a Python function when the program becomes a module.`,
        ),
      );
  }
  if (customObjects > 0)
    findings.push(
      finding(
        "TORCH_EXPORT_OPERATOR",
        "suspicious",
        `The torch.export program uses ${customObjects} custom (TorchBind) object(s); their C++ classes restore them from bytes the file supplies.`,
      ),
    );
  const summary: Record<string, unknown> = {
    nodes,
    operators: Object.fromEntries([...operators].sort().slice(0, MAX_LISTED)),
  };
  if (operators.size > MAX_LISTED) summary.operatorCount = operators.size;
  return { findings, summary };
}
