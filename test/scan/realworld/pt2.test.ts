/**
 * torch.export `.pt2` archives (issue #13): weights the loader reads as raw bytes are counted, not
 * parsed; anything else in the archive is scanned as usual.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cat, EVIL, scan, show } from "../containers/helpers.js";
import { buildZip } from "../containers/zip-builder.js";

// Float32 tensor bytes as torch writes them (not text, not any format).
const RAW = new Uint8Array(
  Float32Array.from([0.12, -0.53, 0.91, -0.07, 0.33, -0.88, 0.45, 0.01]).buffer,
);
const config = (entries: Record<string, { path_name: string; use_pickle: boolean }>) =>
  JSON.stringify({ config: entries });

function pt2(options: { weights: Record<string, { path_name: string; use_pickle: boolean }> }) {
  const files: { name: string; data: Uint8Array | string }[] = [
    { name: "model/archive_format", data: "pt2" },
    { name: "model/archive_version", data: "0" },
    { name: "model/models/model.json", data: '{"graph_module": {}}' },
    { name: "model/data/weights/model_weights_config.json", data: config(options.weights) },
  ];
  return files;
}

describe("torch.export .pt2 archives", () => {
  it("counts the raw weights the config lists (use_pickle false) as tensor data", async () => {
    const files = pt2({ weights: { "0.weight": { path_name: "weight_0", use_pickle: false } } });
    files.unshift({ name: "model/data/weights/weight_0", data: RAW });
    const node = await scan(buildZip(files));
    assert.equal(node.verdict, "clean", show(node));
    assert.equal((node.summary as { storages?: number }).storages, 1);
  });

  it("scans a raw-looking weight no config lists (fail closed)", async () => {
    const files = pt2({ weights: {} });
    files.unshift({ name: "model/data/weights/weight_0", data: RAW });
    const node = await scan(buildZip(files));
    assert.notEqual(node.verdict, "clean", show(node));
  });

  it("scans weights stored with use_pickle true as what they are (a pickle here)", async () => {
    const files = pt2({ weights: { w: { path_name: "weight_0", use_pickle: true } } });
    files.unshift({ name: "model/data/weights/weight_0", data: EVIL });
    assert.equal((await scan(buildZip(files))).verdict, "malicious");
  });

  it("does not treat a zip without archive_format 'pt2' as one", async () => {
    const files = pt2({ weights: { w: { path_name: "weight_0", use_pickle: false } } });
    files[0] = { name: "model/archive_format", data: "zip" };
    files.unshift({ name: "model/data/weights/weight_0", data: cat(RAW) });
    assert.notEqual((await scan(buildZip(files))).verdict, "clean");
  });

  it("does not let a config name a member outside its folder", async () => {
    const files = pt2({ weights: { w: { path_name: "../../evil.pkl", use_pickle: false } } });
    files.unshift({ name: "evil.pkl", data: EVIL });
    assert.equal((await scan(buildZip(files))).verdict, "malicious");
  });
});
