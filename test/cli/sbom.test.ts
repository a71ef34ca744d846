/**
 * `modelvet sbom`: a real models.lock (written by `modelvet add` against the fixture Hub) becomes a
 * CycloneDX 1.6 ML-BOM that the CycloneDX library's own strict JSON-schema validator accepts, with
 * one machine-learning-model component per model, its files and their SHA-256, the recorded
 * verdicts, and the same bytes every time.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as CDX from "@cyclonedx/cyclonedx-library";
import { computeManifestDigest, parseLockfile } from "../../src/core/lockfile.js";
import { buildSbom, modelPurl } from "../../src/core/sbom.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { hubEnv, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const TINY = "google-bert/fixture-tiny-bert";

interface CdxComponent {
  type: string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  "bom-ref"?: string;
  hashes?: { alg: string; content: string }[];
  properties?: { name: string; value: string }[];
  components?: CdxComponent[];
}

async function validate(json: string): Promise<void> {
  const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
  const errors = await validator.validate(json);
  assert.equal(errors, null, JSON.stringify(errors, null, 2));
}

test("the purl of a model is pkg:huggingface/<org>/<name>@<commit, lowercased>", () => {
  assert.equal(
    modelPurl("google-bert/bert-base-uncased", "ABCDEF0123456789ABCDEF0123456789ABCDEF01"),
    "pkg:huggingface/google-bert/bert-base-uncased@abcdef0123456789abcdef0123456789abcdef01",
  );
});

test("the validator used below rejects a document that breaks the schema (the check can fail)", async () => {
  const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
  const bad = JSON.stringify({
    bomFormat: "CycloneDX",
    specVersion: "1.6",
    components: [{ type: "machine-learning-model" }],
  });
  assert.notEqual(await validator.validate(bad), null);
});

test("a signer pinned in the lock is named on its model component, and the document stays valid", async () => {
  const sha = (c: string) => c.repeat(64);
  const raw = {
    lockfileVersion: "1.1.0",
    models: {
      "acme/signed": {
        ref: "HEAD",
        revision: "a".repeat(40),
        include: [],
        exclude: [],
        manifestDigest: `sha256:${sha("b")}`,
        files: {
          "model.safetensors": {
            size: 4,
            gitOid: "c".repeat(40),
            lfs: true,
            sha256: sha("d"),
            scan: {
              format: "safetensors",
              verdict: "clean",
              scanner: "0.1.0",
              policy: `sha256:${sha("e")}`,
            },
          },
        },
        signature: {
          method: "sigstore",
          identity: "release@acme.example",
          issuer: "https://accounts.google.com",
          bundleSha256: sha("f"),
        },
      },
    },
  };
  const model0 = raw.models["acme/signed"];
  model0.manifestDigest = computeManifestDigest(model0.files);
  const lock = parseLockfile(JSON.stringify(raw));
  const json = buildSbom(lock, { toolVersion: "0.1.0" });
  await validate(json);
  const model = (JSON.parse(json) as { components: CdxComponent[] }).components[0]!;
  const props = Object.fromEntries((model.properties ?? []).map((p) => [p.name, p.value]));
  assert.equal(props["modelvet:signature:method"], "sigstore");
  assert.equal(props["modelvet:signature:identity"], "release@acme.example");
  assert.equal(props["modelvet:signature:issuer"], "https://accounts.google.com");
  assert.equal(props["modelvet:signature:bundleSha256"], sha("f"));
});

describe("modelvet sbom on a lock made by modelvet add", () => {
  let hub: FixtureHub;
  let dir: { path: string; cleanup: () => void };
  let env: NodeJS.ProcessEnv;
  before(async () => {
    hub = await startFixtureHub();
    dir = tempDir();
    env = hubEnv(hub.url, dir.path);
    const add = await runCliInProcess(["add", TINY, "--quiet"], { cwd: dir.path, env });
    assert.equal(add.code, 0, add.stdout + add.stderr);
  });
  after(async () => {
    await hub.close();
    dir.cleanup();
  });

  test("writes a valid CycloneDX 1.6 ML-BOM naming every locked file and verdict", async () => {
    const run = await runCliInProcess(["sbom"], {
      cwd: dir.path,
      env: { ...env, HF_ENDPOINT: "http://127.0.0.1:9" },
    });
    assert.equal(run.code, 0, run.stderr);
    await validate(run.stdout);
    const lock = parseLockfile(readFileSync(join(dir.path, "models.lock"), "utf8"));
    const entry = lock.models[TINY]!;
    const doc = JSON.parse(run.stdout) as {
      specVersion: string;
      serialNumber: string;
      components: CdxComponent[];
      metadata: { tools: { components: CdxComponent[] } };
    };
    assert.equal(doc.specVersion, "1.6");
    assert.match(
      doc.serialNumber,
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.equal(doc.metadata.tools.components[0]?.name, "modelvet");
    assert.equal(doc.components.length, 1);
    const model = doc.components[0]!;
    assert.equal(model.type, "machine-learning-model");
    assert.equal(model.group, "google-bert");
    assert.equal(model.name, "fixture-tiny-bert");
    assert.equal(model.version, entry.revision);
    assert.equal(model.purl, `pkg:huggingface/google-bert/fixture-tiny-bert@${entry.revision}`);
    const files = model.components ?? [];
    assert.deepEqual(
      files.map((f) => f.name),
      Object.keys(entry.files).sort(),
    );
    for (const file of files) {
      const locked = entry.files[file.name]!;
      assert.equal(file.type, "file");
      assert.deepEqual(file.hashes, [{ alg: "SHA-256", content: locked.sha256 }]);
      const props = Object.fromEntries((file.properties ?? []).map((p) => [p.name, p.value]));
      assert.equal(props["modelvet:scan:verdict"], locked.scan.verdict);
      assert.equal(props["modelvet:scan:policy"], locked.scan.policy);
      assert.equal(props["modelvet:scan:scanner"], locked.scan.scanner);
    }
    const again = await runCliInProcess(["sbom"], { cwd: dir.path, env });
    assert.equal(again.stdout, run.stdout, "the same lock gives the same bytes");
  });

  test("--output writes the file; a changed digest changes the document and its serial", async () => {
    const out = join(dir.path, "models.cdx.json");
    const run = await runCliInProcess(["sbom", "--output", out], { cwd: dir.path, env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "");
    const first = readFileSync(out, "utf8");
    await validate(first);
    const lock = parseLockfile(readFileSync(join(dir.path, "models.lock"), "utf8"));
    const path = Object.keys(lock.models[TINY]!.files)[0]!;
    lock.models[TINY]!.files[path]!.sha256 = "0".repeat(64);
    const second = buildSbom(lock, { toolVersion: "0.1.0" });
    assert.notEqual(second, first);
    assert.notEqual(JSON.parse(second).serialNumber, JSON.parse(first).serialNumber);
  });

  test("no models.lock or an invalid one is a usage error (exit 2) naming the file", async () => {
    const empty = tempDir();
    try {
      const none = await runCliInProcess(["sbom"], { cwd: empty.path, env });
      assert.equal(none.code, 2);
      assert.match(none.stderr, /no models\.lock at .*models\.lock: run `modelvet lock` first/);
      writeFileSync(join(empty.path, "models.lock"), "{ not json");
      const bad = await runCliInProcess(["sbom"], { cwd: empty.path, env });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /models\.lock/);
      const format = await runCliInProcess(["sbom", "--format", "spdx"], { cwd: empty.path, env });
      assert.equal(format.code, 2);
    } finally {
      empty.cleanup();
    }
  });
});
