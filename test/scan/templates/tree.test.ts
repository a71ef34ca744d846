/**
 * The template tree walk (src/scan/templates/tree.ts): macro parameters with defaults bind their
 * name (a parameter named like a Jinja global is the template's own variable) while the default
 * value itself is still checked; and a node type the walker does not know (a newer
 * @huggingface/jinja) is walked through every child node it holds, so nothing inside it is skipped.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { worstVerdict } from "../../../src/core/verdict.js";
import { scanChatTemplate } from "../../../src/scan/templates/index.js";
import type { Node } from "../../../src/scan/templates/parse.js";
import { collectBindings, filterName, walk } from "../../../src/scan/templates/tree.js";

const ident = (value: string): Node => ({ type: "Identifier", value });

describe("template tree: macro parameters with defaults", () => {
  test("a parameter `config=1` binds config: reading config.a inside the macro is clean", () => {
    assert.deepEqual(
      scanChatTemplate("{% macro m(config=1) %}{{ config.a }}{% endmacro %}{{ m() }}", "t"),
      [],
    );
  });

  test("a default value reaching cycler.__init__ is still found (malicious)", () => {
    const fs = scanChatTemplate(
      "{% macro m(x=cycler.__init__) %}{{ x }}{% endmacro %}{{ m() }}",
      "t",
    );
    assert.equal(worstVerdict(fs.map((f) => f.verdict)), "malicious");
    assert.ok(
      fs.some((f) => f.evidence?.detail === "__init__"),
      JSON.stringify(fs),
    );
  });
});

describe("template tree: nodes the walker does not know", () => {
  test("every child node of an unknown node type is walked (arrays and single nodes), as an expression", () => {
    const future: Node = {
      type: "PipelineExpression",
      operator: ident("not-a-child"),
      stages: [ident("a"), "text", ident("b")],
      target: ident("c"),
      flags: 3,
    };
    const seen = [...walk({ type: "Program", body: [future] })].map(
      ([n, role]) => `${n.type}:${n.type === "Identifier" ? n.value : ""}:${role}`,
    );
    assert.deepEqual(seen, [
      "Program::expr",
      "PipelineExpression::expr",
      "Identifier:a:expr",
      "Identifier:b:expr",
      "Identifier:c:expr",
    ]);
  });

  test("a filter that is neither a name nor a call is walked as an expression and has no filter name", () => {
    const filter: Node = {
      type: "MemberExpression",
      object: ident("lipsum"),
      property: ident("x"),
    };
    const seen = [...walk({ type: "FilterExpression", operand: ident("v"), filter })].map(
      ([n, role]) => `${n.type}:${role}`,
    );
    assert.deepEqual(seen, [
      "FilterExpression:expr",
      "Identifier:expr",
      "MemberExpression:expr",
      "Identifier:expr",
      "Identifier:prop",
    ]);
    assert.equal(filterName(filter), undefined);
    assert.equal(filterName("upper"), undefined);
  });

  test("a call filter whose arguments are not a list: its name is read, with no arguments", () => {
    const filter: Node = { type: "CallExpression", callee: ident("map"), args: "oops" };
    assert.deepEqual(filterName(filter), { name: "map", args: [] });
    const roles = [...walk({ type: "FilterStatement", filter, body: "not a list" })].map(
      ([n, role]) => `${n.type}:${role}`,
    );
    assert.deepEqual(roles, ["FilterStatement:expr", "Identifier:name"]);
  });

  test("bindings come from the macro name, its parameters and keyword parameters, not from a default value", () => {
    const nodes = [
      ...walk({
        type: "Macro",
        name: ident("m"),
        args: [
          ident("a"),
          { type: "KeywordArgumentExpression", key: ident("b"), value: ident("g") },
        ],
        body: [],
      }),
    ];
    assert.deepEqual([...collectBindings(nodes)].sort(), ["a", "b", "m"]);
  });
});
