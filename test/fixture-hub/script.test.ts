/** scripts/fixture-hub.ts: prints HF_ENDPOINT first, serves, and exits 0 on SIGTERM / SIGINT. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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

  it("--add serves a folder as a repo, --repos another fixture set, --xet advertises Xet", async () => {
    const folder = mkdtempSync(join(tmpdir(), "fixture-hub-add-"));
    try {
      mkdirSync(join(folder, "sub"));
      writeFileSync(join(folder, "config.json"), '{"model_type":"gpt2"}\n');
      writeFileSync(join(folder, "sub", "model.safetensors"), Buffer.alloc(2048, 1));
      const run = startScript([
        "--repos",
        join(PROJECT_ROOT, "fixtures", "hub", "repos"),
        "--add",
        `conformance/tiny=${folder}`,
        "--xet",
      ]);
      const url = await run.ready;
      assert.match(run.output().stdout, /conformance\/tiny\s+main=[0-9a-f]{40}/);
      const info = (await (await fetch(`${url}/api/models/conformance/tiny`)).json()) as {
        siblings: Array<{ rfilename: string }>;
      };
      assert.deepEqual(
        info.siblings.map((s) => s.rfilename),
        ["config.json", "sub/model.safetensors"],
      );
      const res = await fetch(`${url}/conformance/tiny/resolve/main/sub/model.safetensors`, {
        method: "HEAD",
        redirect: "manual",
      });
      assert.equal(res.status, 302);
      assert.match(res.headers.get("x-xet-hash") ?? "", /^[0-9a-f]{64}$/);
      const exited = once(run.child, "exit");
      run.child.kill("SIGTERM");
      assert.equal((await exited)[0], 0);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("rejects an --add without a folder with exit 1", async () => {
    const run = startScript(["--add", "conformance/tiny"]);
    await assert.rejects(run.ready, /exited early \(1\).*ORG\/NAME=FOLDER/s);
  });

  it("rejects a bad --port with exit 1", async () => {
    const run = startScript(["--port", "http"]);
    await assert.rejects(run.ready, /exited early \(1\).*--port/s);
  });
});
