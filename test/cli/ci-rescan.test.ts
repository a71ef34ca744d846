/**
 * `ci` and the verdicts in models.lock (issue #14 item 7). A hand-forged entry for a malicious
 * model (real sizes and digests, verdict "clean", current scanner and policy, manifest digest
 * recomputed) passes the metadata check: that run must say, in text, JSON and SARIF, that it did
 * not re-derive those verdicts; `ci --rescan` must re-derive them and block.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { RESCAN_ALWAYS_BELOW, verdictKeptOnTrust } from "../../src/app/ci.js";
import {
  computeManifestDigest,
  type LockedFile,
  type Lockfile,
  serializeLockfile,
} from "../../src/core/lockfile.js";
import { parseProjectFile } from "../../src/core/project.js";
import { RepoCache } from "../../src/io/cache-layout.js";
import { computePolicyDigest } from "../../src/io/policy-digest.js";
import { VERSION } from "../../src/version.js";
import { withHubProject } from "../helpers/hub-project.js";

const TINY = "google-bert/fixture-tiny-bert";
const EVIL = "acme/malicious-pickle";
const EVIL_FILES: Record<string, string> = {
  ".gitattributes": "text",
  "config.json": "json",
  "pytorch_model.bin": "zip",
  "training_args.bin": "pickle",
};
const ACME = { organizations: { add: [{ name: "acme", reason: "fixture organization" }] } };

interface CiJson {
  mode: string;
  problems: { class: string; path?: string; finding: { code: string } }[];
  trusted: { model: string; path: string; verdict: string; format: string; reason: string }[];
  notes: string[];
}

describe("ci does not take the verdicts in models.lock on trust", () => {
  const p = withHubProject();
  const { cli } = p;

  /** The perfect forgery: everything a real lock of EVIL would hold, with every verdict clean. */
  function forgeLock(): string {
    const projectText = `${JSON.stringify({ models: { [EVIL]: "main" }, policy: ACME }, null, 2)}\n`;
    writeFileSync(join(p.dir, "modelvet.json"), projectText);
    const policy = computePolicyDigest(parseProjectFile(projectText).policy);
    const files: Record<string, LockedFile> = {};
    for (const [path, format] of Object.entries(EVIL_FILES)) {
      const f = p.hub.file(EVIL, "main", path);
      files[path] = {
        size: f.size,
        gitOid: f.oid,
        lfs: f.lfs,
        sha256: f.sha256,
        scan: { format, verdict: "clean", scanner: VERSION, policy },
      };
    }
    const lock: Lockfile = {
      lockfileVersion: "1.0.0",
      models: {
        [EVIL]: {
          ref: "main",
          revision: p.hub.resolve(EVIL, "main"),
          include: [],
          exclude: [],
          manifestDigest: computeManifestDigest(files),
          files,
        },
      },
    };
    const text = serializeLockfile(lock);
    writeFileSync(join(p.dir, "models.lock"), text);
    return text;
  }

  test("the metadata check lists every verdict it read from the lock, in text, JSON and SARIF", async () => {
    const lockText = forgeLock();
    const text = await cli("ci");
    assert.equal(text.code, 0, `metadata alone cannot tell: ${text.stdout}${text.stderr}`);
    assert.match(text.stdout, /4 verdict\(s\) read from models\.lock, not re-derived/);
    assert.match(text.stdout, /modelvet ci --rescan/);
    assert.match(text.stdout, /acme\/malicious-pickle\/training_args\.bin: clean \(pickle\)/);
    assert.doesNotMatch(text.stdout, /locked by another scanner/, "the forgery looks current");

    const json = await cli("ci", "--format", "json");
    assert.equal(json.code, 0);
    const result = JSON.parse(json.stdout) as CiJson;
    assert.equal(result.mode, "metadata");
    assert.deepEqual(
      result.trusted.map((t) => `${t.model}/${t.path}:${t.verdict}:${t.reason}`).sort(),
      Object.keys(EVIL_FILES).map((p) => `${EVIL}/${p}:clean:metadata-only`),
    );

    const sarif = await cli("ci", "--format", "sarif");
    assert.equal(sarif.code, 0);
    const log = JSON.parse(sarif.stdout) as {
      runs: {
        results: unknown[];
        invocations?: {
          toolExecutionNotifications: {
            message: { text: string };
            locations?: {
              physicalLocation: {
                artifactLocation: { uri: string };
                region?: { startLine: number };
              };
            }[];
          }[];
        }[];
      }[];
    };
    assert.deepEqual(log.runs[0]!.results, []);
    const notes = log.runs[0]!.invocations?.[0]?.toolExecutionNotifications ?? [];
    const pickle = notes.find((n) => n.message.text.includes("training_args.bin"));
    assert.ok(pickle, "a notification names the pickle whose verdict was not re-derived");
    assert.match(pickle.message.text, /not re-derived/);
    const where = pickle.locations?.[0]?.physicalLocation;
    assert.equal(where?.artifactLocation.uri, "models.lock");
    const line = lockText.split("\n")[where!.region!.startLine - 1]!;
    assert.match(line, /"training_args\.bin"/, "the notification points at the file's lock entry");
  });

  test("ci --rescan re-derives the verdicts, blocks the forgery (exit 1) and links nothing malicious", async () => {
    forgeLock();
    const r = await cli("ci", "--rescan", "--format", "json");
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as CiJson;
    assert.equal(result.mode, "rescan");
    assert.deepEqual(result.trusted, [], "nothing here is large safetensors weights");
    const blocked = new Set(
      result.problems.filter((p) => p.class === "blocked").map((p) => p.path),
    );
    assert.deepEqual([...blocked].sort(), ["pytorch_model.bin", "training_args.bin"]);
    assert.ok(result.problems.some((p) => p.finding.code.startsWith("PICKLE_DANGEROUS")));
    const snapshot = new RepoCache(p.env.HF_HUB_CACHE!, EVIL).snapshotDir(
      p.hub.resolve(EVIL, "main"),
    );
    for (const path of ["pytorch_model.bin", "training_args.bin"])
      assert.ok(!existsSync(join(snapshot, path)), `${path} is not linked into the cache`);

    const text = await cli("ci", "--rescan");
    assert.equal(text.code, 1);
    assert.match(text.stdout, /modelvet ci \(rescan\)/);
    assert.match(text.stdout, /PICKLE_DANGEROUS/);
  });

  test("ci --rescan of an honest lock holds and verifies what it downloads against the lock", async () => {
    assert.equal((await cli("add", TINY, "--quiet")).code, 0);
    const ok = await cli("ci", "--rescan");
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /The lock holds\./);
    assert.doesNotMatch(ok.stdout, /verdict\(s\)/, "every verdict was re-derived");

    p.env.HF_HUB_CACHE = join(p.dir, "other-cache");
    p.hub.tamper(TINY, "model.safetensors");
    const r = await cli("ci", "--rescan");
    assert.equal(r.code, 9, r.stdout + r.stderr);
    assert.match(r.stdout, /integrity/);
  });

  test("--rescan with --download or --offline is a usage error", async () => {
    forgeLock();
    for (const other of ["--download", "--offline"]) {
      const r = await cli("ci", "--rescan", other);
      assert.equal(r.code, 2, `${other}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /cannot be combined/);
    }
  });

  test("the rule: only large safetensors weights in LFS keep their locked verdict", () => {
    const file = (size: number, format: string, lfs = true): LockedFile => ({
      size,
      gitOid: "a".repeat(40),
      lfs,
      sha256: "b".repeat(64),
      scan: { format, verdict: "clean", scanner: VERSION, policy: `sha256:${"c".repeat(64)}` },
    });
    const big = RESCAN_ALWAYS_BELOW + 1;
    assert.equal(verdictKeptOnTrust("model.safetensors", file(big, "safetensors")), true);
    assert.equal(verdictKeptOnTrust("sub/Model.SAFETENSORS", file(big, "safetensors")), true);
    assert.equal(
      verdictKeptOnTrust("model.safetensors", file(RESCAN_ALWAYS_BELOW, "safetensors")),
      false,
    );
    assert.equal(verdictKeptOnTrust("model.safetensors", file(big, "safetensors", false)), false);
    assert.equal(verdictKeptOnTrust("model.safetensors", file(big, "pickle")), false);
    assert.equal(verdictKeptOnTrust("pytorch_model.bin", file(big, "safetensors")), false);
    assert.equal(verdictKeptOnTrust("model.gguf", file(big, "gguf")), false);
    assert.equal(verdictKeptOnTrust("model.onnx", file(big, "onnx")), false);
  });
});
