/**
 * The project mutex (models.lock.lock): who may take over a lock file, and who must wait.
 * Real files and real processes; the owner records are written as a crashed run would leave them.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { processStartTime, STALE_AFTER_MS, withFileMutex } from "../../src/io/mutex.js";
import { tempDir } from "../helpers/run-cli.js";

const linux = processStartTime(process.pid) !== undefined;

/** A live child process (killed by the returned stop), for a pid that is certainly alive. */
function liveChild(): { pid: number; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  return {
    pid: child.pid!,
    stop: () =>
      new Promise((resolve) => {
        child.once("exit", () => resolve());
        child.kill();
      }),
  };
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

/** The owner record a modelvet in this PID namespace would have written. */
function ownRecord(pid: number, extra: Record<string, unknown> = {}): string {
  const here = JSON.parse(readFileSync(join(probeDir.path, "probe.lock.copy"), "utf8")) as Record<
    string,
    unknown
  >;
  return `${JSON.stringify({ ...here, pid, token: "f".repeat(32), ...extra })}\n`;
}

// One real record of ours, copied while we held the mutex, to learn host/pidns/boot fields.
const probeDir = tempDir();
await withFileMutex(join(probeDir.path, "probe.lock"), async () => {
  writeFileSync(
    join(probeDir.path, "probe.lock.copy"),
    readFileSync(join(probeDir.path, "probe.lock")),
  );
});

async function takes(lockPath: string): Promise<boolean> {
  let ran = false;
  await withFileMutex(
    lockPath,
    async () => {
      ran = true;
      const record = JSON.parse(readFileSync(lockPath, "utf8")) as { pid: number };
      assert.equal(record.pid, process.pid, "the lock file now names us");
    },
    { timeoutMs: 400 },
  );
  return ran;
}

describe("withFileMutex", () => {
  test("a stale lock holding our own pid (PID 1 in a restarted container) is taken over", async () => {
    const dir = tempDir();
    try {
      const lock = join(dir.path, "models.lock.lock");
      writeFileSync(lock, ownRecord(process.pid));
      assert.equal(await takes(lock), true);
      writeFileSync(lock, String(process.pid)); // an older modelvet's plain pid
      assert.equal(await takes(lock), true);
      assert.deepEqual(readdirSync(dir.path), [], "released, nothing left behind");
    } finally {
      dir.cleanup();
    }
  });

  test("a lock whose owner is gone is taken over", async () => {
    const dir = tempDir();
    try {
      const lock = join(dir.path, "models.lock.lock");
      const pid = await deadPid();
      writeFileSync(lock, ownRecord(pid));
      assert.equal(await takes(lock), true);
      writeFileSync(lock, String(pid));
      assert.equal(await takes(lock), true);
    } finally {
      dir.cleanup();
    }
  });

  test("a live owner is waited for; the timeout names it and leaves its lock alone", async () => {
    const dir = tempDir();
    const child = liveChild();
    try {
      const lock = join(dir.path, "models.lock.lock");
      const record = ownRecord(child.pid, { start: processStartTime(child.pid) });
      writeFileSync(lock, record);
      await assert.rejects(takes(lock), new RegExp(`pid ${child.pid}.*holds`));
      assert.equal(readFileSync(lock, "utf8"), record);
    } finally {
      await child.stop();
      dir.cleanup();
    }
  });

  test("a live pid that started after the owner did (pid reused) does not hold the lock", {
    skip: linux ? false : "needs /proc for process start times",
  }, async () => {
    const dir = tempDir();
    const child = liveChild();
    try {
      const lock = join(dir.path, "models.lock.lock");
      writeFileSync(lock, ownRecord(child.pid, { start: "1" }));
      assert.equal(await takes(lock), true);
    } finally {
      await child.stop();
      dir.cleanup();
    }
  });

  test("a lock from another host or container is held while fresh and stale once its heartbeat stops", async () => {
    const dir = tempDir();
    try {
      const lock = join(dir.path, "models.lock.lock");
      writeFileSync(lock, ownRecord(1, { host: "other-host", pidns: "pid:[1]" }));
      await assert.rejects(takes(lock), /pid 1 on other-host/);
      const old = new Date(Date.now() - STALE_AFTER_MS - 5_000);
      utimesSync(lock, old, old);
      assert.equal(await takes(lock), true);
    } finally {
      dir.cleanup();
    }
  });

  test("an unreadable lock file is waited for until it is old", async () => {
    const dir = tempDir();
    try {
      const lock = join(dir.path, "models.lock.lock");
      writeFileSync(lock, "");
      await assert.rejects(takes(lock), /unreadable owner record/);
      const old = new Date(Date.now() - STALE_AFTER_MS - 5_000);
      utimesSync(lock, old, old);
      assert.equal(await takes(lock), true);
    } finally {
      dir.cleanup();
    }
  });

  test("two holders in one process take turns", async () => {
    const dir = tempDir();
    try {
      const lock = join(dir.path, "models.lock.lock");
      const order: string[] = [];
      const hold = (name: string) =>
        withFileMutex(lock, async () => {
          order.push(`${name} in`);
          await new Promise((r) => setTimeout(r, 300));
          order.push(`${name} out`);
        });
      await Promise.all([hold("a"), hold("b")]);
      assert.deepEqual(order, ["a in", "a out", "b in", "b out"]);
      assert.ok(!existsSync(lock));
    } finally {
      dir.cleanup();
    }
  });

  test("a lock taken over from us is not removed when we finish", async () => {
    const dir = tempDir();
    try {
      const lock = join(dir.path, "models.lock.lock");
      const theirs = ownRecord(4_000_000, { token: "e".repeat(32) });
      await withFileMutex(lock, async () => {
        writeFileSync(lock, theirs);
      });
      assert.equal(readFileSync(lock, "utf8"), theirs);
    } finally {
      dir.cleanup();
    }
  });
});

process.on("exit", () => probeDir.cleanup());
