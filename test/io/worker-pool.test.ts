/** The worker_threads pool (io/worker-pool.ts): a worker that cannot start fails every task. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { WorkerCrash, WorkerPool, workerFileUrl } from "../../src/io/worker-pool.js";

test("workerFileUrl keeps the caller's extension", () => {
  assert.equal(workerFileUrl("file:///a/b/pool.ts", "w").href, "file:///a/b/w.ts");
  assert.equal(workerFileUrl("file:///a/b/pool.js", "w").href, "file:///a/b/w.js");
});

test("a worker file that cannot load rejects every task with WorkerCrash, then close() ends", async () => {
  const pool = new WorkerPool<number, number>({
    url: new URL("./no-such-worker.js", import.meta.url),
    size: 2,
  });
  try {
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => pool.run(n)));
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.ok((r as PromiseRejectedResult).reason instanceof WorkerCrash);
    }
    await assert.rejects(pool.run(6), WorkerCrash);
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.run(7), WorkerCrash);
});
