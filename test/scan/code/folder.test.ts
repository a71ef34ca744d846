import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readPythonPolicy } from "../../../src/io/policy-python.js";
import { analyzeRepoFolder } from "../../../src/scan/folder.js";
import type { ScanPolicy } from "../../../src/scan/policy.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";

// The folder pass only reads policy.python; the rest of the policy is not consulted.
const policy = { python: readPythonPolicy() } as unknown as ScanPolicy;

function repo(files: Record<string, string | object>): Map<string, ByteSource> {
  const out = new Map<string, ByteSource>();
  for (const [path, content] of Object.entries(files)) {
    const text = typeof content === "string" ? content : JSON.stringify(content);
    out.set(path, bytesSource(new TextEncoder().encode(text)));
  }
  return out;
}

const MODEL = "import torch\nfrom torch import nn\nclass XModel(nn.Module):\n    pass\n";

describe("analyzeRepoFolder", () => {
  test("a folder without auto_map has no remote code", async () => {
    const r = await analyzeRepoFolder(
      repo({ "config.json": { model_type: "bert" }, "x.py": "import os\nos.system('x')\n" }),
      policy,
    );
    assert.equal(r.configs.size, 0);
    assert.equal(r.files.size, 0);
  });

  test("lists entry modules and their transitive relative imports, and analyses each", async () => {
    const r = await analyzeRepoFolder(
      repo({
        "config.json": {
          auto_map: { AutoConfig: "configuration_x.XConfig", AutoModel: "modeling_x.XModel" },
        },
        "configuration_x.py":
          "from transformers import PretrainedConfig\nclass XConfig(PretrainedConfig):\n    pass\n",
        "modeling_x.py": `${MODEL}from .configuration_x import XConfig\nfrom .layers.attn import Attention\nfrom . import helpers\nfrom .pkg import sub\n`,
        "layers/__init__.py": "",
        "layers/attn.py": "from ..util import norm\nclass Attention:\n    pass\n",
        "util.py": "import subprocess\nsubprocess.call(['echo'])\n",
        "helpers.py": "X = 1\n",
        "pkg/__init__.py": "",
        "pkg/sub.py": "import os\n",
        "unrelated.py": "import os\nos.system('never imported')\n",
      }),
      policy,
    );
    assert.deepEqual(
      [...r.files.keys()],
      [
        "configuration_x.py",
        "modeling_x.py",
        "layers/__init__.py",
        "layers/attn.py",
        "helpers.py",
        "pkg/__init__.py",
        "pkg/sub.py",
        "util.py",
      ],
    );
    assert.equal(r.files.get("util.py")?.verdict, "malicious");
    assert.equal(r.files.has("unrelated.py"), false);
    const config = r.configs.get("config.json");
    assert.ok(config);
    assert.equal(config.findings[0]?.code, "REMOTE_CODE");
    assert.equal(config.findings[0]?.verdict, "suspicious");
    const util = config.summary.files.find((f) => f.path === "util.py");
    assert.equal(util?.verdict, "malicious");
    assert.match(util?.reason ?? "", /imported by layers\/attn.py line 1/);
    assert.ok(util?.does.some((d) => d.includes("subprocess.call()")));
  });

  test("the tokenizer pair form is followed", async () => {
    const r = await analyzeRepoFolder(
      repo({
        "tokenizer_config.json": { auto_map: { AutoTokenizer: ["tok.XTok", "tok_fast.XTokFast"] } },
        "tok.py": "import json\n",
        "tok_fast.py": "import requests\n",
      }),
      policy,
    );
    assert.deepEqual([...r.files.keys()], ["tok.py", "tok_fast.py"]);
    assert.equal(r.files.get("tok_fast.py")?.verdict, "suspicious");
    assert.ok(r.configs.has("tokenizer_config.json"));
  });

  test("a missing referenced file is REMOTE_CODE_MISSING (unscannable)", async () => {
    const r = await analyzeRepoFolder(
      repo({ "config.json": { auto_map: { AutoModel: "modeling_gone.XModel" } } }),
      policy,
    );
    const findings = r.configs.get("config.json")?.findings ?? [];
    const missing = findings.find((f) => f.code === "REMOTE_CODE_MISSING");
    assert.equal(missing?.verdict, "unscannable");
    assert.match(missing?.message ?? "", /modeling_gone\.py/);
    assert.deepEqual(r.configs.get("config.json")?.summary.missing, ["modeling_gone.py"]);
  });

  test("a missing relative import blocks the importing file", async () => {
    const r = await analyzeRepoFolder(
      repo({
        "config.json": { auto_map: { AutoModel: "m.X" } },
        "m.py": "from .gone import thing\nfrom . import also_gone\n",
      }),
      policy,
    );
    const node = r.files.get("m.py");
    assert.equal(node?.verdict, "unscannable");
    assert.equal(node?.findings.filter((f) => f.code === "REMOTE_CODE_MISSING").length, 2);
  });

  test("a relative import that climbs out of the repo blocks", async () => {
    const r = await analyzeRepoFolder(
      repo({
        "config.json": { auto_map: { AutoModel: "m.X" } },
        "m.py": "from ...outside import x\n",
      }),
      policy,
    );
    assert.match(
      r.files.get("m.py")?.findings.find((f) => f.code === "REMOTE_CODE_MISSING")?.message ?? "",
      /climbs out/,
    );
  });

  test("a cross-repo reference is REMOTE_CODE_CROSS_REPO naming the repo", async () => {
    const r = await analyzeRepoFolder(
      repo({ "config.json": { auto_map: { AutoModel: "evil-org/payload--modeling.XModel" } } }),
      policy,
    );
    const f = r.configs
      .get("config.json")
      ?.findings.find((x) => x.code === "REMOTE_CODE_CROSS_REPO");
    assert.equal(f?.verdict, "unscannable");
    assert.match(f?.message ?? "", /evil-org\/payload/);
    assert.deepEqual(r.configs.get("config.json")?.summary.crossRepo, ["evil-org/payload"]);
  });

  test("a file the sniffer would call text is still analysed", async () => {
    // No import/def/class line in the first 8 KiB: detect.ts calls this text.
    const r = await analyzeRepoFolder(
      repo({
        "config.json": { auto_map: { AutoModel: "m.X" } },
        "m.py": `${"# padding\n".repeat(1000)}__import__('os').system('echo')\n`,
      }),
      policy,
    );
    assert.equal(r.files.get("m.py")?.verdict, "malicious");
  });

  test("an unparseable config that mentions auto_map blocks", async () => {
    const r = await analyzeRepoFolder(
      repo({ "config.json": '{"auto_map": {"AutoModel": "m.X"' }),
      policy,
    );
    assert.equal(r.configs.get("config.json")?.findings[0]?.verdict, "unscannable");
  });

  test("import cycles terminate", async () => {
    const r = await analyzeRepoFolder(
      repo({
        "config.json": { auto_map: { AutoModel: "a.X" } },
        "a.py": "from .b import y\n",
        "b.py": "from .a import X\n",
      }),
      policy,
    );
    assert.deepEqual([...r.files.keys()], ["a.py", "b.py"]);
  });
});
