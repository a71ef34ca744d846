/**
 * The conditions a call rule may put on a call's arguments (a literal keyword, a write mode, a
 * path that leaves the working tree, a computed attribute name, a secret variable), and the
 * persistence paths (shell profiles, autostart files) that make a file write malicious.
 */
import type { PyNode } from "./parser.js";
import { type CallRule, moduleListed, type PythonRules } from "./rules.js";
import type { SecretNames } from "./secret-names.js";
import type { Value } from "./values.js";

/** The value of positional argument `index` (or of `keyword`), undefined when absent. */
export type ArgumentValue = (index: number, keyword?: string) => Value | undefined;

/** The persistence path `p` names, if any. */
export function persistenceMatch(rules: PythonRules, p: string): string | undefined {
  return rules.persistencePaths.find((s) => p.includes(s));
}

/** A path that leaves the working tree: absolute, home-relative, or climbing with `..`. */
export function pathEscapes(rules: PythonRules, path: Value): boolean {
  if (path.kind !== "str") return false;
  const p = path.value;
  if (persistenceMatch(rules, p)) return true;
  return (
    p.startsWith("/") ||
    p.startsWith("~") ||
    p.startsWith("\\") ||
    /^[A-Za-z]:[\\/]/.test(p) ||
    /(^|[\\/])\.\.([\\/]|$)/.test(p)
  );
}

/** "writes ~/.bashrc" when the rule's path argument is a persistence path. */
export function persistenceTarget(
  rules: PythonRules,
  rule: CallRule,
  argValue: ArgumentValue,
): string | undefined {
  if (!rule.onlyWhenPathEscapes) return undefined;
  const path = argValue(rule.onlyWhenPathEscapes.index, rule.onlyWhenPathEscapes.keyword);
  if (path?.kind !== "str") return undefined;
  const hit = persistenceMatch(rules, path.value);
  return hit ? `writes ${path.value}` : undefined;
}

export interface RuleCall {
  rules: PythonRules;
  secrets: SecretNames;
  argValue: ArgumentValue;
  keywords: Map<string, PyNode>;
}

/** Whether the rule's conditions on the arguments hold (a rule without any always applies). */
export function ruleApplies(rule: CallRule, call: RuleCall): boolean {
  return keywordsAllow(rule, call.keywords) && argumentsAllow(rule, call);
}

function keywordsAllow(rule: CallRule, keywords: Map<string, PyNode>): boolean {
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
  return true;
}

function argumentsAllow(rule: CallRule, { rules, secrets, argValue }: RuleCall): boolean {
  if (rule.onlyWhenWriteMode) {
    const mode = argValue(rule.onlyWhenWriteMode.index, rule.onlyWhenWriteMode.keyword);
    if (!mode) return false; // default mode reads
    if (mode.kind === "str" && !mode.partial && !/[wax+]/.test(mode.value)) return false;
  }
  if (rule.onlyWhenPathEscapes) {
    const path = argValue(rule.onlyWhenPathEscapes.index, rule.onlyWhenPathEscapes.keyword);
    if (!path || !pathEscapes(rules, path)) return false;
  }
  if (rule.onlyWhenComputedName) {
    const obj = argValue(rule.onlyWhenComputedName.objectIndex);
    const key = argValue(rule.onlyWhenComputedName.nameIndex);
    if (obj?.kind !== "name") return false;
    if (moduleListed(rules.safeModules, obj.name)) return false;
    if (!obj.module && !obj.name.startsWith("builtins")) return false;
    if (key?.kind === "str" && !key.computed && !key.partial) return false;
  }
  if (rule.onlyWhenSecretArg !== undefined) {
    const key = argValue(rule.onlyWhenSecretArg);
    if (key?.kind !== "str" || !secrets.isSecret(key.value)) return false;
  }
  return true;
}

/** Rules that need the call's arguments cannot judge a callable passed on as a value. */
export function needsArguments(rule: CallRule): boolean {
  return Boolean(
    rule.safeWhenKeyword ||
      rule.onlyWhenKeyword ||
      rule.onlyWhenPathEscapes ||
      rule.onlyWhenWriteMode ||
      rule.onlyWhenComputedName ||
      rule.onlyWhenSecretArg !== undefined,
  );
}
