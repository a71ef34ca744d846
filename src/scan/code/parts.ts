/** The pieces one module's analysis is made of, handed to the walk's helpers as one object. */
import type { CallGraph } from "./call-graph.js";
import type { PyNode } from "./parser.js";
import type { AnalysisRecord } from "./record.js";
import type { ValueResolver } from "./resolve.js";
import type { CallRule, PythonRules, RuleVerdict } from "./rules.js";
import type { Ctx } from "./scope.js";

export interface AnalysisParts {
  rules: PythonRules;
  record: AnalysisRecord;
  values: ValueResolver;
  graph: CallGraph;
}

/** A rule's verdict where the call is: import time may judge it worse. */
export function verdictAt(rule: CallRule, ctx: Ctx): RuleVerdict {
  return ctx.importTime ? (rule.importTimeVerdict ?? rule.verdict) : rule.verdict;
}

/** A read of the environment variable `name`: a finding when it is a secret. */
export function secretLookup(parts: AnalysisParts, name: string, at: PyNode, ctx: Ctx): boolean {
  if (!parts.values.secrets.isSecret(name)) return false;
  parts.record.noteSecret(name, at);
  parts.record.emit("suspicious", `reads the secret environment variable ${name}`, at, {
    evidence: { category: "env", variable: name },
    importTime: ctx.importTime,
  });
  return true;
}
