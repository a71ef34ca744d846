import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { extractCodeReferences, parseCodeReference } from "../../src/core/auto-map.js";
import { classifyName } from "../../src/core/name-format.js";

describe("extractCodeReferences", () => {
  it("reads auto_map strings, tokenizer lists with null, and cross-repo references", () => {
    const refs = extractCodeReferences("tokenizer_config.json", {
      auto_map: {
        AutoConfig: "configuration_x.XConfig",
        AutoTokenizer: ["tokenization_x.XTok", null],
        AutoModel: "other-org/base--modeling_x.XModel",
      },
    });
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
      ],
    );
  });

  it("reads custom_pipelines impl and custom sentence-transformers modules", () => {
    const p = extractCodeReferences("config.json", {
      custom_pipelines: { "text-x": { impl: "pipe_x.Pipe" } },
    });
    assert.equal(p[0]?.moduleFile, "pipe_x.py");
    const m = extractCodeReferences("modules.json", [
      { idx: 0, type: "sentence_transformers.models.Transformer" },
      { idx: 1, type: "custom_st.Pooling" },
    ]);
    assert.deepEqual(
      m.map((r) => r.moduleFile),
      ["custom_st.py"],
    );
  });

  it("keeps references it cannot follow as problems instead of dropping them", () => {
    const refs = extractCodeReferences("config.json", {
      auto_map: { AutoModel: 42, AutoConfig: "a.b.C" },
    });
    assert.deepEqual(
      refs.map((r) => r.problem),
      ["not a string reference", "not of the form module.Class"],
    );
    assert.deepEqual(
      extractCodeReferences("config.json", { auto_map: "x" }).map((r) => r.problem),
      ["not a string reference"],
    );
  });

  it("finds nothing in configs without custom code", () => {
    assert.deepEqual(extractCodeReferences("config.json", { model_type: "bert" }), []);
    assert.deepEqual(extractCodeReferences("config.json", [1, 2]), []);
    assert.deepEqual(parseCodeReference("s", "mod.Cls").problem, undefined);
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
