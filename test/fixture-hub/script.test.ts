/** scripts/fixture-hub.ts: prints HF_ENDPOINT first, serves, and exits 0 on SIGTERM / SIGINT. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PROJECT_ROOT } from "../helpers/fixture-hub/index.js";

function startScript(args: string[] = []) {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(PROJECT_ROOT, "scripts", "fixture-hub.ts"), ...args],
    {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
  });
  const ready = new Promise<string>((resolve, reject) => {
    const check = (): void => {
      const m = /^HF_ENDPOINT=(http:\/\/127\.0\.0\.1:\d+)\n/.exec(stdout);
      if (m && stdout.includes("Serving")) resolve(m[1]!);
    };
    child.stdout.on("data", check);
    child.once("exit", (code) => reject(new Error(`exited early (${code}): ${stderr}`)));
  });
  return { child, ready, output: () => ({ stdout, stderr }) };
}

describe("scripts/fixture-hub.ts", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`prints the endpoint, repos and tokens, serves, and stops on ${signal}`, async () => {
      const run = startScript();
      const url = await run.ready;
      const { stdout } = run.output();
      assert.match(stdout, /acme\/tiny-safetensors\s+main=[0-9a-f]{40}/);
      assert.match(stdout, /sketchy-org\/free-gpt-turbo/);
      assert.match(stdout, /hf_fixture_alice_\w+\s+user=alice/);
      const res = await fetch(`${url}/api/models/acme/tiny-safetensors?expand=sha`);
      assert.equal(res.status, 200);
      const exited = once(run.child, "exit");
      run.child.kill(signal);
      const [code] = await exited;
      assert.equal(code, 0);
    });
  }

  it("rejects a bad --port with exit 1", async () => {
    const run = startScript(["--port", "http"]);
    await assert.rejects(run.ready, /exited early \(1\).*--port/s);
  });
});
