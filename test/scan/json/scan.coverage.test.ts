/**
 * JSON scanner cases the main tests do not reach: a chat_template that is no template (a loader
 * would fail on it, so modelvet cannot say it is safe), Python's float constants next to escaped
 * quotes, and the summary of values that are not objects.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScanNode } from "../../../src/core/report.js";
import { scanSource } from "../../../src/scan/dispatch.js";
import { parsePythonJson, scanJsonValue } from "../../../src/scan/json/index.js";
import { bytesSource } from "../../../src/scan/source.js";
import { emptyPolicy } from "../protobuf/fixture-manifest.js";

const scan = (text: string, path = "tokenizer_config.json"): Promise<ScanNode> =>
  scanSource(bytesSource(new TextEncoder().encode(text)), { policy: emptyPolicy, path });

describe("chat_template values that are no template", () => {
  it("a number is unscannable, located by its key", async () => {
    const node = await scan(JSON.stringify({ chat_template: 5 }));
    assert.equal(node.verdict, "unscannable");
    assert.equal(node.findings[0]?.code, "TEMPLATE_UNPARSEABLE");
    assert.deepEqual(node.findings[0]?.evidence, { where: "chat_template" });
  });

  it("a list entry without a template string is unscannable by its index", async () => {
    const node = await scan(
      JSON.stringify({
        chat_template: [{ name: "default", template: "{{ messages }}" }, { name: "tool_use" }, 3],
      }),
    );
    assert.equal(node.verdict, "unscannable");
    const where = node.findings
      .filter((f) => f.code === "TEMPLATE_UNPARSEABLE")
      .map((f) => f.evidence?.where);
    assert.deepEqual(where, ["chat_template[1]", "chat_template[2]"]);
    assert.deepEqual(node.summary?.chatTemplates, ["chat_template[default]"]);
  });

  it("a null chat_template is no template, and clean", async () => {
    const node = await scan(JSON.stringify({ chat_template: null }));
    assert.equal(node.verdict, "clean", JSON.stringify(node.findings));
  });
});

describe("Python's JSON dialect", () => {
  it("replaces NaN and Infinity outside strings only, past escaped quotes", () => {
    const parsed = parsePythonJson(String.raw`{"a": "say \"NaN\"", "b": NaN, "c": -Infinity}`);
    assert.deepEqual(parsed, { ok: true, value: { a: 'say "NaN"', b: null, c: null } });
  });

  it("reports the original error when the constants were not the only problem", () => {
    const parsed = parsePythonJson('{"b": NaN,}');
    assert.equal(parsed.ok, false);
    assert.match((parsed as { error: string }).error, /JSON/);
  });

  it("ignores a leading byte order mark", () => {
    assert.deepEqual(parsePythonJson('\ufeff{"a": 1}'), { ok: true, value: { a: 1 } });
  });
});

describe("JSON summaries", () => {
  it("names the type of a value that is not an object", () => {
    const keras = emptyPolicy.keras;
    assert.equal(scanJsonValue([1, 2], keras).summary.type, "array");
    assert.equal(scanJsonValue(null, keras).summary.type, "null");
    assert.equal(scanJsonValue(3, keras).summary.type, "number");
  });

  it("lists at most the first keys of a wide object and counts them all", () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 500; i++) wide[`key${i}`] = i;
    const { summary } = scanJsonValue(wide, emptyPolicy.keras);
    assert.ok((summary.keys as string[]).length < 500);
    assert.equal((summary.keys as string[])[0], "key0");
    assert.equal(summary.keyCount, 500);
  });
});
