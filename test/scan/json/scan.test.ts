/** The JSON scanner through the dispatcher: templates and Keras configs by content, Python's JSON dialect, budgets. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { Budget } from "../../../src/scan/budget.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { parsePythonJson } from "../../../src/scan/json/index.js";
import { bytesSource } from "../../../src/scan/source.js";

const policy = loadScanPolicy();
const enc = (s: string) => new TextEncoder().encode(s);
async function scan(text: string, path = "config.json", budget?: Budget): Promise<ScanNode> {
  return scanSource(bytesSource(enc(text)), { policy, path, ...(budget ? { budget } : {}) });
}
const codes = (n: ScanNode) => n.findings.map((f) => `${f.code}:${f.verdict}`);

describe("JSON scanner", () => {
  test("plain config.json: clean, keys summarised", async () => {
    const node = await scan(JSON.stringify({ model_type: "llama", hidden_size: 8 }));
    assert.equal(node.format, "json");
    assert.equal(node.verdict, "clean");
    assert.deepEqual(node.summary?.keys, ["model_type", "hidden_size"]);
  });

  test("tokenizer_config.json with a malicious chat_template → malicious, located by key", async () => {
    const node = await scan(
      JSON.stringify({ chat_template: "{{ cycler.__init__.__globals__.os }}" }),
      "tokenizer_config.json",
    );
    assert.equal(node.verdict, "malicious");
    assert.ok(node.findings.every((f) => f.evidence?.where === "chat_template"));
  });

  test("named template list: the bad one is named", async () => {
    const node = await scan(
      JSON.stringify({
        chat_template: [
          { name: "default", template: "{{ x }}" },
          { name: "rag", template: "{{ x.__class__ }}" },
        ],
      }),
    );
    assert.equal(node.verdict, "malicious");
    assert.equal(node.findings[0]?.evidence?.where, "chat_template[rag]");
    assert.deepEqual(node.summary?.chatTemplates, ["chat_template[default]", "chat_template[rag]"]);
  });

  test("unparseable chat_template → unscannable", async () => {
    const node = await scan(JSON.stringify({ chat_template: "{% if x %}" }));
    assert.deepEqual(codes(node), ["TEMPLATE_UNPARSEABLE:unscannable"]);
  });

  test("Keras config.json shape → scanKerasConfig (Lambda)", async () => {
    const cfg = {
      module: "keras",
      class_name: "Sequential",
      config: {
        layers: [
          {
            module: "keras.layers",
            class_name: "Lambda",
            config: { function: { class_name: "__lambda__", config: { code: "AAAA" } } },
          },
        ],
      },
    };
    const node = await scan(JSON.stringify(cfg));
    assert.deepEqual(codes(node), ["KERAS_LAMBDA:malicious"]);
    assert.equal((node.summary!.keras as { lambdas: number }).lambdas, 1);
  });

  test("TensorFlow.js model.json: modelTopology (and modelTopology.model_config) are Keras configs", async () => {
    const lambda = {
      class_name: "Lambda",
      config: { name: "l", function: ["AAAA", null, null], function_type: "lambda" },
    };
    const topology = {
      class_name: "Sequential",
      config: { layers: [lambda] },
      keras_version: "2.4.0",
    };
    const direct = await scan(
      JSON.stringify({ format: "layers-model", modelTopology: topology, weightsManifest: [] }),
      "model.json",
    );
    assert.deepEqual(codes(direct), ["KERAS_LAMBDA:malicious"]);
    const nested = await scan(
      JSON.stringify({ modelTopology: { model_config: topology } }),
      "model.json",
    );
    assert.deepEqual(codes(nested), ["KERAS_LAMBDA:malicious"]);
  });

  test("Keras config.json naming os.system → malicious", async () => {
    const cfg = { module: "os", class_name: "function", config: "system", registered_name: null };
    assert.equal((await scan(JSON.stringify(cfg))).verdict, "malicious");
  });

  test("Python's NaN / Infinity constants parse (outside strings only)", () => {
    const r = parsePythonJson('{"a": NaN, "b": -Infinity, "c": "NaN stays", "d": [Infinity]}');
    assert.deepEqual(r, { ok: true, value: { a: null, b: null, c: "NaN stays", d: [null] } });
  });

  test("a BOM is ignored", async () => {
    const node = await scan(`\uFEFF${JSON.stringify({ chat_template: "{{ x.__class__ }}" })}`);
    assert.equal(node.verdict, "malicious");
  });

  test("invalid JSON: JSON_INVALID info, verdict from the text checks (clean)", async () => {
    const node = await scan('{"a": 1,, }');
    assert.deepEqual(codes(node), ["JSON_INVALID:clean"]);
    assert.equal(node.verdict, "clean");
  });

  test("a .jinja template detected as JSON (starts with {%) is scanned as a template", async () => {
    const node = await scan(
      "{%- for m in messages %}{{ m.__class__ }}{% endfor %}",
      "chat_template.jinja",
    );
    assert.equal(node.format, "json");
    assert.equal(node.verdict, "malicious");
    assert.ok(codes(node).includes("JSON_INVALID:clean"));
  });

  test("a .jinja that is neither JSON nor a parseable template → unscannable", async () => {
    const node = await scan("{% for m in messages %}{{ m", "chat_template.jinja");
    assert.equal(node.verdict, "unscannable");
  });

  test("hostile: deeply nested JSON does not overflow anything", async () => {
    // Plain nested arrays are data: read to the end (no stack overflow turned into unscannable).
    const node = await scan(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    assert.equal(node.verdict, "clean");
    assert.deepEqual(node.findings, []);
    const keras = await scan(
      `{"class_name": "Sequential", "config": ${"[".repeat(50_000)}${"]".repeat(50_000)}}`,
    );
    assert.equal(keras.verdict, "unscannable");
    assert.deepEqual(codes(keras), ["KERAS_INVALID:unscannable"]);
    assert.match(keras.findings[0]!.message, /deeper than 512/);
  });

  test("hostile: over the in-memory budget → BUDGET_EXCEEDED", async () => {
    const node = await scan(
      JSON.stringify({ a: "x".repeat(2000) }),
      "big.json",
      new Budget({ maxInMemoryBytes: 100 }),
    );
    assert.deepEqual(codes(node), ["BUDGET_EXCEEDED:unscannable"]);
  });

  test("hostile: invalid UTF-8 after the sniff window is decoded leniently, not skipped", async () => {
    const bytes = new Uint8Array([
      ...enc(`{"chat_template": "{{ x.__class__ }}", "pad": "${"a".repeat(9000)}`),
      0xff,
      ...enc('"}'),
    ]);
    const node = await scanSource(bytesSource(bytes), { policy, path: "t.json" });
    assert.equal(node.verdict, "malicious");
  });
});
