/**
 * scanKerasConfig / walkKerasConfig on hand-built configs in the Keras 2 and Keras 3 layouts,
 * with the shipped allowlist (allowlist/keras-modules.json).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Finding } from "../../../src/core/finding.js";
import { worstVerdict } from "../../../src/core/verdict.js";
import { readKerasPolicy } from "../../../src/io/policy-keras.js";
import { scanKerasConfig, walkKerasConfig } from "../../../src/scan/keras/index.js";

const policy = readKerasPolicy();

/** base64(marshal) of `lambda x: __import__('os').system('echo modelvet-fixture') or x`, CPython 3.11. */
const EVIL =
  "4wEAAAAAAAAAAAAAAAMAAAADAAAA80oAAACXAHQBAAAAAAAAAAAAAGQBpgEAAKsBAAAAAAAAAACg\nAQAAAAAAAAAAAAAAAAAAAAAAAAAAZAKmAQAAqwEAAAAAAAAAAHABfABTACkDTtoCb3N6FWVjaG8g\nbW9kZWx2ZXQtZml4dHVyZSkC2gpfX2ltcG9ydF9f2gZzeXN0ZW0pAdoBeHMBAAAAIPoSPG1vZGVs\ndmV0LWZpeHR1cmU++gg8bGFtYmRhPnIHAAAAAQAAAHMiAAAAgACNKpBU0Qoa1Aoa1woh0goh0CI5\n0Qo61Ao60Ao/uGGAAPMAAAAA\n";

const dense2 = (name: string) => ({
  class_name: "Dense",
  config: {
    name,
    units: 2,
    activation: "relu",
    kernel_initializer: { class_name: "GlorotUniform", config: { seed: null } },
  },
});
const lambda2 = (name: string, code: unknown = [EVIL, null, null]) => ({
  class_name: "Lambda",
  config: { name, function: code, function_type: "lambda", module: "__main__", arguments: {} },
});
const seq2 = (layers: unknown[]) => ({ class_name: "Sequential", config: { name: "s", layers } });
const functional2 = (name: string, layers: unknown[]) => ({
  class_name: "Functional",
  config: { name, layers, input_layers: [], output_layers: [] },
});
const dense3 = (name: string, activation: unknown = "relu") => ({
  module: "keras.layers",
  class_name: "Dense",
  config: {
    name,
    units: 2,
    activation,
    dtype: {
      module: "keras",
      class_name: "DTypePolicy",
      config: { name: "float32" },
      registered_name: null,
    },
    kernel_initializer: {
      module: "keras.initializers",
      class_name: "GlorotUniform",
      config: { seed: null },
      registered_name: null,
    },
  },
  registered_name: null,
});
const lambda3 = (name: string) => ({
  module: "keras.layers",
  class_name: "Lambda",
  config: {
    name,
    function: { class_name: "__lambda__", config: { code: EVIL, defaults: null, closure: null } },
  },
  registered_name: null,
});
const seq3 = (layers: unknown[]) => ({
  module: "keras",
  class_name: "Sequential",
  config: { name: "s", layers },
  registered_name: null,
});

const codes = (fs: Finding[]) => fs.map((f) => `${f.code}:${f.verdict}`);
const verdict = (fs: Finding[]) => worstVerdict(fs.map((f) => f.verdict));

describe("scanKerasConfig: benign configs", () => {
  test("tf.keras 2.x Sequential of built-ins is clean", () => {
    assert.deepEqual(scanKerasConfig(seq2([dense2("a"), dense2("b")]), policy, "t"), []);
  });
  test("Keras 3 Sequential with module keys, dtype policies, initializers is clean", () => {
    assert.deepEqual(scanKerasConfig(seq3([dense3("a"), dense3("b", "tanh")]), policy, "t"), []);
  });
  test("Keras 3 built-in function reference (keras.activations relu) is clean", () => {
    const fn = {
      module: "keras.activations",
      class_name: "function",
      config: "relu",
      registered_name: "relu",
    };
    assert.deepEqual(scanKerasConfig(seq3([dense3("a", fn)]), policy, "t"), []);
  });
  test("keras.src.* spellings of built-ins are clean", () => {
    const layer = {
      module: "keras.src.layers",
      class_name: "Dense",
      config: { name: "d" },
      registered_name: null,
    };
    const sub = {
      module: "keras.src.models.functional",
      class_name: "Functional",
      registered_name: "Functional",
      config: { layers: [layer] },
    };
    assert.deepEqual(scanKerasConfig(seq3([sub]), policy, "t"), []);
  });
  test("data markers (__tuple__, __numpy__, TensorShape) are not references", () => {
    const cfg = seq2([
      { class_name: "__tuple__", items: [1, 2] },
      { class_name: "__numpy__", config: { value: [1], dtype: "float32" } },
      { class_name: "TensorShape", items: [null, 4] },
    ]);
    assert.deepEqual(scanKerasConfig(cfg, policy, "t"), []);
  });
  test("a Lambda config's own `module` (the lambda's globals) is not checked as an import", () => {
    const fs = scanKerasConfig(seq2([lambda2("l")]), policy, "t");
    assert.deepEqual(codes(fs), ["KERAS_LAMBDA:malicious"]);
  });
});

