/**
 * Two real `modelvet` processes editing one project at once (issue #14 item 5). The first run is
 * held inside its lock by a slow fixture Hub while the second starts, so the race is certain: the
 * second must read modelvet.json and models.lock only after the first has written them.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseLockfile } from "../../src/core/lockfile.js";
import { withHubProject } from "../helpers/hub-project.js";

const TINY = "google-bert/fixture-tiny-bert";
const ACME_MODEL = "acme/tiny-safetensors";
const ACME = { organizations: { add: [{ name: "acme", reason: "fixture organization" }] } };

describe("concurrent add and lock keep every model", () => {
  const p = withHubProject({ resetRepos: false });
  // The runs outside a race go in-process; in a race the held-back run does too, the one that
  // comes meanwhile is another process (the mutex is between processes, so this is the race).
  const { cli, spawnCli } = p;
  const writeProject = (project: unknown) =>
    writeFileSync(join(p.dir, "modelvet.json"), `${JSON.stringify(project, null, 2)}\n`);
  const readProject = () =>
    JSON.parse(readFileSync(join(p.dir, "modelvet.json"), "utf8")) as {
      models: Record<string, unknown>;
    };
  const readLock = () => parseLockfile(readFileSync(join(p.dir, "models.lock"), "utf8"));

  /** Starts `first` with its first Hub request for `repo` held back, then `second` meanwhile. */
  async function race(repo: string, first: string[], second: string[]) {
    p.hub.knobs.delay.push({ route: `/${repo}`, ms: 4_000, times: 1 });
    const seen = p.hub.requests.length;
    const a = cli(...first);
    // Once the Hub sees the first run's request, that run holds the project mutex.
    for (let i = 0; !p.hub.requests.slice(seen).some((r) => r.path.includes(repo)); i++) {
      assert.ok(i < 600, "the first run never reached the Hub");
      await new Promise((r) => setTimeout(r, 50));
    }
    const b = spawnCli(...second);
    return Promise.all([a, b]);
  }

  const noLeftovers = () =>
    assert.deepEqual(
      readdirSync(p.dir).filter(
        (n) => n !== "modelvet.json" && n !== "models.lock" && n !== "cache" && n !== "hf-home",
      ),
      [],
      "no mutex or temporary file is left behind",
    );

  test("two `add` runs at once: both models end up in modelvet.json and models.lock", async () => {
    writeProject({ models: {}, policy: ACME });
    const [a, b] = await race(TINY, ["add", TINY, "--quiet"], ["add", ACME_MODEL, "--quiet"]);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.deepEqual(Object.keys(readProject().models).sort(), [ACME_MODEL, TINY]);
    assert.deepEqual(Object.keys(readLock().models).sort(), [ACME_MODEL, TINY]);
    noLeftovers();
    const ci = await cli("ci");
    assert.equal(ci.code, 0, ci.stdout + ci.stderr);
  });

  test("`add` and `lock` at once: the lock keeps the added model", async () => {
    writeProject({ models: { [TINY]: "HEAD" }, policy: ACME });
    assert.equal((await cli("lock", "--quiet")).code, 0);
    const [a, b] = await race(ACME_MODEL, ["add", ACME_MODEL, "--quiet"], ["lock", "--quiet"]);
    assert.equal(a.code, 0, a.stdout + a.stderr);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.deepEqual(Object.keys(readProject().models).sort(), [ACME_MODEL, TINY]);
    assert.deepEqual(Object.keys(readLock().models).sort(), [ACME_MODEL, TINY]);
    noLeftovers();
    const ci = await cli("ci");
    assert.equal(ci.code, 0, ci.stdout + ci.stderr);
  });

  test("a mutex left by a crashed run (its pid gone) does not stop `lock`", async () => {
    writeProject({ models: { [TINY]: "HEAD" }, policy: ACME });
    const crashed = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((r) => crashed.once("exit", r));
    // The record a modelvet in this container would have written (Linux adds namespace and boot).
    const optional = (read: () => string) => {
      try {
        return read().trim();
      } catch {
        return undefined;
      }
    };
    const record = {
      pid: crashed.pid,
      token: "0".repeat(32),
      start: "1",
      host: hostname(),
      pidns: optional(() => readlinkSync("/proc/self/ns/pid")),
      boot: optional(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
    };
    writeFileSync(join(p.dir, "models.lock.lock"), `${JSON.stringify(record)}\n`);
    const r = await cli("lock", "--quiet");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(Object.keys(readLock().models), [TINY]);
    noLeftovers();
  });

  test("`lock` without modelvet.json is a usage error and leaves no mutex file", async () => {
    const r = await cli("lock", "--quiet");
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /modelvet add org\/name/);
    assert.ok(!existsSync(join(p.dir, "models.lock.lock")));
    assert.ok(!existsSync(join(p.dir, "models.lock")));
  });
});
