import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extractCodeReferences, readAutoMap } from "../../src/core/auto-map.js";
import { classifyName } from "../../src/core/name-format.js";

describe("readAutoMap", () => {
  it("reads module.Class, cross-repo references and the tokenizer pair with nulls", () => {
    const refs = readAutoMap("config.json", {
      auto_map: {
        AutoConfig: "configuration_x.XConfig",
        AutoModel: "org/repo--modeling_x.XModel",
        AutoTokenizer: ["tokenization_x.XTokenizer", null],
      },
    });
    assert.deepEqual(
      refs.map((r) => [r.key, r.file, r.repo, r.className, r.problem]),
      [
        ["auto_map.AutoConfig", "configuration_x.py", undefined, "XConfig", undefined],
        ["auto_map.AutoModel", "modeling_x.py", "org/repo", "XModel", undefined],
        ["auto_map.AutoTokenizer[0]", "tokenization_x.py", undefined, "XTokenizer", undefined],
      ],
    );
  });

  it("reads the legacy tokenizer form, where auto_map is the pair itself", () => {
    const refs = readAutoMap("tokenizer_config.json", {
      auto_map: [null, "tokenization_x_fast.XTokenizerFast"],
    });
    assert.deepEqual(
      refs.map((r) => [r.key, r.file]),
      [["auto_map[1]", "tokenization_x_fast.py"]],
    );
  });

  it("reads custom_pipelines impl, sub-folder modules and module names transformers accepts", () => {
    const refs = readAutoMap("config.json", {
      custom_pipelines: { "text-x": { impl: "pipes/pipeline_x.XPipeline", pt: ["AutoModel"] } },
      auto_map: { AutoModel: "modeling-x.XModel" },
    });
    assert.deepEqual(
      refs.map((r) => r.file),
      ["modeling-x.py", "pipes/pipeline_x.py"],
    );
  });

  it("keeps what it cannot follow as references with a problem, never drops them", () => {
    const refs = readAutoMap("config.json", {
      auto_map: {
        A: "a.b.C",
        B: "../../etc/evil.X",
        C: "/abs/x.Y",
        D: 42,
        E: "a--b--c.D",
        F: "org/r--../up.X",
        G: "sub//x.Y",
      },
    });
    assert.deepEqual(
      refs.map((r) => [r.key, r.file, r.problem]),
      [
        ["auto_map.A", undefined, "not of the form module.Class"],
        // ".." already breaks the module.Class split, as it does in transformers.
        ["auto_map.B", undefined, "not of the form module.Class"],
        ["auto_map.C", undefined, "module path /abs/x leaves the repository"],
        ["auto_map.D", undefined, 'a number, not a "module.Class" string'],
        ["auto_map.E", undefined, "more than one '--' separator"],
        ["auto_map.F", undefined, "not of the form module.Class"],
        ["auto_map.G", undefined, "module path sub//x leaves the repository"],
      ],
    );
    assert.deepEqual(
      readAutoMap("config.json", { auto_map: "x" }).map((r) => [r.key, r.reference, r.problem]),
      [["auto_map", '"x"', "a string, not a map of references"]],
    );
    const long = readAutoMap("config.json", { auto_map: { A: { x: "y".repeat(1000) } } });
    assert.equal(long[0]?.reference.length, 200, "odd values are shortened");
  });

  it("reads sentence-transformers modules.json: custom module types are repo code", () => {
    const refs = readAutoMap("modules.json", [
      { idx: 0, name: "0", path: "", type: "sentence_transformers.models.Transformer" },
      { idx: 1, name: "1", path: "1_Custom", type: "custom_st.CustomPooling" },
      null,
      { idx: 3, type: 7 },
    ]);
    assert.deepEqual(
      refs.map((r) => [r.key, r.file]),
      [["[1].type", "custom_st.py"]],
    );
    assert.deepEqual(readAutoMap("modules.json", { not: "a list" }), []);
  });

  it("finds nothing in configs without custom code", () => {
    assert.deepEqual(readAutoMap("config.json", { model_type: "bert" }), []);
    assert.deepEqual(readAutoMap("config.json", { auto_map: null }), []);
    assert.deepEqual(readAutoMap("config.json", [1, 2]), []);
    assert.deepEqual(readAutoMap("config.json", "text"), []);
  });
});

describe("extractCodeReferences (the shape inspect reports)", () => {
  it("gives the same references as readAutoMap, named by file and key", () => {
    const json = {
      auto_map: {
        AutoConfig: "configuration_x.XConfig",
        AutoTokenizer: ["tokenization_x.XTok", null],
        AutoModel: "other-org/base--modeling_x.XModel",
        AutoBad: "a.b.C",
      },
    };
    const refs = extractCodeReferences("tokenizer_config.json", json);
    assert.deepEqual(
      refs.map((r) => [r.source, r.moduleFile, r.className, r.repo, r.problem]),
      [
        [
          "tokenizer_config.json: auto_map.AutoConfig",
          "configuration_x.py",
          "XConfig",
          undefined,
          undefined,
        ],
        [
          "tokenizer_config.json: auto_map.AutoTokenizer[0]",
          "tokenization_x.py",
          "XTok",
          undefined,
          undefined,
        ],
        [
          "tokenizer_config.json: auto_map.AutoModel",
          "modeling_x.py",
          "XModel",
          "other-org/base",
          undefined,
        ],
        [
          "tokenizer_config.json: auto_map.AutoBad",
          undefined,
          undefined,
          undefined,
          "not of the form module.Class",
        ],
      ],
    );
    assert.equal(refs.length, readAutoMap("tokenizer_config.json", json).length);
  });

  it("reads the legacy bare tokenizer pair as references, like the scan's folder pass", () => {
    const refs = extractCodeReferences("tokenizer_config.json", {
      auto_map: ["tokenization_x.XTok", "tokenization_x_fast.XTokFast"],
    });
    assert.deepEqual(
      refs.map((r) => [r.source, r.moduleFile, r.problem]),
      [
        ["tokenizer_config.json: auto_map[0]", "tokenization_x.py", undefined],
        ["tokenizer_config.json: auto_map[1]", "tokenization_x_fast.py", undefined],
      ],
    );
  });
});

describe("classifyName", () => {
  it("sorts names into risk classes", () => {
    const cases: Array<[string, string]> = [
      ["model.safetensors", "safe"],
      ["sub/model-00001-of-00002.safetensors", "safe"],
      ["model.gguf", "safe"],
      ["onnx/model.onnx", "safe"],
      ["tokenizer.model", "safe"],
      ["LICENSE", "safe"],
      ["README.md", "safe"],
      ["pytorch_model.bin", "pickle"],
      ["model.PT", "pickle"],
      ["training_args.bin", "pickle"],
      ["x.joblib", "pickle"],
      ["arr.npy", "maybe-pickle"],
      ["tf_model.h5", "keras"],
      ["model.keras", "keras"],
      ["saved_model.pb", "graph"],
      ["modeling_x.py", "code"],
      ["weights", "unknown"],
      ["rust_model.ot", "unknown"],
    ];
    for (const [name, risk] of cases) assert.equal(classifyName(name).risk, risk, name);
  });
});