describe("scanKerasConfig: K1 Lambda", () => {
  test("Keras 2 Lambda: malicious with decoded bytecode evidence", () => {
    const [f, ...rest] = scanKerasConfig(
      seq2([dense2("a"), lambda2("evil")]),
      policy,
      "model_config",
    );
    assert.equal(rest.length, 0);
    assert.equal(f?.code, "KERAS_LAMBDA");
    assert.equal(f?.verdict, "malicious");
    const fn = f?.evidence?.function as Record<string, unknown>;
    assert.equal(fn.kind, "keras2-lambda");
    assert.equal(fn.layout, "python>=3.11");
    assert.deepEqual(fn.dangerous, ["__import__", "os", "system"]);
    assert.equal(f?.evidence?.path, "$.config.layers[1]");
    assert.match(f?.message ?? "", /os/);
  });
  test("Keras 3 Lambda with __lambda__: one finding, not two", () => {
    const fs = scanKerasConfig(seq3([lambda3("evil")]), policy, "t");
    assert.deepEqual(codes(fs), ["KERAS_LAMBDA:malicious"]);
    assert.equal((fs[0]!.evidence!.function as Record<string, unknown>).kind, "keras3-lambda");
  });
  test("a serialization_lib __lambda__ (config.value) anywhere, e.g. as an activation", () => {
    const fn = { class_name: "__lambda__", config: { value: [EVIL, null, null] } };
    const fs = scanKerasConfig(seq3([dense3("a", fn)]), policy, "t");
    assert.deepEqual(codes(fs), ["KERAS_LAMBDA:malicious"]);
    assert.deepEqual(fs[0]?.evidence?.dangerous, ["__import__", "os", "system"]);
  });
  test("Lambda output_shape and mask lambdas are described too", () => {
    const l = lambda2("l");
    Object.assign(l.config, { output_shape: [EVIL, null, null], output_shape_type: "lambda" });
    const fs = scanKerasConfig(seq2([l]), policy, "t");
    assert.ok(fs[0]?.evidence?.output_shape);
  });
  test("a Lambda with a named function is still a Lambda", () => {
    const l = {
      class_name: "Lambda",
      config: { name: "n", function: "system", function_type: "function", module: "os" },
    };
    const fs = scanKerasConfig(seq2([l]), policy, "t");
    assert.deepEqual(codes(fs), ["KERAS_LAMBDA:malicious"]);
    assert.deepEqual(fs[0]?.evidence?.function, {
      kind: "named-function",
      name: "system",
      module: "os",
    });
  });
  test("invalid base64 bytecode: still malicious, evidence says why", () => {
    const fs = scanKerasConfig(seq2([lambda2("b", ["!!! not base64", null, null])]), policy, "t");
    assert.equal(verdict(fs), "malicious");
    assert.equal((fs[0]!.evidence!.function as Record<string, unknown>).bytecode, "invalid base64");
  });
  test("undecodable marshal: still malicious", () => {
    const fs = scanKerasConfig(
      seq2([lambda2("b", [Buffer.from("not marshal data").toString("base64"), null, null])]),
      policy,
      "t",
    );
    assert.equal(verdict(fs), "malicious");
    assert.equal((fs[0]!.evidence!.function as Record<string, unknown>).bytecode, "undecodable");
  });
});

