/** The text scanner: templates found by content; the rule for text that merely contains braces. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { loadScanPolicy } from "../../../src/io/policy-files.js";
import { Budget } from "../../../src/scan/budget.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { bytesSource } from "../../../src/scan/source.js";
import { scanTextContent } from "../../../src/scan/text/index.js";

const policy = loadScanPolicy();
async function scan(text: string, path: string, budget?: Budget): Promise<ScanNode> {
  return scanSource(bytesSource(new TextEncoder().encode(text)), {
    policy,
    path,
    ...(budget ? { budget } : {}),
  });
}

describe("text scanner", () => {
  test("plain text: clean, not a template", async () => {
    const node = await scan("merges and vocab lines\nhello world\n", "merges.txt");
    assert.equal(node.format, "text");
    assert.equal(node.verdict, "clean");
    assert.equal(node.summary?.template, false);
  });

  test("a template file that starts with text is found by content", async () => {
    const node = await scan(
      "<|im_start|>{{ lipsum.__globals__.os.popen('id').read() }}",
      "template.jinja",
    );
    assert.equal(node.format, "text");
    assert.equal(node.verdict, "malicious");
  });

  test("README with a harmless template code sample: clean", async () => {
    const node = await scan(
      "# Usage\n\n```\n{% for m in messages %}{{ m['content'] }}{% endfor %}\n```\n",
      "README.md",
    );
    assert.equal(node.verdict, "clean");
    assert.equal(node.summary?.template, true);
  });

  test("README whose braces do not parse: clean, no finding (not a template)", async () => {
    const node = await scan("To escape {{ as {{ '{{' }} and write {% carefully.\n", "README.md");
    assert.equal(node.verdict, "clean");
    assert.equal(node.summary?.templateSyntax, true);
  });

  test("the same unparseable text named .jinja: unscannable (a loader renders it)", async () => {
    for (const name of ["chat_template.jinja", "x.jinja2", "additional_chat_templates/tool.j2"]) {
      const node = await scan("To escape {{ as {{ '{{' }} and write {% carefully.\n", name);
      assert.equal(node.verdict, "unscannable", name);
    }
  });

  test("unparseable text with dunders inside template syntax: suspicious (lexical backstop)", () => {
    const r = scanTextContent(
      "text {% raw %}{{ ''.__class__.__mro__ }}{% endraw %} more",
      "notes.txt",
    );
    assert.deepEqual(
      r.findings.map((f) => [f.code, f.verdict]),
      [["TEMPLATE_DANGEROUS", "suspicious"]],
    );
    assert.deepEqual(r.findings[0]?.evidence?.dunders, ["__class__", "__mro__"]);
  });

  test("dunders outside template syntax in unparseable text: nothing", () => {
    assert.deepEqual(scanTextContent("call __init__ then {{ broken", "notes.txt").findings, []);
  });

  test("over the in-memory budget → BUDGET_EXCEEDED", async () => {
    const node = await scan("x".repeat(500), "a.txt", new Budget({ maxInMemoryBytes: 100 }));
    assert.equal(node.findings[0]?.code, "BUDGET_EXCEEDED");
    assert.equal(node.verdict, "unscannable");
  });
});
