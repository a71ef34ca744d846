import assert from "node:assert/strict";
import { test } from "node:test";
import { compileGlobFilter } from "../../src/core/globs.js";

const paths = [
  "config.json",
  "tokenizer/config.json",
  "model.safetensors",
  "onnx/model.onnx",
  ".gitattributes",
  "pytorch_model.bin",
];

test("an empty include keeps every file", () => {
  assert.deepEqual(paths.filter(compileGlobFilter({ include: [], exclude: [] })), paths);
});

test("a pattern without a slash matches base names at any depth", () => {
  const keep = compileGlobFilter({ include: ["*.json"], exclude: [] });
  assert.deepEqual(paths.filter(keep), ["config.json", "tokenizer/config.json"]);
});

test("a pattern with a slash matches from the repo root; exclude wins", () => {
  const keep = compileGlobFilter({
    include: ["onnx/**", "*.bin", "*.safetensors"],
    exclude: ["*.bin"],
  });
  assert.deepEqual(paths.filter(keep), ["model.safetensors", "onnx/model.onnx"]);
});

test("dot files match like any other file", () => {
  assert.deepEqual(paths.filter(compileGlobFilter({ include: [".git*"], exclude: [] })), [
    ".gitattributes",
  ]);
});
