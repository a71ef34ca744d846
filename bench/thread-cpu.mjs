/**
 * Preload for bench children (`node --import ./bench/thread-cpu.mjs …`, Linux only): samples
 * every thread's CPU time from /proc/self/task every 50 ms, and at exit writes one line to stderr:
 *   thread-cpu {"main":ms,"others":[ms,…]}
 * "main" is the JavaScript main thread; the others are V8's platform threads (compiler, GC),
 * libuv's pool and any worker_threads (a worker that ended keeps its last sample). Plain
 * JavaScript so that it loads without tsx in a child started from dist/.
 */
import { readdirSync, readFileSync } from "node:fs";

const ticksMs = 10; // USER_HZ is 100 on Linux
const seen = new Map();

function sample() {
  let tasks = [];
  try {
    tasks = readdirSync("/proc/self/task");
  } catch {
    return;
  }
  for (const tid of tasks) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      seen.set(tid, (Number(fields[11]) + Number(fields[12])) * ticksMs);
    } catch {
      // the thread ended between the listing and the read
    }
  }
}

setInterval(sample, 50).unref();
process.on("exit", () => {
  sample();
  const main = seen.get(String(process.pid)) ?? 0;
  const others = [...seen]
    .filter(([tid, ms]) => tid !== String(process.pid) && ms > 0)
    .map(([, ms]) => ms);
  process.stderr.write(`thread-cpu ${JSON.stringify({ main, others })}\n`);
});
