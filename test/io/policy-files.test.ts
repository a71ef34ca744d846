import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { InputError } from "../../src/core/errors.js";
import {
  loadScanPolicy,
  PICKLE_DANGEROUS_FILE,
  PICKLE_SAFE_FILE,
  SHIPPED_ALLOWLIST_DIR,
} from "../../src/io/policy-files.js";
import { globalKey } from "../../src/scan/pickle/policy.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Raw = Record<string, unknown>;

const okSafe = (): Raw => ({
  entries: [
    {
      module: "collections",
      name: "OrderedDict",
      reason: "dict subclass",
      provenance: ["test"],
    },
  ],
});
const okDangerous = (): Raw => ({
  entries: [
    { module: "os", name: "*", reason: "runs commands" },
    { module: "builtins", name: "__import__", reason: "imports anything" },
  ],
});

/** Writes the two files (raw text when a string is given) into a fresh temp dir. */
function policyDir(safe: Raw | string | undefined, dangerous: Raw | string | undefined): string {
  const dir = mkdtempSync(join(tmpdir(), "modelvet-policy-"));
  dirs.push(dir);
  const write = (name: string, value: Raw | string | undefined) => {
    if (value === undefined) return;
    writeFileSync(
      join(dir, name),
      typeof value === "string" ? value : JSON.stringify(value, null, 2),
    );
  };
  write(PICKLE_SAFE_FILE, safe);
  write(PICKLE_DANGEROUS_FILE, dangerous);
  return dir;
}

function safeWith(entry: Raw): Raw {
  return { entries: [...(okSafe().entries as Raw[]), entry] };
}

/** Asserts loading fails with POLICY_FILE_INVALID naming the file, the JSON path and the problem. */
function assertInvalid(dir: string, file: string, path: string, problem: RegExp): void {
  assert.throws(
    () => loadScanPolicy(dir),
    (error: unknown) => {
      assert.ok(error instanceof InputError, `expected InputError, got ${String(error)}`);
      assert.equal(error.code, "POLICY_FILE_INVALID");
      assert.ok(error.message.includes(join(dir, file)), `file missing from: ${error.message}`);
      assert.ok(error.message.includes(`${path}:`), `path ${path} missing from: ${error.message}`);
      assert.match(error.message, problem);
      return true;
    },
  );
}

describe("shipped allowlist", () => {
  const policy = loadScanPolicy().pickle;

  test("loads from the default directory", () => {
    assert.deepEqual(loadScanPolicy(SHIPPED_ALLOWLIST_DIR).pickle.safe, policy.safe);
    assert.ok(policy.safe.size > 50);
    assert.ok(policy.dangerous.size > 50);
  });

  test("allows what real torch, numpy, sklearn, pandas and joblib files import", () => {
    for (const [m, n] of [
      ["torch._utils", "_rebuild_tensor_v2"],
      ["torch._utils", "_rebuild_parameter"],
      ["torch", "FloatStorage"],
      ["torch", "BFloat16Storage"],
      ["collections", "OrderedDict"],
      ["numpy.core.multiarray", "_reconstruct"],
      ["numpy._core.multiarray", "_reconstruct"],
      ["numpy", "dtype"],
      ["numpy", "ndarray"],
      ["_codecs", "encode"],
      ["__builtin__", "set"],
      ["copy_reg", "_reconstructor"],
      ["sklearn.linear_model._logistic", "LogisticRegression"],
      ["pandas.core.frame", "DataFrame"],
      ["joblib.numpy_pickle", "NumpyArrayWrapper"],
    ] as const) {
      assert.ok(policy.safe.has(globalKey(m, n)), `${m}.${n} should be safe`);
    }
  });

  test("never allows a whole module, a dotted name or a dunder name", () => {
    for (const key of policy.safe) {
      const [, name = ""] = key.split("\u0000");
      assert.notEqual(name, "*", key);
      assert.ok(!name.includes("."), key);
      assert.ok(!(name.startsWith("__") && name.endsWith("__")), key);
    }
  });

  test("never allows a builtin that executes, imports or walks attributes", () => {
    for (const mod of ["builtins", "__builtin__"]) {
      for (const name of [
        "eval",
        "exec",
        "compile",
        "getattr",
        "setattr",
        "__import__",
        "open",
        "globals",
        "vars",
        "range",
      ]) {
        assert.ok(!policy.safe.has(globalKey(mod, name)), `${mod}.${name} must not be safe`);
      }
    }
  });

  test("labels the known code-execution callables as dangerous", () => {
    for (const key of [
      globalKey("os", "*"),
      globalKey("posix", "*"),
      globalKey("nt", "*"),
      globalKey("subprocess", "*"),
      globalKey("builtins", "eval"),
      globalKey("builtins", "exec"),
      globalKey("builtins", "__import__"),
      globalKey("__builtin__", "getattr"),
      globalKey("runpy", "*"),
      globalKey("pip", "*"),
      globalKey("timeit", "*"),
      globalKey("pkgutil", "*"),
      globalKey("importlib", "*"),
      globalKey("torch.utils.collect_env", "*"),
      globalKey("webbrowser", "*"),
      globalKey("socket", "*"),
      globalKey("shutil", "*"),
      globalKey("pickle", "*"),
      globalKey("torch", "load"),
    ]) {
      const reason = policy.dangerous.get(key);
      assert.ok(reason !== undefined && reason.length > 0, `${key.replace("\u0000", ".")}`);
    }
  });

  test("no safe entry is also dangerous (exactly or through a whole module)", () => {
    for (const key of policy.safe) {
      const [module = "", name = ""] = key.split("\u0000");
      assert.ok(!policy.dangerous.has(globalKey(module, name)), key);
      const parts = module.split(".");
      for (let i = 1; i <= parts.length; i++) {
        assert.ok(!policy.dangerous.has(globalKey(parts.slice(0, i).join("."), "*")), key);
      }
    }
  });
});