describe("scanKerasConfig: K2 Lambda at depth", () => {
  test("three Functional models deep", () => {
    const cfg = functional2("outer", [
      dense2("a"),
      functional2("inner", [functional2("innermost", [lambda2("deep")])]),
    ]);
    const fs = scanKerasConfig(cfg, policy, "t");
    assert.deepEqual(codes(fs), ["KERAS_LAMBDA:malicious"]);
    assert.equal(fs[0]?.evidence?.path, "$.config.layers[1].config.layers[0].config.layers[0]");
  });
  test("Sequential inside Functional (Keras 3 module keys)", () => {
    const sub = {
      module: "keras",
      class_name: "Sequential",
      config: { layers: [lambda3("x")] },
      registered_name: null,
    };
    const cfg = {
      module: "keras.src.models.functional",
      class_name: "Functional",
      registered_name: "Functional",
      config: { layers: [sub] },
    };
    assert.deepEqual(codes(scanKerasConfig(cfg, policy, "t")), ["KERAS_LAMBDA:malicious"]);
  });
  test("TimeDistributed(Lambda)", () => {
    const cfg = seq2([
      { class_name: "TimeDistributed", config: { name: "td", layer: lambda2("w") } },
    ]);
    assert.deepEqual(codes(scanKerasConfig(cfg, policy, "t")), ["KERAS_LAMBDA:malicious"]);
  });
  test("Bidirectional(layer=LSTM, backward_layer=Lambda)", () => {
    const cfg = seq2([
      {
        class_name: "Bidirectional",
        config: {
          layer: { class_name: "LSTM", config: { units: 2 } },
          backward_layer: lambda2("b"),
        },
      },
    ]);
    assert.deepEqual(codes(scanKerasConfig(cfg, policy, "t")), ["KERAS_LAMBDA:malicious"]);
  });
  test("in compile_config", () => {
    const cfg = {
      ...seq3([dense3("a")]),
      compile_config: { loss: { class_name: "__lambda__", config: { value: [EVIL, null, null] } } },
    };
    assert.deepEqual(codes(scanKerasConfig(cfg, policy, "t")), ["KERAS_LAMBDA:malicious"]);
  });
  test("every Lambda is reported", () => {
    const cfg = seq2([
      lambda2("a"),
      functional2("f", [lambda2("b")]),
      { class_name: "TimeDistributed", config: { layer: lambda2("c") } },
    ]);
    assert.equal(scanKerasConfig(cfg, policy, "t").length, 3);
  });
});

describe("scanKerasConfig: K3 module references", () => {
  test("os + function system: malicious", () => {
    const fn = {
      module: "os",
      class_name: "function",
      config: "system",
      registered_name: "system",
    };
    const fs = scanKerasConfig(seq3([dense3("a", fn)]), policy, "t");
    assert.equal(verdict(fs), "malicious");
    assert.deepEqual(fs[0]?.global, { module: "os", name: "system" });
  });
  test("subprocess.Popen as a layer: malicious", () => {
    const layer = { module: "subprocess", class_name: "Popen", config: {}, registered_name: null };
    assert.equal(verdict(scanKerasConfig(seq3([layer]), policy, "t")), "malicious");
  });
  test("submodule of a dangerous module (os.path): malicious", () => {
    const fn = { module: "os.path", class_name: "function", config: "exists" };
    assert.equal(verdict(scanKerasConfig(seq3([dense3("a", fn)]), policy, "t")), "malicious");
  });
  test("a dangerous name from an unknown module (mylib + eval): malicious", () => {
    const fn = { module: "mylib", class_name: "function", config: "eval" };
    assert.equal(verdict(scanKerasConfig(seq3([dense3("a", fn)]), policy, "t")), "malicious");
  });
  test("builtins + eval (Keras looks builtins up with importlib): malicious", () => {
    const fn = {
      module: "builtins",
      class_name: "function",
      config: "eval",
      registered_name: "eval",
    };
    assert.equal(verdict(scanKerasConfig(seq3([dense3("a", fn)]), policy, "t")), "malicious");
  });
  test("keras.utils + get_file (download and write): malicious", () => {
    const fn = { module: "keras.utils", class_name: "function", config: "get_file" };
    assert.equal(verdict(scanKerasConfig(seq3([dense3("a", fn)]), policy, "t")), "malicious");
  });
  test("a custom module: suspicious", () => {
    const layer = {
      module: "my_pkg.layers",
      class_name: "MyLayer",
      config: {},
      registered_name: "my_pkg>MyLayer",
    };
    const fs = scanKerasConfig(seq3([layer]), policy, "t");
    assert.deepEqual(codes(fs), ["KERAS_UNKNOWN_MODULE:suspicious"]);
  });
  test("an allowed module with a name that is not a Keras class: suspicious (never a whole module)", () => {
    const layer = { module: "keras.layers", class_name: "NotAKerasLayer", config: {} };
    assert.deepEqual(codes(scanKerasConfig(seq3([layer]), policy, "t")), [
      "KERAS_UNKNOWN_MODULE:suspicious",
    ]);
  });
  test("registered_name is checked against the module too (Keras falls back to it)", () => {
    const layer = {
      module: "keras.layers",
      class_name: "Dense",
      config: {},
      registered_name: "system",
    };
    assert.equal(verdict(scanKerasConfig(seq3([layer]), policy, "t")), "malicious");
  });
  test("a bare tf.keras 2.x class name that is not built in: suspicious", () => {
    const fs = scanKerasConfig(
      seq2([{ class_name: "AttentionWithContext", config: {} }]),
      policy,
      "t",
    );
    assert.deepEqual(codes(fs), ["KERAS_UNKNOWN_MODULE:suspicious"]);
  });
  test("a module that is not a string: suspicious", () => {
    const layer = { module: 42, class_name: "Dense", config: {} };
    assert.deepEqual(codes(scanKerasConfig(seq3([layer]), policy, "t")), [
      "KERAS_UNKNOWN_MODULE:suspicious",
    ]);
  });
  test("__typespec__ with module + spec_name: checked", () => {
    const ts = {
      class_name: "__typespec__",
      spec_name: "system",
      module: "os",
      config: [],
      registered_name: null,
    };
    assert.equal(verdict(scanKerasConfig(seq3([dense3("a", ts)]), policy, "t")), "malicious");
  });
  test("fn_module + fn: checked", () => {
    const loss = {
      class_name: "LossFunctionWrapper",
      module: "keras.losses",
      config: { fn: "system", fn_module: "os" },
    };
    assert.equal(
      verdict(scanKerasConfig({ ...seq3([]), compile_config: { loss } }, policy, "t")),
      "malicious",
    );
  });
  test("a Lambda class from a foreign module is a module reference, not Keras's Lambda", () => {
    const layer = { module: "os", class_name: "Lambda", config: {} };
    assert.deepEqual(codes(scanKerasConfig(seq3([layer]), policy, "t")), [
      "KERAS_UNKNOWN_MODULE:malicious",
    ]);
  });
});

