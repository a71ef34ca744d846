/**
 * The data the Python analyser decides with. It is loaded from `allowlist/python-rules.json` by
 * `io/policy-python.ts` (validated there) and handed in through `ScanPolicy.python`; no rule lives
 * in code. A call pattern is an exact dotted name (`os.system`) or a prefix ending in `*`
 * (`subprocess.*`, `os.exec*`). Builtins are written `builtins.eval`.
 */
import type { Verdict } from "../../core/verdict.js";

export type RuleVerdict = Extract<Verdict, "suspicious" | "malicious">;

export type CallCategory =
  | "process"
  | "eval"
  | "import"
  | "deserialize"
  | "network"
  | "file"
  | "env"
  | "reflection"
  | "native";

export interface CallRule {
  /** Dotted name, or a prefix ending in `*`. */
  name: string;
  category: CallCategory;
  /** Verdict when the call sits inside a function body. */
  verdict: RuleVerdict;
  /** Verdict when the call runs at import time (module level, class body, decorator, default). */
  importTimeVerdict?: RuleVerdict | undefined;
  /** What the call does, in a few words ("runs a shell command"). */
  reason: string;
  /** The call is fine when this keyword is passed with this literal value (torch.load weights_only=True). */
  safeWhenKeyword?: { name: string; value: boolean } | undefined;
  /** The call only matters when this keyword is passed with this literal value (numpy.load allow_pickle=True). */
  onlyWhenKeyword?: { name: string; value: boolean } | undefined;
  /** The call only matters when the path argument at this index (or keyword) leaves the working tree. */
  onlyWhenPathEscapes?: { index: number; keyword: string } | undefined;
  /** The call only matters when its mode argument (index/keyword) writes (`w`, `a`, `x`, `+`). */
  onlyWhenWriteMode?: { index: number; keyword: string } | undefined;
  /** getattr-style: only matters when the name argument is not a plain literal and the object is a module outside `safeModules`. */
  onlyWhenComputedName?: { objectIndex: number; nameIndex: number } | undefined;
  /** os.getenv-style: only matters when the argument at this index names a secret (see secretEnvPatterns). */
  onlyWhenSecretArg?: number | undefined;
}

export interface PythonLimits {
  /** Larger source files are not parsed: unscannable. */
  maxSourceBytes: number;
  /** Syntax nodes converted per file. */
  maxNodes: number;
  /** Nesting depth the analyser follows; deeper code is unscannable. */
  maxDepth: number;
  /** exec/eval of a literal (or decodable) string is analysed as code, to this depth. */
  maxInlineDepth: number;
}

export interface PythonRules {
  calls: CallRule[];
  /** Calls whose result is decoded data (base64, hex, zlib…); decoded data reaching an execution sink is malicious. */
  decoders: string[];
  /** Calls that execute or load code from their first argument. */
  execSinks: string[];
  /** Modules whose import alone is worth a finding (network clients, process control, native code). */
  flaggedModules: { name: string; category: CallCategory; verdict: RuleVerdict; reason: string }[];
  /** Modules used for networking: a secret read plus any use of these in one file is exfiltration. */
  networkModules: string[];
  /** Environment variable names that hold secrets (regular expressions, case-insensitive). */
  secretEnvPatterns: string[];
  /** Environment variable names that match a pattern above but hold no secret (HF_HOME…). */
  secretEnvAllow: string[];
  /** Substrings of a written path that mean persistence or tampering (`.bashrc`, `.ssh/`…): malicious. */
  persistencePaths: string[];
  /** Methods that write or delete when called on a path (`Path(p).write_text(...)`). */
  pathWriteMethods: string[];
  /** Attributes that reach interpreter internals (`__subclasses__`, `__globals__`…): the sandbox-escape toolkit. */
  internalAttributes: string[];
  /** Methods of an auto_map class that run when the loader creates it (besides constructors). */
  loadMethods: string[];
  /** Modules plain model code imports; anything else is listed as "other" in the summary. */
  safeModules: string[];
  limits: PythonLimits;
}

/** What the Python analyser needs: the rules, and the tree-sitter runtime and grammar bytes. */
export interface PythonPolicy {
  rules: PythonRules;
  /**
   * Supplies the WebAssembly bytes of the tree-sitter runtime and of the Python grammar. Called at
   * most once per process, on the first Python file, so start-up never pays for it. io/ provides
   * it (see io/grammar.ts); scanners never read files.
   */
  grammar: () => PythonGrammar;
}

export interface PythonGrammar {
  runtime: Uint8Array;
  language: Uint8Array;
}

/** True when `name` matches the exact or `prefix*` pattern. */
export function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.endsWith("*")) return name.startsWith(pattern.slice(0, -1));
  return pattern === name;
}

const RULE_INDEX = new WeakMap<
  PythonRules,
  { exact: Map<string, CallRule>; prefixes: CallRule[] }
>();

/** The exact rule for `name`, else the one with the longest matching prefix. */
export function findCallRule(rules: PythonRules, name: string): CallRule | undefined {
  let index = RULE_INDEX.get(rules);
  if (!index) {
    index = { exact: new Map(), prefixes: [] };
    for (const rule of rules.calls) {
      if (rule.name.endsWith("*")) index.prefixes.push(rule);
      else index.exact.set(rule.name, rule);
    }
    index.prefixes.sort((a, b) => b.name.length - a.name.length);
    RULE_INDEX.set(rules, index);
  }
  return index.exact.get(name) ?? index.prefixes.find((rule) => matchesPattern(rule.name, name));
}

export function isListed(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => matchesPattern(p, name));
}

/** A module name is covered by a listed module when it is the module or a submodule of it. */
export function moduleListed(modules: readonly string[], name: string): boolean {
  return modules.some((m) => name === m || name.startsWith(`${m}.`));
}
