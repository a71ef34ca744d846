/**
 * `scan --only-models`: which of the files a hook hands over are model files. By bytes first,
 * then a weights-file name, then membership of a model folder; anything odd is kept, so the scan
 * decides (fail closed).
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pickModelFiles } from "../../src/app/pick-model-files.js";
import { REPO_ROOT, tempDir } from "../helpers/run-cli.js";

describe("pickModelFiles", () => {
  let dir: { path: string; cleanup: () => void };
  const at = (p: string) => join(dir.path, p);

  before(() => {
    dir = tempDir("modelvet-pick-");
    mkdirSync(at("model"));
    mkdirSync(at("jsapp"));
    mkdirSync(at("broken"));
    const pickle = join(REPO_ROOT, "fixtures/pickle/malicious/dumped-reduce-posix-system-p2.pkl");
    copyFileSync(pickle, at("config.json")); // a pickle under a JSON name
    copyFileSync(pickle, at("data.bin.bak")); // a pickle under a name that promises nothing
    writeFileSync(at("build.py"), 'import subprocess\nsubprocess.run(["make"])\n');
    writeFileSync(at("notes.md"), "# notes\n");
    // Prose that parses as a protocol-0 pickle (BINFLOAT "it v2.33", STOP), as a release note
    // does; and a real protocol-0 payload under a document name, which is still picked.
    writeFileSync(
      at("RELNOTES.txt"),
      "Git v2.33.2 Release Notes\n=====\n\nThis release merges fixes.\n",
    );
    writeFileSync(at("payload.txt"), "cposix\nsystem\n(S'echo hi'\ntR.");
    writeFileSync(at("empty"), "");
    writeFileSync(at("WEIGHTS.SAFETENSORS"), "not really safetensors");
    writeFileSync(
      at("logo.png"),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0xff, 0xfe]),
    );
    writeFileSync(at("model/config.json"), '{"model_type": "llama", "auto_map": {}}');
    writeFileSync(at("model/modeling_x.py"), "import os\n");
    writeFileSync(at("model/chat_template.jinja"), "{{ messages }}");
    writeFileSync(at("jsapp/config.json"), '{"port": 8080}');
    writeFileSync(at("jsapp/tool.py"), "import os\n");
    writeFileSync(at("broken/config.json"), "{ not json");
    writeFileSync(at("broken/tool.py"), "import os\n");
    symlinkSync(at("build.py"), at("link.py"));
    // Model formats whose names promise nothing a hook would know: a LightGBM model.txt, a TFLite
    // flatbuffer and a tf.train.Checkpoint index, under neutral names.
    const real = (p: string) => join(REPO_ROOT, "fixtures/realworld/current", p);
    copyFileSync(
      join(REPO_ROOT, "fixtures/realworld/current-2/lightgbm_more/random_forest.txt"),
      at("trees.txt"),
    );
    copyFileSync(real("tensorflow_saves/adder.tflite"), at("adder.data"));
    copyFileSync(real("tensorflow_saves/ckpt/model-1.index"), at("ckpt.idx"));
  });
  after(() => dir.cleanup());

  const pick = (...names: string[]) => {
    const { picked, skipped } = pickModelFiles(names.map(at));
    const rel = (ps: string[]) => ps.map((p) => p.slice(dir.path.length + 1));
    return { picked: rel(picked), skipped: rel(skipped) };
  };

  test("bytes decide: a pickle is kept whatever its name", () => {
    assert.deepEqual(pick("config.json", "data.bin.bak").picked, ["config.json", "data.bin.bak"]);
  });

  test("ordinary source, documents, images and empty files are left alone", () => {
    assert.deepEqual(pick("build.py", "notes.md", "logo.png", "empty", "RELNOTES.txt").picked, []);
  });

  test("a protocol-0 payload under a text name is kept", () => {
    assert.deepEqual(pick("payload.txt").picked, ["payload.txt"]);
  });

  test("LightGBM text models, TFLite and checkpoint indexes are kept by their bytes", () => {
    assert.deepEqual(pick("trees.txt", "adder.data", "ckpt.idx").picked, [
      "trees.txt",
      "adder.data",
      "ckpt.idx",
    ]);
  });

  test("a weights-file name is kept in any case, even when its bytes are unreadable", () => {
    assert.deepEqual(pick("WEIGHTS.SAFETENSORS").picked, ["WEIGHTS.SAFETENSORS"]);
  });

  test("text is kept inside a model folder, not beside an ordinary or broken config.json", () => {
    assert.deepEqual(
      pick(
        "model/config.json",
        "model/modeling_x.py",
        "model/chat_template.jinja",
        "jsapp/config.json",
        "jsapp/tool.py",
        "broken/config.json",
        "broken/tool.py",
      ),
      {
        picked: ["model/config.json", "model/modeling_x.py", "model/chat_template.jinja"],
        skipped: ["jsapp/config.json", "jsapp/tool.py", "broken/config.json", "broken/tool.py"],
      },
    );
  });

  test("folders, links and missing paths are kept, for the scan to judge or report", () => {
    assert.deepEqual(pick("model", "link.py", "gone.pkl").picked, ["model", "link.py", "gone.pkl"]);
  });
});