describe("policy file validation", () => {
  test("a valid pair of files loads into exact keys", () => {
    const policy = loadScanPolicy(policyDir(okSafe(), okDangerous())).pickle;
    assert.deepEqual([...policy.safe], [globalKey("collections", "OrderedDict")]);
    assert.equal(policy.dangerous.get(globalKey("os", "*")), "runs commands");
    assert.equal(policy.dangerous.get(globalKey("builtins", "__import__")), "imports anything");
  });

  test("rejects a dotted name in the safe list", () => {
    const dir = policyDir(
      safeWith({
        module: "torch.serialization",
        name: "os.system",
        reason: "x",
        provenance: ["t"],
      }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].name", /dotted name/);
  });

  test("rejects a dunder name in the safe list", () => {
    const dir = policyDir(
      safeWith({ module: "collections", name: "__init__", reason: "x", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].name", /dunder/);
  });

  test("rejects a whole module in the safe list", () => {
    const dir = policyDir(
      safeWith({ module: "numpy", name: "*", reason: "x", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].name", /whole module/);
  });

  test("rejects classes from __main__", () => {
    const dir = policyDir(
      safeWith({ module: "__main__", name: "TrainingArguments", reason: "x", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].module", /__main__/);
  });

  test("rejects a name that is not an identifier", () => {
    const dir = policyDir(
      safeWith({ module: "numpy", name: "dtype ", reason: "x", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].name", /identifier/);
  });

  test("rejects a module that is not a dotted identifier", () => {
    const dir = policyDir(
      safeWith({ module: "numpy..core", name: "dtype", reason: "x", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].module", /module name/);
  });

  test("rejects a missing reason", () => {
    const dir = policyDir(
      safeWith({ module: "numpy", name: "dtype", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].reason", /expected string/i);
  });

  test("rejects a blank or multi-line reason", () => {
    const blank = policyDir(
      safeWith({ module: "numpy", name: "dtype", reason: "  ", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(blank, PICKLE_SAFE_FILE, "$.entries[1].reason", /reason is required/);
    const multi = policyDir(okSafe(), {
      entries: [{ module: "os", name: "*", reason: "one\ntwo" }],
    });
    assertInvalid(multi, PICKLE_DANGEROUS_FILE, "$.entries[0].reason", /one line/);
  });

  test("rejects a safe entry without provenance", () => {
    const dir = policyDir(
      safeWith({ module: "numpy", name: "dtype", reason: "x", provenance: [] }),
      okDangerous(),
    );
    assertInvalid(dir, PICKLE_SAFE_FILE, "$.entries[1].provenance", /where the entry comes from/);
  });

  test("rejects a duplicate entry in either file", () => {
    const safe = policyDir(
      safeWith({ module: "collections", name: "OrderedDict", reason: "again", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(
      safe,
      PICKLE_SAFE_FILE,
      "$.entries[1]",
      /duplicate entry collections\.OrderedDict/,
    );
    const dangerous = policyDir(okSafe(), {
      entries: [
        { module: "os", name: "*", reason: "a" },
        { module: "os", name: "*", reason: "b" },
      ],
    });
    assertInvalid(dangerous, PICKLE_DANGEROUS_FILE, "$.entries[1]", /duplicate entry os\.\*/);
  });

  test("rejects a safe entry that the dangerous list covers", () => {
    const exact = policyDir(
      safeWith({ module: "builtins", name: "eval", reason: "x", provenance: ["t"] }),
      { entries: [{ module: "builtins", name: "eval", reason: "evaluates code" }] },
    );
    assertInvalid(
      exact,
      PICKLE_SAFE_FILE,
      "$.entries[1]",
      /also listed as dangerous \(builtins\.eval/,
    );
    const parent = policyDir(
      safeWith({ module: "os.path", name: "join", reason: "x", provenance: ["t"] }),
      okDangerous(),
    );
    assertInvalid(parent, PICKLE_SAFE_FILE, "$.entries[1]", /also listed as dangerous \(os\.\*/);
  });

  test("rejects a dotted name in the dangerous list", () => {
    const dir = policyDir(okSafe(), {
      entries: [{ module: "idlelib.run", name: "Executive.runcode", reason: "runs code" }],
    });
    assertInvalid(dir, PICKLE_DANGEROUS_FILE, "$.entries[0].name", /dotted name/);
  });

  test("rejects unknown keys, a wrong top-level shape and invalid JSON", () => {
    const extra = policyDir(
      safeWith({ module: "numpy", name: "dtype", reason: "x", provenance: ["t"], allow: true }),
      okDangerous(),
    );
    assertInvalid(extra, PICKLE_SAFE_FILE, "$.entries[1]", /unrecognized key/i);
    const shape = policyDir(okSafe(), { entries: { os: "*" } });
    assertInvalid(shape, PICKLE_DANGEROUS_FILE, "$.entries", /expected array/i);
    const notJson = policyDir("{ entries: [", okDangerous());
    assertInvalid(notJson, PICKLE_SAFE_FILE, "$", /not valid JSON/);
  });

  test("a missing file is an error, not an empty policy", () => {
    const dir = policyDir(undefined, okDangerous());
    assertInvalid(dir, PICKLE_SAFE_FILE, "$", /cannot be read/);
  });
});
