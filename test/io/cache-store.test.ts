import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from "node:fs";
import { describe, test } from "node:test";
import { RepoCache } from "../../src/io/cache-layout.js";
import {
  linkSnapshot,
  listSnapshot,
  readRef,
  unlinkSnapshot,
  writeRef,
} from "../../src/io/cache-store.js";
import { tempDir } from "../helpers/run-cli.js";

const COMMIT = "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233a";
const BLOB = "7a8cb012a4547a01c226da710dd6846eb2584dc7";

describe("snapshots and refs", () => {
  test("a snapshot file is a relative link that resolves to its blob", () => {
    const dir = tempDir();
    try {
      const cache = new RepoCache(dir.path, "acme/tiny");
      mkdirSync(cache.blobsDir, { recursive: true });
      writeFileSync(cache.blobPath(BLOB), "{}");
      const link = linkSnapshot(cache, COMMIT, "onnx/config.json", BLOB);
      assert.equal(readlinkSync(link), `../../../blobs/${BLOB}`);
      assert.equal(realpathSync(link), realpathSync(cache.blobPath(BLOB)));
      assert.equal(readFileSync(link, "utf8"), "{}");
      // idempotent
      linkSnapshot(cache, COMMIT, "onnx/config.json", BLOB);
      assert.deepEqual(listSnapshot(cache, COMMIT), [{ path: "onnx/config.json", blobId: BLOB }]);
      unlinkSnapshot(cache, COMMIT, "onnx/config.json");
      assert.deepEqual(listSnapshot(cache, COMMIT), []);
    } finally {
      dir.cleanup();
    }
  });

  test("refs hold the bare commit with no newline", () => {
    const dir = tempDir();
    try {
      const cache = new RepoCache(dir.path, "acme/tiny");
      writeRef(cache, "main", COMMIT);
      assert.equal(readFileSync(cache.refPath("main"), "utf8"), COMMIT);
      writeRef(cache, "refs/pr/1", COMMIT);
      assert.equal(readRef(cache, "refs/pr/1"), COMMIT);
      assert.equal(readRef(cache, "missing"), undefined);
    } finally {
      dir.cleanup();
    }
  });
});
