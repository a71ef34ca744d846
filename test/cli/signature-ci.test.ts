/**
 * The built CLI with policy.signatures, against the fixture Hub (repo signed in the test with a
 * test key): `lock` records the signer, `ci` holds (exit 0), and once the policy trusts another
 * key `ci` fails with its own exit code 10 and says why.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { HubClient } from "../../src/io/hub.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { hubEnv, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";
import { makeTestKey, signFiles } from "../helpers/signature-sign.js";

const TINY = "google-bert/fixture-tiny-bert";

describe("modelvet lock and ci with policy.signatures (built CLI)", () => {
  let hub: FixtureHub;
  const dir = tempDir();
  before(async () => {
    hub = await startFixtureHub();
  });
  after(async () => {
    await hub.close();
    dir.cleanup();
  });

  test("lock records the signer; ci exits 0, then 10 when the policy names another key", async () => {
    const key = makeTestKey();
    const other = makeTestKey();
    const client = new HubClient({ hubUrl: hub.url, token: undefined });
    const listing = await client.listRepoFiles(TINY, hub.resolve(TINY, "main"));
    const files: Record<string, Uint8Array> = {};
    for (const f of listing)
      if (f.path !== ".gitattributes") files[f.path] = hub.file(TINY, "main", f.path).bytes;
    hub.pushCommit(TINY, {
      branch: "main",
      message: "sign",
      files: { "model.sig": signFiles(key, files) },
    });

    writeFileSync(join(dir.path, "signer.pub"), key.publicPem);
    writeFileSync(join(dir.path, "other.pub"), other.publicPem);
    const project = (pub: string) =>
      writeFileSync(
        join(dir.path, "modelvet.json"),
        JSON.stringify({
          models: { [TINY]: "main" },
          policy: { signatures: [{ models: "google-bert", publicKey: pub }] },
        }),
      );
    const env = hubEnv(hub.url, dir.path);
    const cli = (...args: string[]) => runCliInProcess(args, { cwd: dir.path, env });

    project("signer.pub");
    const locked = await cli("lock", "--quiet");
    assert.equal(locked.code, 0, locked.stderr + locked.stdout);
    const lock = JSON.parse(readFileSync(join(dir.path, "models.lock"), "utf8"));
    assert.equal(lock.lockfileVersion, "1.1.0");
    assert.equal(lock.models[TINY].signature.method, "key");

    const ok = await cli("ci");
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);

    project("other.pub");
    const bad = await cli("ci");
    assert.equal(bad.code, 10, bad.stderr + bad.stdout);
    assert.match(bad.stdout, /signature \(exit 10\)/);
    assert.match(bad.stdout, /SIGNATURE_INVALID/);
  });
});
