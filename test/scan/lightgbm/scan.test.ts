/**
 * LightGBM's native `model.txt` (issue #13): recognised by its first lines, checked by the strict
 * model-text parser, clean with a note when LightGBM wrote it, blocked when it only looks like one.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { REPO_ROOT } from "../../helpers/run-cli.js";
import { scan, show } from "../containers/helpers.js";
import { model, TREE } from "./helpers.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("LightGBM model.txt", () => {
  it("reads the model.txt lightgbm 4.7 wrote as a LightGBM model, clean, with the version note", async () => {
    const file = join(REPO_ROOT, "fixtures/realworld/current/lightgbm_models/model.txt");
    const node = await scan(new Uint8Array(readFileSync(file)), "model.txt");
    assert.equal(node.format, "lightgbm", show(node));
    assert.equal(node.verdict, "clean", show(node));
    assert.match(node.findings[0]?.message ?? "", /lightgbm >= 4\.6\.0/);
  });

  it("blocks a file that starts like a model but is not one LightGBM writes", async () => {
    for (const text of [
      model([TREE]).replace(/tree_sizes=\d+/, "tree_sizes=9999"),
      model([TREE]).replace("split_feature=0 1", "split_feature=0 1000"),
      "tree\nnum_class=1\n",
      model([TREE]).slice(0, 200),
    ]) {
      const node = await scan(enc(text), "model.txt");
      assert.equal(node.format, "lightgbm");
      assert.equal(node.verdict, "suspicious", show(node));
      assert.equal(node.findings[0]?.code, "LIGHTGBM_INVALID");
    }
  });

  it("blocks a model text that is not UTF-8", async () => {
    const bytes = new Uint8Array([...enc("tree\nversion=v4\nnum_class=1\n"), 0xff, 0xfe, 0x0a]);
    const node = await scan(bytes, "model.txt");
    assert.ok(node.verdict !== "clean", show(node));
  });

  it("leaves other text that begins with the word tree to the text scanner", async () => {
    const node = await scan(enc("tree\nA poem about a tree.\n"), "poem.txt");
    assert.notEqual(node.format, "lightgbm");
    assert.equal(node.verdict, "clean");
  });
});
