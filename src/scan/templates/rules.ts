/**
 * What a Jinja chat template must not reach (G1). In Python Jinja, every attribute or item access
 * goes to a real Python object, so `''.__class__.__mro__[1].__subclasses__()` or
 * `lipsum.__globals__['os'].popen(…)` runs commands in any loader that renders templates outside
 * Jinja's sandbox (llama-cpp-python did, CVE-2024-34359). Chat templates never need any of this.
 */

/** Attribute names that lead from any object to Python internals or to code execution. */
export const DANGEROUS_ATTRIBUTES = new Set([
  "mro",
  "func_globals",
  "func_code",
  "f_globals",
  "f_locals",
  "f_back",
  "f_builtins",
  "gi_frame",
  "gi_code",
  "cr_frame",
  "cr_code",
  "ag_frame",
  "tb_frame",
  "tb_next",
  "os",
  "sys",
  "subprocess",
  "builtins",
  "popen",
  "system",
  "spawnv",
  "spawnl",
  "execv",
  "execve",
  "eval",
  "exec",
  "import_module",
  "load_module",
  "get_data",
  "check_output",
  "Popen",
]);

/**
 * Free names that are Python objects, never chat-template variables: reaching them at all is the
 * attack (Flask's `config`/`request`, Jinja's `self` template reference, Python builtins).
 */
export const DANGEROUS_GLOBALS = new Set([
  "os",
  "sys",
  "subprocess",
  "builtins",
  "__builtins__",
  "__import__",
  "importlib",
  "eval",
  "exec",
  "compile",
  "getattr",
  "setattr",
  "delattr",
  "globals",
  "locals",
  "vars",
  "open",
  "self",
  "config",
  "request",
  "session",
  "url_for",
  "get_flashed_messages",
]);

/** Names that are dangerous when called as functions (`popen('id')`, `system('id')`). */
export const DANGEROUS_CALLEES = new Set(["popen", "system", "spawn", "execv", "import"]);

/**
 * Jinja globals that are real Python objects (functions, classes). Legitimate templates call them
 * (`namespace(found=false)`, `range(3)`), but an attribute read on the global itself walks into
 * Python (`lipsum.__globals__`, `cycler.__init__`).
 */
export const PYTHON_OBJECT_GLOBALS = new Set([
  "lipsum",
  "cycler",
  "joiner",
  "namespace",
  "range",
  "dict",
]);

/** Filters whose string arguments name attributes they read from each item. */
export const ATTRIBUTE_FILTERS = new Set([
  "attr",
  "map",
  "select",
  "reject",
  "selectattr",
  "rejectattr",
  "groupby",
  "sort",
  "sum",
  "unique",
  "min",
  "max",
  "dictsort",
]);

export function isDunder(name: string): boolean {
  return /^__\w+__$/.test(name);
}

/** The verdict an attribute name imposes, or undefined when the name is harmless. */
export function classifyAttribute(name: string): "malicious" | "suspicious" | undefined {
  if (isDunder(name) || DANGEROUS_ATTRIBUTES.has(name)) return "malicious";
  // Jinja's sandbox refuses every `_`-prefixed attribute; `_TemplateReference__context` and
  // `_module` lead to the template's globals.
  if (name.startsWith("_")) return "malicious";
  return undefined;
}

/** A string literal that looks like part of a dunder name (`'__gl'`, `'obals__'`). */
export function looksLikeDunderFragment(value: string): boolean {
  return /^__[A-Za-z]/.test(value) || /[A-Za-z]__$/.test(value) || /__\w+__/.test(value);
}
