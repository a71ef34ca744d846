/**
 * scanChatTemplate (G1): published templates stay clean, every technique is caught (with its
 * harmless twin clean), and hostile templates end in TEMPLATE_UNPARSEABLE, never a throw.
 * Real templates are the committed fixtures in fixtures/templates/real/.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { Finding } from "../../../src/core/finding.js";
import { worstVerdict } from "../../../src/core/verdict.js";
import {
  DEFAULT_TEMPLATE_LIMITS,
  parseTemplate,
  scanChatTemplate,
  templatesInJson,
} from "../../../src/scan/templates/index.js";

const DIR = join(import.meta.dirname, "..", "..", "..", "fixtures", "templates");
const verdict = (fs: Finding[]) => worstVerdict(fs.map((f) => f.verdict));
const details = (fs: Finding[]) => fs.map((f) => f.evidence?.detail);

describe("published chat templates are clean", () => {
  const real = readdirSync(join(DIR, "real")).filter((f) => f.endsWith(".jinja"));
  test("there are at least seven", () => assert.ok(real.length >= 7));
  for (const file of real) {
    test(file, () => {
      const text = readFileSync(join(DIR, "real", file), "utf8");
      assert.ok(parseTemplate(text).ok, "parses with @huggingface/jinja");
      assert.deepEqual(scanChatTemplate(text, file), []);
    });
  }
});

describe("G1 techniques", () => {
  const malicious: Array<[string, string, string]> = [
    ["dunder attribute chain", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "__subclasses__"],
    ["dunder item access", "{{ x['__globals__'] }}", "__globals__"],
    ["concatenated key (+)", "{{ x['__gl' + 'obals__'] }}", "__globals__"],
    ["concatenated key (~)", "{{ x['__in' ~ 'it__'] }}", "__init__"],
    ["set-constant chain", "{% set a = '__cla' %}{% set b = a ~ 'ss__' %}{{ x[b] }}", "__class__"],
    ["join filter key", "{{ x[['__cl', 'ass__'] | join] }}", "__class__"],
    ["join method key", "{{ x[''.join(['__cl', 'ass__'])] }}", "__class__"],
    ["reverse filter key", "{{ x['__ssalc__' | reverse] }}", "__class__"],
    ["replace filter key", "{{ x['__clXss__' | replace('X', 'a')] }}", "__class__"],
    ["%-format key", "{{ x['%s%s' % ('__cla', 'ss__')] }}", "__class__"],
    ["format filter key", "{{ x['{}ss__' | format('__cla')] }}", "__class__"],
    ["attr filter", "{{ x | attr('__class__') }}", "__class__"],
    ["map(attribute=) dotted", "{{ xs | map(attribute='a.__class__') | list }}", "__class__"],
    ["selectattr", "{{ xs | selectattr('__dict__') | list }}", "__dict__"],
    ["str.format field", "{{ '{0.__class__}'.format(x) }}", "__class__"],
    ["lipsum globals", "{{ lipsum.__globals__['os'].popen('id').read() }}", "lipsum"],
    ["cycler init", "{{ cycler.__init__.__globals__ }}", "cycler"],
    ["joiner", "{{ joiner.__init__ }}", "joiner"],
    ["namespace class", "{{ namespace.__init__ }}", "namespace"],
    ["self reference", "{{ self._TemplateReference__context }}", "self"],
    ["private attribute", "{{ x._module }}", "_module"],
    ["config (Flask)", "{{ config.items() }}", "config"],
    ["request (Flask)", "{{ request.args }}", "request"],
    ["__builtins__ name", "{{ __builtins__ }}", "__builtins__"],
    ["os name", "{{ os.listdir('.') }}", "os"],
    ["popen attribute", "{{ x.popen('id') }}", "popen"],
    ["eval call", "{{ eval('1') }}", "eval"],
    ["dunder in set assignee", "{% set ns.__class__ = 1 %}", "__class__"],
    ["inside a macro", "{% macro m(a) %}{{ a.__class__ }}{% endmacro %}{{ m(1) }}", "__class__"],
    ["inside a call block", "{% call m() %}{{ x.__globals__ }}{% endcall %}", "__globals__"],
    ["inside a filter block", "{% filter upper %}{{ x.__class__ }}{% endfilter %}", "__class__"],
    ["inside a for else", "{% for a in b %}{% else %}{{ x.__mro__ }}{% endfor %}", "__mro__"],
    ["inside an object literal", "{% set d = {'k': x.__class__} %}", "__class__"],
    ["inside a ternary", "{{ 1 if x else y.__class__ }}", "__class__"],
    ["inside a slice", "{{ x[y.__len__():] }}", "__len__"],
    ["quote-free dict keys joined", "{{ x | attr(dict(__cla=1, ss__=2) | join) }}", "__class__"],
    [
      "quote-free dict key via set",
      "{% set k = dict(__globals__=1) | join %}{{ x[k] }}",
      "__globals__",
    ],
  ];
  for (const [name, text, detail] of malicious) {
    test(`malicious: ${name}`, () => {
      const fs = scanChatTemplate(text, "t");
      assert.equal(verdict(fs), "malicious", JSON.stringify(fs));
      assert.ok(details(fs).includes(detail), `${detail} in ${JSON.stringify(details(fs))}`);
      assert.ok(fs.every((f) => f.code === "TEMPLATE_DANGEROUS" && f.evidence?.where === "t"));
    });
  }

  const benign: Array<[string, string]> = [
    [
      "item access with a variable key",
      "{% for i in range(3) %}{{ messages[i]['content'] }}{% endfor %}",
    ],
    ["concatenated harmless key", "{{ message['con' + 'tent'] }}"],
    ["attr with a harmless name", "{{ m | attr('content') }}"],
    ["map(attribute='content')", "{{ messages | map(attribute='content') | join('\\n') }}"],
    ["reject('equalto', …)", "{{ tools | reject('equalto', 'code_interpreter') | join(', ') }}"],
    [
      "namespace instance attributes",
      "{% set ns = namespace(found=false) %}{% set ns.found = true %}{{ ns.found }}",
    ],
    ["cycler instance", "{% set c = cycler('a', 'b') %}{{ c.next() }}"],
    ["str.format without attribute fields", "{{ '{0}: {1}'.format(m.role, m.content) }}"],
    [
      "a variable named like a danger but bound locally",
      "{% set config = {'a': 1} %}{{ config.a }}",
    ],
    [
      "raise_exception and strftime_now",
      "{{ raise_exception('no') if false }}{{ strftime_now('%Y') }}",
    ],
    [
      "generation blocks (transformers extension)",
      "{% for m in messages %}{% generation %}{{ m.content }}{% endgeneration %}{% endfor %}",
    ],
    ["comments mentioning __class__", "{# never use __class__ here #}{{ x }}"],
    ["text mentioning __init__", "Call __init__ yourself. {{ x }}"],
  ];
  for (const [name, text] of benign) {
    test(`clean: ${name}`, () => assert.deepEqual(scanChatTemplate(text, "t"), []));
  }

  test("a key built from strings in a way we cannot follow is suspicious", () => {
    const fs = scanChatTemplate("{{ x[('__' ~ y) | title] }}", "t");
    assert.equal(verdict(fs), "suspicious");
  });
  test("characters built from lipsum (no string literal) are suspicious", () => {
    const text =
      "{% set u = (lipsum | string | list)[18] %}{{ x | attr(u * 2 ~ 'class' ~ u * 2) }}";
    assert.equal(verdict(scanChatTemplate(text, "t")), "suspicious");
    assert.equal(verdict(scanChatTemplate("{{ (lipsum | string)[0] }}", "t")), "suspicious");
    assert.deepEqual(scanChatTemplate("{{ lipsum(2) }}", "t"), []);
    assert.equal(verdict(scanChatTemplate("{{ (raise_exception ~ '')[20] }}", "t")), "suspicious");
    const llama32 =
      "{%- if strftime_now is defined %}{%- set d = strftime_now('%d %b %Y') %}{%- endif %}";
    assert.deepEqual(scanChatTemplate(llama32, "t"), []);
  });
  test("attr with a computed name is suspicious", () => {
    assert.equal(verdict(scanChatTemplate("{{ x | attr(name) }}", "t")), "suspicious");
  });
  test("a dunder fragment in a string literal alone is suspicious", () => {
    assert.equal(verdict(scanChatTemplate("{% set a = '__glo' %}{{ a }}", "t")), "suspicious");
  });
  test("findings are capped and the rest counted", () => {
    const text = Array.from({ length: 80 }, (_, i) => `{{ x.__a${i}__ }}`).join("");
    const fs = scanChatTemplate(text, "t", { ...DEFAULT_TEMPLATE_LIMITS, maxFindings: 10 });
    assert.equal(fs.length, 11);
    assert.equal(fs.at(-1)?.evidence?.dropped, 70);
    assert.equal(fs.at(-1)?.verdict, "malicious");
  });
});

describe("hostile templates → TEMPLATE_UNPARSEABLE (unscannable), never a throw", () => {
  const cases: Array<[string, string]> = [
    ["unterminated block", "{% if x %}oops"],
    ["unterminated expression", "{{ x"],
    ["unterminated string", "{{ 'abc }}"],
    ["unknown statement (raw)", "{% raw %}{{ x.__class__ }}{% endraw %}"],
    ["unknown statement (include)", "{% include 'other.jinja' %}"],
    ["unknown escape", "{{ '\\q' }}"],
    ["unclosed comment", "{# comment"],
    ["10000 nested ifs", "{% if x %}".repeat(10000) + "{% endif %}".repeat(10000)],
    ["10000 nested fors", "{% for a in b %}".repeat(10000) + "{% endfor %}".repeat(10000)],
    ["10000 nested set blocks", "{% set a %}".repeat(10000) + "{% endset %}".repeat(10000)],
    ["5000 nested parentheses", `{{ ${"(".repeat(5000)}1${")".repeat(5000)} }}`],
    ["5000 nested lists", `{{ ${"[".repeat(5000)}${"]".repeat(5000)} }}`],
    ["5000 chained nots", `{{ ${"not ".repeat(5000)}x }}`],
    ["5000 chained minus signs", `{{ ${"- ".repeat(5000)}x }}`],
  ];
  for (const [name, text] of cases) {
    test(name, () => {
      const fs = scanChatTemplate(text, "t");
      assert.deepEqual(
        fs.map((f) => [f.code, f.verdict]),
        [["TEMPLATE_UNPARSEABLE", "unscannable"]],
      );
      assert.equal(typeof fs[0]?.evidence?.reason, "string");
    });
  }
  test("longer than the length limit", () => {
    const fs = scanChatTemplate("{{ x }}".repeat(100), "t", {
      ...DEFAULT_TEMPLATE_LIMITS,
      maxLength: 50,
    });
    assert.equal(fs[0]?.code, "TEMPLATE_UNPARSEABLE");
    assert.equal(fs[0]?.evidence?.budget, true);
  });
  test("seeded mutations of a real template never throw", () => {
    const base = readFileSync(join(DIR, "real", "qwen2.5-instruct-tools.jinja"), "utf8");
    const alphabet = "{}%#()[]'\"_.|~+-x \n";
    let seed = 99;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 300; i++) {
      const chars = [...base];
      for (let k = 0; k < 1 + rand(5); k++)
        chars[rand(chars.length)] = alphabet[rand(alphabet.length)]!;
      const fs = scanChatTemplate(chars.join(""), "t");
      assert.ok(Array.isArray(fs));
    }
  });
});

describe("templatesInJson", () => {
  test("a string chat_template", () => {
    assert.deepEqual(templatesInJson({ chat_template: "{{ x }}" }).templates, [
      { key: "chat_template", text: "{{ x }}" },
    ]);
  });
  test("a list of named templates", () => {
    const r = templatesInJson({
      chat_template: [
        { name: "default", template: "a" },
        { name: "rag", template: "b" },
      ],
    });
    assert.deepEqual(
      r.templates.map((t) => t.key),
      ["chat_template[default]", "chat_template[rag]"],
    );
  });
  test("malformed entries are reported, not skipped", () => {
    assert.deepEqual(templatesInJson({ chat_template: 42 }).invalid, ["chat_template"]);
    assert.deepEqual(templatesInJson({ chat_template: [{ name: "x" }] }).invalid, [
      "chat_template[0]",
    ]);
  });
  test("no chat_template, null, or a non-object: nothing", () => {
    for (const v of [{}, { chat_template: null }, [], "x", null]) {
      assert.deepEqual(templatesInJson(v), { templates: [], invalid: [] });
    }
  });
  test("a chat_template inherited from the prototype is not read", () => {
    assert.deepEqual(
      templatesInJson(JSON.parse('{"__proto__": {"chat_template": "x"}}')).templates,
      [],
    );
  });
});