describe("scanKerasConfig: hostile configs", () => {
  test("not an object → KERAS_INVALID unscannable", () => {
    for (const v of [null, 42, "x", [], { config: {} }, { class_name: 1, config: {} }]) {
      assert.deepEqual(codes(scanKerasConfig(v, policy, "t")), ["KERAS_INVALID:unscannable"]);
    }
  });
  test("nested deeper than the limit → KERAS_INVALID, no stack overflow", () => {
    let layers: unknown = [];
    for (let i = 0; i < 100_000; i++) layers = [layers];
    const fs = scanKerasConfig({ class_name: "Sequential", config: { layers } }, policy, "t");
    assert.deepEqual(codes(fs), ["KERAS_INVALID:unscannable"]);
  });
  test("more values than the node budget → KERAS_INVALID", () => {
    const cfg = seq2(Array.from({ length: 100 }, (_, i) => dense2(`d${i}`)));
    const r = walkKerasConfig(cfg, policy, "t", { maxDepth: 100, maxNodes: 50 });
    assert.deepEqual(codes(r.findings), ["KERAS_INVALID:unscannable"]);
  });
  test("a Lambda found before the budget ran out is kept", () => {
    const cfg = seq2([lambda2("first"), ...Array.from({ length: 100 }, (_, i) => dense2(`d${i}`))]);
    const r = walkKerasConfig(cfg, policy, "t", { maxDepth: 100, maxNodes: 30 });
    assert.deepEqual(codes(r.findings), ["KERAS_LAMBDA:malicious", "KERAS_INVALID:unscannable"]);
  });
  test("training_config (no class at the root) can be walked with requireClassName=false", () => {
    const tc = { loss: "mse", optimizer_config: { class_name: "Adam", config: {} } };
    assert.deepEqual(walkKerasConfig(tc, policy, "t", undefined, false).findings, []);
    const bad = { loss: { module: "os", class_name: "function", config: "system" } };
    assert.equal(
      verdict(walkKerasConfig(bad, policy, "t", undefined, false).findings),
      "malicious",
    );
  });
  test("class names like __proto__ and toString are counted as plain names", () => {
    const cfg = seq2([
      { class_name: "toString", config: {} },
      JSON.parse('{"class_name": "__proto__", "config": {}}'),
    ]);
    const r = walkKerasConfig(cfg, policy, "t");
    assert.equal(r.summary.classes.toString, 1);
    assert.equal(Object.getOwnPropertyDescriptor(r.summary.classes, "__proto__")?.value, 1);
    assert.equal(r.findings.length, 2);
  });
  test("summary counts classes and lambdas", () => {
    const r = walkKerasConfig(seq2([dense2("a"), lambda2("l")]), policy, "t");
    assert.equal(r.summary.modelClass, "Sequential");
    assert.equal(r.summary.lambdas, 1);
    assert.equal(r.summary.classes.Dense, 1);
  });
});
