/**
 * mapBounded: bounded concurrency in input order, and on a failure nothing is left running once
 * the call has returned (a pull that fails must not leave downloads writing partial files).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { mapBounded } from "../../src/app/map-bounded.js";

test("keeps the input order and never runs more than the limit at once", async () => {
  let running = 0;
  let most = 0;
  const out = await mapBounded([30, 5, 20, 1, 10], 2, async (ms, i) => {
    running++;
    most = Math.max(most, running);
    await sleep(ms);
    running--;
    return i * 10;
  });
  assert.deepEqual(out, [0, 10, 20, 30, 40]);
  assert.equal(most, 2);
});

test("on a failure, the items in flight finish before the first error is thrown, and no new item starts", async () => {
  const started: number[] = [];
  const finished: number[] = [];
  await assert.rejects(
    mapBounded([0, 1, 2, 3], 2, async (item) => {
      started.push(item);
      if (item === 0) throw new Error("first failure");
      await sleep(50);
      finished.push(item);
      return item;
    }),
    /first failure/,
  );
  assert.deepEqual(
    finished,
    [1],
    "the download in flight ended (and cleaned up) before the call returned",
  );
  assert.deepEqual(started, [0, 1], "nothing new started after the failure");
});

test("with several failures, the first one is thrown", async () => {
  await assert.rejects(
    mapBounded([0, 1], 2, async (item) => {
      await sleep(item === 0 ? 1 : 20);
      throw new Error(`failure ${item}`);
    }),
    /failure 0/,
  );
});
