import assert from "node:assert/strict";
import {
  mkdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ModelvetError } from "../../src/core/errors.js";
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
      assert.deepEqual(listSnapshot(cache, COMMIT), [
        {
          path: "onnx/config.json",
          status: "blob",
          blobId: BLOB,
          blobPath: realpathSync(cache.blobPath(BLOB)),
        },
      ]);
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

  test("an entry is judged by the file it resolves to, never by its link's text", () => {
    const dir = tempDir();
    const elsewhere = tempDir("modelvet-elsewhere-");
    try {
      const cache = new RepoCache(dir.path, "acme/tiny");
      mkdirSync(cache.blobsDir, { recursive: true });
      writeFileSync(cache.blobPath(BLOB), "{}");
      const other = "1".repeat(40);
      writeFileSync(cache.blobPath(other), "[]");
      // Text that names blobs/<BLOB>, resolving to a copy outside the cache.
      mkdirSync(join(elsewhere.path, "blobs"));
      writeFileSync(join(elsewhere.path, "blobs", BLOB), "{}");
      linkSnapshot(cache, COMMIT, "a.json", BLOB);
      rmSync(cache.snapshotPath(COMMIT, "a.json"));
      symlinkSync(join(elsewhere.path, "blobs", BLOB), cache.snapshotPath(COMMIT, "a.json"));
      // Text that names one blob, through a blob that is itself a link to another.
      const hop = "2".repeat(40);
      symlinkSync(other, cache.blobPath(hop));
      linkSnapshot(cache, COMMIT, "b.json", hop);
      // A regular file (a copy, as huggingface_hub writes without symlinks: its bytes are
      // judged by the caller), and a link whose blob is gone.
      writeFileSync(cache.snapshotPath(COMMIT, "c.json"), "{}");
      linkSnapshot(cache, COMMIT, "d.json", "3".repeat(40));
      const entries = listSnapshot(cache, COMMIT);
      assert.equal(entries[0]?.status, "untrusted");
      assert.match(
        entries[0]?.status === "untrusted" ? entries[0].detail : "",
        /outside this repo's blobs/,
      );
      assert.deepEqual(entries[1], {
        path: "b.json",
        status: "blob",
        blobId: other,
        blobPath: realpathSync(cache.blobPath(other)),
      });
      assert.deepEqual(entries[2], {
        path: "c.json",
        status: "copy",
        filePath: cache.snapshotPath(COMMIT, "c.json"),
      });
      assert.deepEqual(entries[3], { path: "d.json", status: "missing", blobId: "3".repeat(40) });
    } finally {
      dir.cleanup();
      elsewhere.cleanup();
    }
  });

  test("a snapshot folder planted as a link is one untrusted entry, and nothing is linked through it", () => {
    const dir = tempDir();
    const elsewhere = tempDir("modelvet-elsewhere-");
    try {
      const cache = new RepoCache(dir.path, "acme/tiny");
      mkdirSync(join(cache.repoDir, "snapshots"), { recursive: true });
      symlinkSync(elsewhere.path, cache.snapshotDir(COMMIT));
      writeFileSync(join(elsewhere.path, "a.json"), "{}");
      const entries = listSnapshot(cache, COMMIT);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.status, "untrusted");
      assert.throws(
        () => linkSnapshot(cache, COMMIT, "b.json", BLOB),
        (e: unknown) =>
          e instanceof ModelvetError && e.code === "CACHE" && /symbolic link/.test(e.message),
      );
      assert.throws(() => unlinkSnapshot(cache, COMMIT, "a.json"), /symbolic link/);
      assert.deepEqual(readFileSync(join(elsewhere.path, "a.json"), "utf8"), "{}");
    } finally {
      dir.cleanup();
      elsewhere.cleanup();
    }
  });

  test("a file where a folder goes (a tree with a file and a folder of one name) is a typed error", () => {
    const dir = tempDir();
    try {
      const cache = new RepoCache(dir.path, "acme/tiny");
      linkSnapshot(cache, COMMIT, "weights", BLOB);
      assert.throws(
        () => linkSnapshot(cache, COMMIT, "weights/a.json", BLOB),
        (e: unknown) =>
          e instanceof ModelvetError && e.code === "CACHE" && /not a folder/.test(e.message),
      );
      linkSnapshot(cache, COMMIT, "dir/a.json", BLOB);
      assert.throws(
        () => linkSnapshot(cache, COMMIT, "dir", BLOB),
        (e: unknown) =>
          e instanceof ModelvetError && e.code === "CACHE" && /is a folder/.test(e.message),
      );
    } finally {
      dir.cleanup();
    }
  });
});
