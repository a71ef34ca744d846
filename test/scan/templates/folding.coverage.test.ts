/**
 * Chat-template spellings of a dunder name that only constant folding sees (threat G1): printf and
 * str.format, filters and string methods, joins of lists and of dict keywords, ternaries and
 * variables. Each is malicious naming the attribute it builds; each harmless twin stays clean.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Finding } from "../../../src/core/finding.js";
import { worstVerdict } from "../../../src/core/verdict.js";
import { scanChatTemplate } from "../../../src/scan/templates/index.js";

const verdict = (fs: Finding[]) => worstVerdict(fs.map((f) => f.verdict));
const text = (fs: Finding[]) => fs.map((f) => `${f.evidence?.detail} ${f.message}`).join("\n");

describe("folded spellings of __globals__", () => {
  const cases: Array<[string, string]> = [
    ["printf with %c codes", `{{ x["%c%cglobals%c%c" % (95, 95, 95, 95)] }}`],
    ["printf with one argument", `{{ x["__glo%sals__" % "b"] }}`],
    ["the format filter (printf style)", `{{ x["%sals__"|format("__glob")] }}`],
    ["str.format with automatic fields", `{{ x["{}{}".format("__glo", "bals__")] }}`],
    ["str.format with numbered fields", `{{ x["{1}{0}".format("bals__", "__glo")] }}`],
    ["str.format with printf text", `{{ x["%s%s".format("__glo", "bals__")] }}`],
    ["the lower filter", `{{ x["__GLOBALS__"|lower] }}`],
    ["the lower method", `{{ x["__GLOBALS__".lower()] }}`],
    ["the upper method of a lower-case twin", `{{ x["__globals__".upper()|lower] }}`],
    ["the trim filter", `{{ x["  __globals__ "|trim] }}`],
    ["the string filter", `{{ x["__globals__"|string] }}`],
    ["the replace filter", `{{ x["__globXls__"|replace("X", "a")] }}`],
    ["str.join of a list", `{{ x["".join(["__glo", "bals__"])] }}`],
    ["str.join of a tuple", `{{ x["".join(("__glo", "bals__"))] }}`],
    ["the join filter on a list", `{{ x[["__glo", "bals__"]|join] }}`],
    ["the join filter on dict keywords", `{{ x[dict(__glo=1, bals__=2)|join] }}`],
    ["a ternary", `{{ x["__globals__" if y else "a"] }}`],
    ["a variable and ~", `{% set a = "__glo" %}{{ x[a ~ "bals__"] }}`],
    ["an integer in a concatenation", `{{ x["__glo" ~ 8 ~ "__"] if false else x["__globals__"] }}`],
  ];
  for (const [name, template] of cases) {
    test(name, () => {
      const findings = scanChatTemplate(template, "t");
      assert.equal(verdict(findings), "malicious", `${template}\n${text(findings)}`);
      assert.match(text(findings), /__globals__/, template);
    });
  }
});

describe("keys whose fold ends in no constant are suspicious, not guessed", () => {
  const unfollowed: Array<[string, string]> = [
    ["a replace without its second argument", `{{ x["a"|replace("a")] }}`],
    ["a join of a list with a variable", `{{ x["".join(["a", y])] }}`],
    ["a join of something that is not a list", `{{ x["".join(y)] }}`],
    ["a join filter with a variable", `{{ x[["a", y]|join] }}`],
    ["an unknown string method", `{{ x["a".zfill(3)] }}`],
    ["an unknown filter", `{{ x["a"|wordcount] }}`],
    ["a computed method", `{{ x["a"["lower"]()] }}`],
    ["a method of a call", `{{ x[f("a").lower()] }}`],
    ["a join filter on a call that is not dict", `{{ x[g("a")|join] }}`],
    ["a subtraction of strings", `{{ x["a" - "b"] }}`],
  ];
  for (const [name, template] of unfollowed) {
    test(name, () => {
      const findings = scanChatTemplate(template, "t");
      assert.deepEqual(
        findings.map((f) => [f.verdict, f.evidence?.rule]),
        [["suspicious", "computed-key"]],
        `${template}\n${text(findings)}`,
      );
    });
  }
});

describe("calls and fields", () => {
  test("a dangerous function name is malicious when called, not when the template binds it", () => {
    const called = scanChatTemplate(`{{ popen("id") }}`, "t");
    assert.equal(verdict(called), "malicious");
    assert.match(text(called), /popen/);
    const bound = scanChatTemplate(`{% set popen = x %}{{ popen("id") }}`, "t");
    assert.equal(verdict(bound), "clean", text(bound));
  });

  test("a str.format field that reads a dunder attribute is malicious", () => {
    const findings = scanChatTemplate(`{{ "{0.__class__}".format(x) }}`, "t");
    assert.equal(verdict(findings), "malicious", text(findings));
    assert.match(text(findings), /__class__/);
    assert.deepEqual(scanChatTemplate(`{{ "{0.name}".format(x) }}`, "t"), []);
  });

  test("the same technique twice is reported once", () => {
    const once = scanChatTemplate(`{{ x["__globals__"] }}`, "t");
    assert.ok(once.length > 0);
    const twice = scanChatTemplate(`{{ x["__globals__"] }}{{ y["__globals__"] }}`, "t");
    assert.deepEqual(twice, once);
  });
});
