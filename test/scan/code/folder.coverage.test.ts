/**
 * The remote-code folder pass (trust_remote_code): an auto_map value that names no module, a file
 * over the source limit, more files than the pass follows, a package import that lands on
 * `__init__.py`, an unreadable config that mentions auto_map, and the per-file lines a report
 * shows. None of them ends clean.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readPythonPolicy } from "../../../src/io/policy-python.js";
import { analyzeRepoFolder } from "../../../src/scan/folder.js";
import type { ScanPolicy } from "../../../src/scan/policy.js";
import { type ByteSource, bytesSource } from "../../../src/scan/source.js";

const python = readPythonPolicy();
const policy = { python } as unknown as ScanPolicy;

function repo(files: Record<string, string | object>): Map<string, ByteSource> {
  const out = new Map<string, ByteSource>();
  for (const [path, content] of Object.entries(files)) {
    const text = typeof content === "string" ? content : JSON.stringify(content);
    out.set(path, bytesSource(new TextEncoder().encode(text)));
  }
  return out;
}

const configOf = async (files: Record<string, string | object>, p = policy) => {
  const r = await analyzeRepoFolder(repo(files), p);
  const config = r.configs.get("config.json");
  assert.ok(config, "config.json names remote code");
  return { r, config };
};

describe("remote code that cannot be followed", () => {
  test("an auto_map value that is not module.Class is missing code, with its problem", async () => {
    const { config } = await configOf({ "config.json": { auto_map: { AutoModel: "JustAName" } } });
    const missing = config.findings.filter((f) => f.code === "REMOTE_CODE_MISSING");
    assert.equal(missing.length, 1);
    assert.match(
      missing[0]!.message,
      /AutoModel = "JustAName" cannot be followed: not of the form module\.Class/,
    );
    assert.equal(config.summary.references[0]?.problem, "not of the form module.Class");
  });

  test("an unreadable config that mentions auto_map is unscannable", async () => {
    const r = await analyzeRepoFolder(
      repo({ "config.json": '{"auto_map": {"AutoModel": ' }),
      policy,
    );
    const config = r.configs.get("config.json");
    assert.ok(config);
    assert.match(
      config.findings.map((f) => f.message).join("\n"),
      /Cannot read auto_map from config\.json: not valid JSON/,
    );
    assert.ok(config.findings.every((f) => f.verdict === "unscannable"));
  });
});

describe("remote code budgets", () => {
  test("a Python file over the source limit is not analysed, and says so", async () => {
    const small = {
      ...python,
      rules: { ...python.rules, limits: { ...python.rules.limits, maxSourceBytes: 64 } },
    };
    const { r } = await configOf(
      {
        "config.json": { auto_map: { AutoModel: "modeling_x.XModel" } },
        "modeling_x.py": `class XModel:\n    pass\n${"# padding\n".repeat(20)}`,
      },
      { python: small } as unknown as ScanPolicy,
    );
    const node = r.files.get("modeling_x.py");
    assert.equal(node?.verdict, "unscannable");
    assert.match(node?.findings[0]?.message ?? "", /over the 64-byte limit: not analysed/);
  });

  test("a chain of more than 500 imported files stops at 500 with a finding", async () => {
    const files: Record<string, string | object> = {
      "config.json": { auto_map: { AutoModel: "m0.XModel" } },
      "m0.py": "from .m1 import X\nclass XModel:\n    pass\n",
    };
    for (let i = 1; i <= 501; i++) files[`m${i}.py`] = `from .m${i + 1} import X\n`;
    files["m502.py"] = "X = 1\n";
    const { r, config } = await configOf(files);
    assert.equal(r.files.size, 500);
    assert.ok(
      config.findings.some(
        (f) => f.code === "BUDGET_EXCEEDED" && /more than 500 files/.test(f.message),
      ),
    );
  });
});

describe("relative imports", () => {
  test("`from . import name` with no name.py lands on the package's __init__.py", async () => {
    const { r } = await configOf({
      "config.json": { auto_map: { AutoModel: "modeling_x.XModel" } },
      "__init__.py": "import os\nos.system('id')\n",
      "modeling_x.py": "from . import not_a_module\nclass XModel:\n    pass\n",
    });
    assert.deepEqual([...r.files.keys()], ["modeling_x.py", "__init__.py"]);
    assert.equal(r.files.get("__init__.py")?.verdict, "malicious");
  });

  test("a report line per finding with its line, at most 12 and a count of the rest", async () => {
    const calls = Array.from({ length: 15 }, (_, i) => `os.system('c${i}')`).join("\n");
    const { config } = await configOf({
      "config.json": { auto_map: { AutoModel: "modeling_x.XModel" } },
      "modeling_x.py": `import os\n${calls}\nclass XModel:\n    pass\n`,
    });
    const does = config.summary.files[0]?.does ?? [];
    assert.equal(does.length, 13, does.join("\n"));
    assert.match(does[0] ?? "", /\(line \d+\)$/);
    assert.match(does[12] ?? "", /^… and \d+ more$/);
  });
});
