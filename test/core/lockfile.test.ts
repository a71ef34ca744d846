import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { InputError } from "../../src/core/errors.js";
import { describeLockChange, diffLockfiles } from "../../src/core/lock-diff.js";
import {
  computeManifestDigest,
  LOCKFILE_VERSION,
  type LockedFile,
  type Lockfile,
  parseLockfile,
  serializeLockfile,
} from "../../src/core/lockfile.js";

const sha = (s: string) => createHash("sha256").update(s).digest("hex");
const sha1 = (s: string) => createHash("sha1").update(s).digest("hex");
const POLICY = `sha256:${sha("policy")}`;

function file(content: string, lfs = false): LockedFile {
  return {
    size: content.length,
    gitOid: sha1(content),
    lfs,
    sha256: sha(content),
    scan: { format: "json", verdict: "clean", scanner: "0.1.0", policy: POLICY },
  };
}

function sample(): Lockfile {
  const files = { "model.safetensors": file("weights", true), "config.json": file("{}") };
  return {
    lockfileVersion: LOCKFILE_VERSION,
    models: {
      "acme/tiny": {
        ref: "main",
        revision: "a".repeat(40),
        include: ["*.json", "*.safetensors"],
        exclude: [],
        manifestDigest: computeManifestDigest(files),
        files,
      },
    },
  };
}

function expectInvalid(text: string, pattern: RegExp) {
  assert.throws(
    () => parseLockfile(text),
    (error: unknown) => {
      if (!(error instanceof InputError)) throw error;
      assert.equal(error.code, "LOCKFILE_INVALID");
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe("models.lock serialization", () => {
  test("is deterministic: sorted keys, two spaces, LF, trailing newline", () => {
    const text = serializeLockfile(sample());
    assert.ok(text.endsWith("}\n"));
    assert.ok(!text.includes("\r"));
    assert.ok(text.indexOf('"config.json"') < text.indexOf('"model.safetensors"'));
    assert.ok(text.indexOf('"exclude"') < text.indexOf('"files"'));
    assert.ok(text.indexOf('"lockfileVersion"') < text.indexOf('"models"'));
    assert.match(text, /^\{\n {2}"lockfileVersion": "1\.0\.0",\n/);
  });

  test("parse then serialize is byte-identical", () => {
    const text = serializeLockfile(sample());
    assert.equal(serializeLockfile(parseLockfile(text)), text);
  });

  test("contains no timestamp, generator or endpoint", () => {
    const text = serializeLockfile(sample());
    assert.doesNotMatch(text, /https?:|generator|time|date/i);
  });

  test("manifestDigest is sha256 over the raw per-file digests in path order", () => {
    const files = sample().models["acme/tiny"]!.files;
    const hash = createHash("sha256");
    hash.update(Buffer.from(files["config.json"]!.sha256, "hex"));
    hash.update(Buffer.from(files["model.safetensors"]!.sha256, "hex"));
    assert.equal(computeManifestDigest(files), `sha256:${hash.digest("hex")}`);
  });
});

describe("models.lock validation", () => {
  type Editable = {
    lockfileVersion: string;
    models: Record<
      string,
      Record<string, unknown> & { revision: string; files: Record<string, Record<string, unknown>> }
    >;
  };
  const good = () => JSON.parse(serializeLockfile(sample())) as Editable;

  test("malformed JSON names the file", () => {
    expectInvalid("{ not json", /models\.lock: not valid JSON/);
  });

  test("an unknown major version is refused", () => {
    const lock = good();
    lock.lockfileVersion = "2.0.0";
    expectInvalid(JSON.stringify(lock), /not readable by this modelvet.*upgrade modelvet/);
  });

  test("a newer minor version is refused with advice to upgrade", () => {
    const lock = good();
    // 1.1.0 (models.lock with a signature record) is readable; 1.2.0 is newer than this modelvet.
    lock.lockfileVersion = "1.2.0";
    expectInvalid(JSON.stringify(lock), /newer modelvet/);
  });

  test("a newer patch version is readable", () => {
    const lock = good();
    lock.lockfileVersion = "1.0.7";
    assert.equal(parseLockfile(JSON.stringify(lock)).lockfileVersion, "1.0.7");
  });

  test("a non-semver version is refused", () => {
    const lock = good();
    lock.lockfileVersion = "one";
    expectInvalid(JSON.stringify(lock), /not a semantic version/);
  });

  test("a branch name as revision is refused, naming the field", () => {
    const lock = good();
    lock.models["acme/tiny"]!.revision = "main";
    expectInvalid(
      JSON.stringify(lock),
      /models\["acme\/tiny"\]\.revision: must be a 40-hex commit id/,
    );
  });

  test("a tampered digest is caught by the manifest digest", () => {
    const lock = good();
    lock.models["acme/tiny"]!.files["config.json"]!.sha256 = sha("evil");
    expectInvalid(JSON.stringify(lock), /manifestDigest does not match/);
  });

  test("a file added by hand is caught by the manifest digest", () => {
    const lock = good();
    lock.models["acme/tiny"]!.files["extra.bin"] = file("extra");
    expectInvalid(JSON.stringify(lock), /manifestDigest does not match/);
  });

  test("a path that escapes the repo is refused", () => {
    const lock = good();
    const files = lock.models["acme/tiny"]!.files;
    files["../../etc/passwd"] = files["config.json"]!;
    delete files["config.json"];
    expectInvalid(JSON.stringify(lock), /relative POSIX path/);
  });

  test("unknown fields are refused (a security lock does not ignore what it cannot read)", () => {
    const lock = good();
    lock.models["acme/tiny"]!.trust = true;
    expectInvalid(JSON.stringify(lock), /trust|Unrecognized/i);
  });

  test("a negative size is refused", () => {
    const lock = good();
    lock.models["acme/tiny"]!.files["config.json"]!.size = -1;
    expectInvalid(JSON.stringify(lock), /size/);
  });
});

describe("lockfile diff", () => {
  test("reports revision moves, added, removed and changed files in order", () => {
    const before = sample();
    const after = structuredClone(before);
    const model = after.models["acme/tiny"]!;
    model.revision = "b".repeat(40);
    model.files["config.json"] = file('{"a":1}');
    delete model.files["model.safetensors"];
    model.files["tokenizer.json"] = file("{}");
    after.models["other/model"] = structuredClone(model);
    const changes = diffLockfiles(before, after);
    assert.deepEqual(
      changes.map((c) => c.kind),
      ["revision-changed", "file-changed", "file-removed", "file-added", "model-added"],
    );
    const lines = changes.map(describeLockChange);
    assert.match(lines[0]!, /acme\/tiny: main moved aaaaaaaaaaaa -> bbbbbbbbbbbb/);
    assert.match(lines[1]!, /config\.json: size 2 -> 7, sha256/);
  });

  test("identical lockfiles have no changes", () => {
    assert.deepEqual(diffLockfiles(sample(), sample()), []);
  });
});
