/**
 * Checks a parsed Keras model config (the `model_config` attribute of a legacy `.h5` file, the
 * `config.json` of a `.keras` archive, or `model.to_json()` output) for what the Keras loader
 * would turn into code:
 *
 * - K1/K2: `Lambda` layers, at any depth (inside nested `Functional`/`Sequential` models, inside
 *   `TimeDistributed`/`Bidirectional` wrappers, in `compile_config`…). Their marshalled bytecode
 *   is decoded far enough to report the Python layout and the names it uses. Keras 3's
 *   `{"class_name": "__lambda__"}` objects are found wherever they appear.
 * - K3: every `module` + `class_name` pair (and `module` + function name, `module` + registered
 *   name, `fn_module` + `fn`) is checked against the Keras allowlist; bare class names (tf.keras
 *   2.x) against the legacy list. Unknown → suspicious; a known-dangerous module or name →
 *   malicious.
 *
 * The walk is iterative and bounded (depth and node count), so a hostile config cannot overflow
 * the stack; running out is a KERAS_INVALID finding with verdict `unscannable`.
 */
import { type Finding, finding } from "../../core/finding.js";
import { decodeBase64, inspectMarshalledCode } from "./marshal.js";
import { dangerousModuleReason, type KerasPolicy, kerasKey } from "./policy.js";

export interface KerasConfigLimits {
  maxDepth: number;
  maxNodes: number;
}

export const DEFAULT_KERAS_CONFIG_LIMITS: KerasConfigLimits = {
  maxDepth: 512,
  maxNodes: 2_000_000,
};

/** What a config is made of, for the report. */
export interface KerasConfigSummary {
  modelClass?: string;
  objects: number;
  /** class_name → count, for the first MAX_CLASSES distinct classes. */
  classes: Record<string, number>;
  lambdas: number;
}

export interface KerasConfigResult {
  findings: Finding[];
  summary: KerasConfigSummary;
}

/** class_name values that mark plain data in Keras 2/3 serialization, not an object to import. */
const DATA_MARKERS = new Set([
  "__tuple__",
  "__keras_tensor__",
  "__tensor__",
  "__numpy__",
  "__bytes__",
  "__ellipsis__",
  "__slice__",
  "TensorShape",
]);

/** Modules under which `Lambda` is Keras's own Lambda layer. */
const LAMBDA_MODULES = new Set([
  "keras.layers",
  "keras.src.layers",
  "keras.src.layers.core.lambda_layer",
  "keras.layers.core",
  "keras.src.layers.core",
  "tf_keras.layers",
  "tensorflow.keras.layers",
]);

const MAX_CLASSES = 64;

type Obj = { [key: string]: unknown };

