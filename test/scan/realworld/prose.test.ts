/**
 * A model card that quotes Python is prose, not Python (issue #13); a file whose first statement
 * could start Python is still read as Python.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { detectFormat } from "../../../src/scan/detect.js";
import { bytesSource } from "../../../src/scan/source.js";

const format = (text: string) => detectFormat(bytesSource(new TextEncoder().encode(text))).format;

const CARD = `---
tags:
- sentence-transformers
library_name: sentence-transformers
---

# SentenceTransformer

## Usage

\`\`\`python
from sentence_transformers import SentenceTransformer
model = SentenceTransformer("org/name")
\`\`\`
`;

describe("prose versus Python", () => {
  it("reads a Hub model card with YAML front matter and a Python example as text", () => {
    assert.equal(format(CARD), "text");
    assert.equal(format(CARD.replaceAll("\n", "\r\n")), "text");
  });

  it("reads cards starting with HTML, a table, a quote or a code span as text", () => {
    for (const first of ["<!-- card -->", "| a | b |", "> quoted", "`code`", "$ pip install x"])
      assert.equal(format(`${first}\nfrom x import y\n`), "text", first);
  });

  it("skips blank and comment lines before the first statement", () => {
    assert.equal(format(`\n# Title\n\n---\nimport os\n`), "text");
  });

  it("reads a card that starts with a heading and a sentence as text", () => {
    const card =
      "# Tiny BERT\n\nThis model is a tiny BERT.\n\n```python\nfrom transformers import AutoModel\n```\n";
    assert.equal(format(card), "text");
  });

  it("still reads as Python a file whose first statement could be Python", () => {
    for (const first of [
      "import os",
      "from x import y",
      "x if y else z",
      "match x:",
      "type X = int",
      "print x",
    ])
      assert.equal(format(`# T\n${first}\nimport os\n`), "python", first);
    assert.equal(format("# Model\n\nimport os\nos.system('x')\n"), "python");
    assert.equal(format("---x\nimport os\n"), "python");
    assert.equal(format("x = 1\n---\nfrom x import y\n"), "python");
    assert.equal(format("  \\\n---\nimport os\n"), "python");
  });
});
