/**
 * `npm run demo`: the main job, end to end, on the bundled fixture Hub (a real HTTP server on
 * 127.0.0.1 serving fixtures/hub/; no internet). It runs the built CLI as a user would:
 *
 *   inspect → add → lock → ci   on a small project, then shows ci failing on
 *   a tampered file, a force-pushed (moved) branch whose pinned commit is gone, and a blocked model.
 *
 * Every step checks its exit code, so the demo is also a smoke test: it exits 1 if any step
 * does not end the way it should. Everything is written under a temporary folder, removed at the end.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startFixtureHub } from "../test/helpers/fixture-hub/index.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(ROOT, "bin", "modelvet.js");
const MODEL = "google-bert/fixture-tiny-bert";

const work = mkdtempSync(join(tmpdir(), "modelvet-demo-"));
const project = join(work, "my-app");
const hub = await startFixtureHub();
const env = {
  ...process.env,
  HF_ENDPOINT: hub.url,
  HF_HUB_CACHE: join(work, "cache"),
  HF_HOME: join(work, "hf-home"),
  HF_TOKEN: "",
  CI: "true",
  NO_COLOR: "1",
};
let failures = 0;

/** Runs the CLI in a child process; asynchronously, since the fixture Hub lives in this process. */
function run(args: string[], cache?: string): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: project,
      env: cache ? { ...env, HF_HUB_CACHE: cache } : env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      out += d;
    });
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, out }));
  });
}

async function step(
  title: string,
  args: string[],
  expected: number,
  options: { cache?: string } = {},
): Promise<void> {
  process.stdout.write(`\n━━ ${title}\n$ modelvet ${args.join(" ")}\n`);
  const result = await run(args, options.cache);
  const out = result.out.trimEnd();
  process.stdout.write(
    `${out
      .split("\n")
      .map((l) => `  ${l}`)
      .join("\n")}\n`,
  );
  const ok = result.status === expected;
  if (!ok) failures++;
  process.stdout.write(
    `  → exit ${result.status}${ok ? "" : `  (UNEXPECTED: the demo expected ${expected})`}\n`,
  );
}

try {
  mkdirSync(project, { recursive: true });
  process.stdout.write(`modelvet demo: fixture Hub at ${hub.url}, project in ${project}\n`);

  await step("1. Inspect a model before a byte of weights moves", ["inspect", MODEL], 0);
  await step(
    "2. Add it: modelvet.json declares it, models.lock pins it (pulled, verified, scanned)",
    ["add", MODEL, "--quiet"],
    0,
  );
  await step("3. Lock again: nothing changed, nothing is fetched", ["lock", "--quiet"], 0);
  await step("4. CI: the lock holds against the Hub", ["ci"], 0);

  hub.tamper(MODEL, "model.safetensors");
  await step(
    "5. Someone serves other bytes under the published digest: metadata alone cannot see it, --download does",
    ["ci", "--download"],
    9,
    { cache: join(work, "fresh-cache") },
  );
  hub.untamper(MODEL, "model.safetensors");

  hub.superSquash(MODEL, "main", "Rewrite history");
  await step("6. The branch is force-pushed and the pinned commit vanishes", ["ci"], 8);
  hub.resetRepos();

  writeFileSync(
    join(project, "modelvet.json"),
    `${JSON.stringify({ models: { [MODEL]: "HEAD" }, policy: { organizations: { add: [{ name: "acme", reason: "our own organization" }] } } }, null, 2)}\n`,
  );
  await step(
    "7. Adding a model whose pickle runs os.system is refused; nothing is written",
    ["add", "acme/malicious-pickle", "--quiet"],
    1,
  );
  await step(
    "8. A model from an organization outside the allowlist is refused before download",
    ["add", "sketchy-org/free-gpt-turbo", "--quiet"],
    1,
  );
  await step(
    "9. CI still holds: the refused models never reached modelvet.json or models.lock",
    ["ci"],
    0,
  );
} finally {
  await hub.close();
  rmSync(work, { recursive: true, force: true });
}

process.stdout.write(
  failures === 0
    ? "\nDemo finished: every step ended as expected.\n"
    : `\nDemo finished with ${failures} unexpected result(s).\n`,
);
process.exitCode = failures === 0 ? 0 : 1;
