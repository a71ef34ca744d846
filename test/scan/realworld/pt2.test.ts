/**
 * torch.export `.pt2` archives (issue #13): weights the loader reads as raw bytes are counted, not
 * parsed; anything else in the archive is scanned as usual.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../../helpers/run-cli.js";
import { cat, EVIL, scan, show } from "../containers/helpers.js";
import { buildZip } from "../containers/zip-builder.js";

// Float32 tensor bytes as torch writes them (not text, not any format).
const RAW = new Uint8Array(
  Float32Array.from([0.12, -0.53, 0.91, -0.07, 0.33, -0.88, 0.45, 0.01]).buffer,
);
const config = (entries: Record<string, { path_name: string; use_pickle: boolean }>) =>
  JSON.stringify({ config: entries });

function pt2(options: { weights: Record<string, { path_name: string; use_pickle: boolean }> }) {
  const files: { name: string; data: Uint8Array | string }[] = [
    { name: "model/archive_format", data: "pt2" },
    { name: "model/archive_version", data: "0" },
    {
      name: "model/models/model.json",
      data: JSON.stringify({ graph_module: { graph: { nodes: [] } } }),
    },
    { name: "model/data/weights/model_weights_config.json", data: config(options.weights) },
  ];
  return files;
}

describe("torch.export .pt2 archives", () => {
  it("counts the raw weights the config lists (use_pickle false) as tensor data", async () => {
    const files = pt2({ weights: { "0.weight": { path_name: "weight_0", use_pickle: false } } });
    files.unshift({ name: "model/data/weights/weight_0", data: RAW });
    const node = await scan(buildZip(files));
    assert.equal(node.verdict, "clean", show(node));
    assert.equal((node.summary as { storages?: number }).storages, 1);
  });

  it("scans a raw-looking weight no config lists (fail closed)", async () => {
    const files = pt2({ weights: {} });
    files.unshift({ name: "model/data/weights/weight_0", data: RAW });
    const node = await scan(buildZip(files));
    assert.notEqual(node.verdict, "clean", show(node));
  });

  it("scans weights stored with use_pickle true as what they are (a pickle here)", async () => {
    const files = pt2({ weights: { w: { path_name: "weight_0", use_pickle: true } } });
    files.unshift({ name: "model/data/weights/weight_0", data: EVIL });
    assert.equal((await scan(buildZip(files))).verdict, "malicious");
  });

  it("does not treat a zip without archive_format 'pt2' as one", async () => {
    const files = pt2({ weights: { w: { path_name: "weight_0", use_pickle: false } } });
    files[0] = { name: "model/archive_format", data: "zip" };
    files.unshift({ name: "model/data/weights/weight_0", data: cat(RAW) });
    assert.notEqual((await scan(buildZip(files))).verdict, "clean");
  });

  it("does not let a config name a member outside its folder", async () => {
    const files = pt2({ weights: { w: { path_name: "../../evil.pkl", use_pickle: false } } });
    files.unshift({ name: "evil.pkl", data: EVIL });
    assert.equal((await scan(buildZip(files))).verdict, "malicious");
  });
});

// ---------------------------------------------------------------------------------------------
// The serialized program (models/*.json): its operators are named and judged.

type Node = { target: unknown; inputs: unknown[]; outputs: unknown[]; metadata?: unknown };
const node = (target: unknown, extra: Record<string, unknown> = {}): Node => ({
  target,
  inputs: [{ name: "self", arg: { as_tensor: { name: "x" } }, kind: 1 }],
  outputs: [{ as_tensor: { name: "y" } }],
  metadata: {},
  ...extra,
});
function program(nodes: Node[], extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    graph_module: {
      graph: { inputs: [], outputs: [], nodes, tensor_values: {}, custom_obj_values: {} },
      signature: { input_specs: [], output_specs: [] },
      module_call_graph: [],
      metadata: {},
    },
    opset_version: { aten: 10 },
    range_constraints: {},
    schema_version: { major: 8, minor: 20 },
    verifiers: ["TRAINING"],
    torch_version: "2.13.0+cpu",
    guards_code: [],
    ...extra,
  });
}
function withProgram(json: string | Uint8Array) {
  const files = pt2({ weights: {} });
  files[2] = { name: "model/models/model.json", data: json };
  return buildZip(files);
}
const programNode = (top: { members?: unknown[] }) =>
  (
    top.members as {
      path: string;
      verdict: string;
      findings: { code: string; verdict: string; message: string }[];
      summary?: Record<string, unknown>;
    }[]
  ).find((m) => m.path === "model/models/model.json");

describe("torch.export program graph", () => {
  it("names the aten operators of a real program (torch 2.13) and passes them", async () => {
    const file = join(REPO_ROOT, "fixtures/realworld/current/torch_export/model.pt2");
    const top = await scan(new Uint8Array(readFileSync(file)), "model.pt2");
    assert.equal(top.verdict, "clean", show(top));
    const m = programNode(top);
    const torchExport = m?.summary?.torchExport as { operators: unknown } | undefined;
    assert.deepEqual(torchExport?.operators, {
      "torch.ops.aten.linear.default": 1,
      "torch.ops.aten.relu.default": 1,
    });
  });

  it("passes standard namespaces, symbolic-shape helpers, srepr expressions and subgraph higher-order ops", async () => {
    const nodes = [
      node("torch.ops.aten.add.Tensor"),
      node("torch.ops.prims.convert_element_type.default"),
      node("_operator.mul"),
      node("torch.sym_max"),
      node("math.trunc"),
      node("torch.ops.higher_order.cond", {
        inputs: [
          {
            name: "true_fn",
            arg: {
              as_graph: { name: "t", graph: { nodes: [node("torch.ops.aten.sin.default")] } },
            },
          },
        ],
      }),
    ];
    const sym = {
      sym_int_values: {
        s0: {
          as_expr: { expr_str: "Mul(Integer(2), Symbol('s77', positive=True, integer=True))" },
        },
      },
    };
    nodes.push(node("torch.ops.aten.sym_size.int", { metadata: sym }));
    const top = await scan(withProgram(program(nodes, { guards_code: ["L['x'].size()[0] == 3"] })));
    assert.equal(top.verdict, "clean", show(top));
  });

  const cases: [string, string | Uint8Array, string, RegExp][] = [
    [
      "a custom operator namespace",
      program([node("torch.ops.mylib.evil.default")]),
      "suspicious",
      /mylib\.evil/,
    ],
    [
      "a higher-order op that runs registered Python",
      program([node("torch.ops.higher_order.triton_kernel_wrapper_functional")]),
      "suspicious",
      /triton/,
    ],
    [
      "an extension operator (#…)",
      program([node("#my_extension.op")]),
      "suspicious",
      /my_extension/,
    ],
    [
      "a torch attribute walk to os.system",
      program([node("torch.os.system")]),
      "malicious",
      /torch\.os\.system/,
    ],
    [
      "a dunder attribute walk",
      program([node("torch.__builtins__.eval")]),
      "malicious",
      /__builtins__/,
    ],
    [
      "a custom op inside a subgraph",
      program([
        node("torch.ops.higher_order.cond", {
          inputs: [
            { arg: { as_graph: { graph: { nodes: [node("torch.ops.evil.op.default")] } } } },
          ],
        }),
      ]),
      "suspicious",
      /evil\.op/,
    ],
    [
      "an expr_str that sympify would run as Python",
      program([
        node("torch.ops.aten.sym_size.int", {
          metadata: { e: { expr_str: "__import__('os').system('id')" } },
        }),
      ]),
      "malicious",
      /sympify/,
    ],
    [
      "guards_code that is not a shape guard",
      program([], { guards_code: ["__import__('os').system('id')"] }),
      "malicious",
      /guards_code/,
    ],
    [
      "a TorchBind custom object",
      program([
        node("torch.ops.aten.add.Tensor", {
          inputs: [
            { arg: { as_custom_obj: { name: "obj0", class_fqn: "__torch__.torch.classes.x.Y" } } },
          ],
        }),
      ]),
      "suspicious",
      /TorchBind/,
    ],
    ["a target that is not a string", program([node({ evil: 1 })]), "unscannable", /not a string/],
    [
      "no graph nodes",
      JSON.stringify({ graph_module: { graph: {} } }),
      "unscannable",
      /graph\.nodes/,
    ],
    [
      "JSON without graph_module",
      JSON.stringify({ hello: "world" }),
      "unscannable",
      /graph_module/,
    ],
    [
      "truncated JSON",
      program([node("torch.ops.aten.add.Tensor")]).slice(0, 120),
      "unscannable",
      /not JSON/,
    ],
    ["bytes that are not JSON at all (a pickle)", EVIL, "unscannable", /not JSON/],
    [
      "deeply nested JSON",
      `{"graph_module": ${"[".repeat(100_000)}${"]".repeat(100_000)}}`,
      "unscannable",
      /./,
    ],
    [
      "deep nesting inside a node",
      program([
        node("torch.ops.aten.add.Tensor", { inputs: "<deep>" as unknown as unknown[] }),
      ]).replace('"<deep>"', `${"[".repeat(50_000)}${"]".repeat(50_000)}`),
      "unscannable",
      /nests deeper/,
    ],
  ];
  for (const [name, json, verdict, why] of cases) {
    it(`blocks ${name}`, async () => {
      const top = await scan(withProgram(json));
      const m = programNode(top);
      assert.equal(m?.verdict, verdict, show(top));
      assert.ok(
        m?.findings.some((f) => why.test(f.message)),
        show(top),
      );
      assert.notEqual(top.verdict, "clean");
    });
  }
});
