#!/usr/bin/env node
// Runs several package.json scripts at once and fails if any of them fails:
//
//   node scripts/run-parallel.mjs typecheck lint build:emit
//
// Each script runs in a shell with node_modules/.bin on PATH (as `npm run` would, without an npm
// process per script); its output is printed in one piece when it ends, so outputs do not
// interleave. On a 2-core machine the type check (one core for half a minute) and lint plus the
// emit of dist/ then share the time instead of following each other.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const { scripts = {} } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
const names = process.argv.slice(2);
if (names.length === 0) {
  console.error("run-parallel: name the package.json scripts to run");
  process.exit(2);
}
const missing = names.filter((n) => typeof scripts[n] !== "string");
if (missing.length > 0) {
  console.error(`run-parallel: no such script in package.json: ${missing.join(", ")}`);
  process.exit(2);
}

const env = {
  ...process.env,
  PATH: [join(ROOT, "node_modules", ".bin"), process.env.PATH ?? ""].join(delimiter),
};

function run(name) {
  const command = scripts[name];
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    const child = spawn(command, {
      cwd: ROOT,
      env,
      shell: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks = [];
    child.stdout.on("data", (d) => chunks.push(d));
    child.stderr.on("data", (d) => chunks.push(d));
    child.on("error", (error) => chunks.push(Buffer.from(`${error.message}\n`)));
    child.on("close", (code, signal) => {
      const secs = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
      const status = code === 0 ? "ok" : `failed (exit ${code ?? signal})`;
      process.stdout.write(
        `\n> ${name}: ${command}\n${Buffer.concat(chunks).toString("utf8")}> ${name} ${status} in ${secs} s\n`,
      );
      resolve(code === 0);
    });
  });
}

const results = await Promise.all(names.map(run));
process.exit(results.every(Boolean) ? 0 : 1);
