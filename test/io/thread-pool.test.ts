/**
 * The worker_threads pool (io/thread-pool.ts): a worker that cannot start fails every task; tasks
 * sent ahead run one at a time and survive the death of the worker they were sent to.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ThreadPool, WorkerCrash, workerFileUrl } from "../../src/io/thread-pool.js";
import type { EchoReply, EchoTask } from "./thread-pool-test-worker.js";

test("workerFileUrl keeps the caller's extension", () => {
  assert.equal(workerFileUrl("file:///a/b/pool.ts", "w").href, "file:///a/b/w.ts");
  assert.equal(workerFileUrl("file:///a/b/pool.js", "w").href, "file:///a/b/w.js");
});

test("a worker file that cannot load rejects every task with WorkerCrash, then close() ends", async () => {
  const pool = new ThreadPool<number, number>({
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

// A worker written for these tests (test/io/thread-pool-test-worker.ts).
const echoUrl = workerFileUrl(import.meta.url, "thread-pool-test-worker");

test("start() starts every worker; tasks sent ahead run one at a time, in order", async () => {
  const pool = new ThreadPool<EchoTask, EchoReply>({ url: echoUrl, size: 2, prefetch: 4 });
  try {
    const started = pool.start();
    assert.equal(started.length, 2);
    assert.deepEqual(await Promise.all(started), [true, true]);
    assert.equal(pool.readyWorkers, 2);
    assert.deepEqual(pool.start(), [], "no worker beyond size");
    const replies = await Promise.all(Array.from({ length: 20 }, (_, n) => pool.run({ n })));
    assert.deepEqual(
      replies.map((r) => r.n),
      Array.from({ length: 20 }, (_, n) => n),
    );
    assert.ok(
      replies.every((r) => !r.overlap),
      "a worker never runs two tasks at once",
    );
    // Each worker ran its share in the order the tasks were sent, and both had a share.
    const byThread = new Map<number, EchoReply[]>();
    for (const r of replies) byThread.set(r.thread, [...(byThread.get(r.thread) ?? []), r]);
    assert.equal(byThread.size, 2);
    for (const share of byThread.values())
      assert.deepEqual(
        share.map((r) => r.order),
        share.map((_, i) => i),
      );
  } finally {
    await pool.close();
  }
});

test("a worker that dies loses only the task it was running; tasks sent ahead run elsewhere", async () => {
  const pool = new ThreadPool<EchoTask, EchoReply>({ url: echoUrl, size: 1, prefetch: 4 });
  try {
    await Promise.all(pool.start());
    const tasks: EchoTask[] = [{ n: 0 }, { n: 1, exit: true }, { n: 2 }, { n: 3 }, { n: 4 }];
    const results = await Promise.allSettled(tasks.map((t) => pool.run(t)));
    assert.equal(results[0]!.status, "fulfilled");
    const lost = results[1]!;
    assert.equal(lost.status, "rejected");
    assert.ok(lost.reason instanceof WorkerCrash);
    assert.match(lost.reason.message, /exited \(code 71\)/);
    assert.equal(lost.reason.started, true, "the worker had begun it");
    for (const i of [2, 3, 4]) {
      const r = results[i]!;
      assert.equal(r.status, "fulfilled", `task ${i} was sent ahead to the dead worker`);
      assert.equal(r.value.n, i);
    }
    // The replacement worker ran the re-queued tasks from its first.
    assert.deepEqual(
      results.slice(2).map((r) => (r as PromiseFulfilledResult<EchoReply>).value.order),
      [0, 1, 2],
    );
    assert.equal((await pool.run({ n: 5 })).n, 5, "the pool keeps working");
  } finally {
    await pool.close();
  }
});

test("an error reply rejects that task only; start() of a missing worker file settles false", async () => {
  const pool = new ThreadPool<EchoTask, EchoReply>({ url: echoUrl, size: 1, prefetch: 2 });
  try {
    const [bad, good] = await Promise.allSettled([
      pool.run({ n: 0, fail: true }),
      pool.run({ n: 1 }),
    ]);
    assert.equal(bad.status, "rejected");
    assert.match((bad as PromiseRejectedResult).reason.message, /task 0 failed/);
    assert.ok(!((bad as PromiseRejectedResult).reason instanceof WorkerCrash));
    assert.equal(good.status, "fulfilled");
  } finally {
    await pool.close();
  }
  const missing = new ThreadPool<number, number>({
    url: new URL("./no-such-worker.js", import.meta.url),
    size: 2,
  });
  try {
    assert.deepEqual(await Promise.all(missing.start()), [false, false]);
    assert.equal(missing.readyWorkers, 0);
    await assert.rejects(missing.run(1), (e) => e instanceof WorkerCrash && !e.started);
  } finally {
    await missing.close();
  }
});