const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function str(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

class Walk {
  readonly findings: Finding[] = [];
  readonly summary: KerasConfigSummary = { objects: 0, classes: {}, lambdas: 0 };
  /** `__lambda__` objects already reported as part of their Lambda layer. */
  private readonly handled = new Set<object>();

  constructor(
    private readonly policy: KerasPolicy,
    private readonly where: string,
  ) {}

  private evidence(path: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { where: this.where, path, ...extra };
  }

  visit(node: Obj, path: string): void {
    const className = str(node.class_name);
    if (className !== undefined) this.visitObject(node, className, path);
    const fnModule = node.fn_module;
    if (fnModule !== undefined && fnModule !== null) {
      const fn = str(node.fn) ?? str(node.function) ?? "";
      this.checkReference(fnModule, fn, `${path}.fn_module`, "function");
    }
  }

  /** class_name → count; a Map, so that names like `__proto__` or `toString` are just names. */
  private readonly classCounts = new Map<string, number>();

  private count(className: string): void {
    this.summary.objects++;
    const n = this.classCounts.get(className);
    if (n !== undefined) this.classCounts.set(className, n + 1);
    else if (this.classCounts.size < MAX_CLASSES) this.classCounts.set(className, 1);
  }

  /** The summary with its class counts filled in. */
  finish(): this {
    this.summary.classes = Object.fromEntries(this.classCounts);
    return this;
  }

  private visitObject(node: Obj, className: string, path: string): void {
    this.count(className);
    if (DATA_MARKERS.has(className)) return;
    if (className === "__lambda__") {
      if (!this.handled.has(node)) this.reportLambdaFunction(node, path);
      return;
    }
    if (className === "__typespec__") {
      this.checkReference(node.module, str(node.spec_name) ?? "", path, "class");
      return;
    }
    if (className === "function") {
      const name = str(node.config) ?? "";
      this.checkReference(node.module, name, path, "function");
      this.checkRegisteredName(node, name, path);
      return;
    }
    const module = node.module;
    if (className === "Lambda" && (module == null || LAMBDA_MODULES.has(String(module)))) {
      this.reportLambdaLayer(node, path);
      return;
    }
    this.checkReference(module, className, path, "class");
    this.checkRegisteredName(node, className, path);
  }

  /** Keras 3 also looks `registered_name` up in the imported module when the class is missing. */
  private checkRegisteredName(node: Obj, name: string, path: string): void {
    const registered = str(node.registered_name);
    if (registered === undefined || registered === name || registered.includes(">")) return;
    if (node.module === undefined || node.module === null) return;
    this.checkReference(node.module, registered, `${path}.registered_name`, "class");
  }

  private checkReference(
    module: unknown,
    name: string,
    path: string,
    kind: "class" | "function",
  ): void {
    const policy = this.policy;
    if (module === undefined || module === null) {
      if (kind === "class" && policy.legacyNames.has(name)) return;
      this.findings.push(
        finding(
          "KERAS_UNKNOWN_MODULE",
          "suspicious",
          `${this.where}: ${kind} '${name}' is not a Keras built-in; loading it needs custom code.`,
          { evidence: this.evidence(path, { name }) },
        ),
      );
      return;
    }
    if (typeof module !== "string") {
      this.findings.push(
        finding(
          "KERAS_UNKNOWN_MODULE",
          "suspicious",
          `${this.where}: ${kind} '${name}' has a module that is not a string.`,
          { evidence: this.evidence(path, { name, module: String(module).slice(0, 80) }) },
        ),
      );
      return;
    }
    if (policy.allowed.has(kerasKey(module, name))) return;
    const reason = dangerousModuleReason(policy, module) ?? policy.dangerousNames.get(name);
    if (reason !== undefined) {
      this.findings.push(
        finding(
          "KERAS_UNKNOWN_MODULE",
          "malicious",
          `${this.where}: the config makes Keras import ${kind} ${module}.${name} (${reason}).`,
          { global: { module, name }, evidence: this.evidence(path, { reason }) },
        ),
      );
      return;
    }
    this.findings.push(
      finding(
        "KERAS_UNKNOWN_MODULE",
        "suspicious",
        `${this.where}: the config makes Keras import ${kind} ${module}.${name}, which is not on the Keras allowlist.`,
        { global: { module, name }, evidence: this.evidence(path) },
      ),
    );
  }

  /** A Lambda layer: Keras 2 (`function` + `function_type`) or Keras 3 (`__lambda__` dicts). */
  private reportLambdaLayer(node: Obj, path: string): void {
    this.summary.lambdas++;
    const config = isObject(node.config) ? node.config : {};
    const layerName = str(config.name) ?? str(node.name) ?? "?";
    const parts: Record<string, unknown> = {};
    for (const field of ["function", "output_shape", "mask"] as const) {
      const described = this.describeFunctionField(config, field);
      if (described !== undefined) parts[field] = described;
    }
    const dangerous = [
      ...new Set(
        Object.values(parts).flatMap((p) => (p as { dangerous?: string[] }).dangerous ?? []),
      ),
    ];
    const uses = dangerous.length > 0 ? ` (its code uses ${dangerous.join(", ")})` : "";
    this.findings.push(
      finding(
        "KERAS_LAMBDA",
        "malicious",
        `${this.where}: Lambda layer '${layerName}' runs arbitrary Python when the model is loaded or called${uses}.`,
        { evidence: this.evidence(path, { layer: layerName, ...parts }) },
      ),
    );
  }

  /** Describes `function` / `output_shape` / `mask` of a Lambda config; marks __lambda__ handled. */
  private describeFunctionField(config: Obj, field: string): Record<string, unknown> | undefined {
    const value = config[field];
    const type = str(config[`${field}_type`]);
    const module = config[field === "function" ? "module" : `${field}_module`];
    if (isObject(value) && value.class_name === "__lambda__") {
      this.handled.add(value);
      return { kind: "keras3-lambda", ...describeLambdaObject(value) };
    }
    if (isObject(value) && typeof value.class_name === "string") {
      return { kind: "reference", class_name: value.class_name, module: value.module };
    }
    if (type === "lambda" || (field === "function" && type === undefined && isCodeLike(value))) {
      const code = Array.isArray(value) ? value[0] : value;
      return { kind: "keras2-lambda", module, ...describeCode(code) };
    }
    if (field === "function" && typeof value === "string") {
      return { kind: "named-function", name: value.slice(0, 120), module };
    }
    return undefined;
  }

  private reportLambdaFunction(node: Obj, path: string): void {
    this.summary.lambdas++;
    const described = describeLambdaObject(node);
    const dangerous = (described.dangerous as string[] | undefined) ?? [];
    const uses = dangerous.length > 0 ? ` (its code uses ${dangerous.join(", ")})` : "";
    this.findings.push(
      finding(
        "KERAS_LAMBDA",
        "malicious",
        `${this.where}: a serialized Python lambda runs arbitrary code when the model is loaded${uses}.`,
        { evidence: this.evidence(path, described) },
      ),
    );
  }
}

function isCodeLike(value: unknown): boolean {
  return typeof value === "string" || (Array.isArray(value) && typeof value[0] === "string");
}

/** Keras 3 `__lambda__`: `config.code` (Lambda layer) or `config.value[0]` (serialization_lib). */
function describeLambdaObject(node: Obj): Record<string, unknown> {
  const inner = isObject(node.config) ? node.config : {};
  const code = inner.code ?? (Array.isArray(inner.value) ? inner.value[0] : undefined);
  return describeCode(code);
}

function describeCode(code: unknown): Record<string, unknown> {
  if (typeof code !== "string") return { bytecode: "missing" };
  const bytes = decodeBase64(code);
  if (bytes === undefined) return { bytecode: "invalid base64", length: code.length };
  const summary = inspectMarshalledCode(bytes);
  return {
    bytecode: summary.error === undefined ? "marshal" : "undecodable",
    bytes: summary.bytes,
    ...(summary.layout ? { layout: summary.layout } : {}),
    ...(summary.pycMagic ? { pycMagic: summary.pycMagic } : {}),
    ...(summary.error ? { error: summary.error } : {}),
    codeNames: summary.codeNames,
    strings: summary.strings.slice(0, 40),
    dangerous: summary.dangerous,
  };
}

/**
 * Walks a parsed Keras config; returns findings and a summary. Pure; never throws. With
 * `requireClassName` false, any JSON value is walked (a `training_config` has no class at its root).
 */
export function walkKerasConfig(
  config: unknown,
  policy: KerasPolicy,
  where: string,
  limits: KerasConfigLimits = DEFAULT_KERAS_CONFIG_LIMITS,
  requireClassName = true,
): KerasConfigResult {
  const walk = new Walk(policy, where);
  if (requireClassName && (!isObject(config) || typeof config.class_name !== "string")) {
    walk.findings.push(
      finding(
        "KERAS_INVALID",
        "unscannable",
        `${where}: not a Keras config (expected an object with a string class_name).`,
        { evidence: { where } },
      ),
    );
    return walk.finish();
  }
  if (isObject(config) && typeof config.class_name === "string")
    walk.summary.modelClass = config.class_name;
  const stack: Array<{ value: unknown; path: string; depth: number }> = [
    { value: config, path: "$", depth: 0 },
  ];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    if (++nodes > limits.maxNodes || depth > limits.maxDepth) {
      const what =
        nodes > limits.maxNodes
          ? `more than ${limits.maxNodes} values`
          : `deeper than ${limits.maxDepth}`;
      walk.findings.push(
        finding(
          "KERAS_INVALID",
          "unscannable",
          `${where}: the config is ${what}; not scanned to the end.`,
          {
            evidence: { where, path },
          },
        ),
      );
      break;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--)
        stack.push({ value: value[i], path: `${path}[${i}]`, depth: depth + 1 });
    } else if (isObject(value)) {
      walk.visit(value, path);
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        const child = value[key];
        if (typeof child === "object" && child !== null)
          stack.push({ value: child, path: `${path}.${key}`, depth: depth + 1 });
      }
    }
  }
  return walk.finish();
}

/**
 * The Keras check other scanners call (the `.keras` zip's `config.json`, JSON files): findings for
 * one parsed config. `where` says where the config came from, e.g. `config.json` or
 * `model.h5:model_config`.
 */
export function scanKerasConfig(config: unknown, policy: KerasPolicy, where: string): Finding[] {
  return walkKerasConfig(config, policy, where).findings;
}
