/**
 * Worker for test/io/thread-pool.test.ts. A task `{ n }` answers `{ n, order, thread, overlap }`: the
 * order in which this worker ran it and whether another task was running at the same time. A task
 * with `exit` ends the thread while running it; `fail` makes it an error reply.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { threadId } from "node:worker_threads";
import { serveTasks } from "../../src/io/thread-pool.js";

export interface EchoTask {
  n: number;
  exit?: boolean;
  fail?: boolean;
}
export interface EchoReply {
  n: number;
  order: number;
  thread: number;
  overlap: boolean;
}

let ran = 0;
let running = 0;

serveTasks<EchoTask, EchoReply>(async (task) => {
  running++;
  const overlap = running > 1;
  try {
    // Give any task sent ahead a chance to start if the worker ran tasks at the same time.
    await sleep(2);
    if (task.exit) process.exit(71);
    if (task.fail) throw new Error(`task ${task.n} failed`);
    return { n: task.n, order: ran++, thread: threadId, overlap };
  } finally {
    running--;
  }
});
