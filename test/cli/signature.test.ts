/**
 * `modelvet verify-signature` run as a user runs it (the built bin): exit codes 0 / 10 / 2, text
 * and JSON output, on the real test vectors and on a copy with one changed byte.
 */
import assert from "node:assert/strict";
import { appendFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { REPO_ROOT, tempDir } from "../helpers/run-cli.js";
import { runCliInProcess } from "../helpers/run-cli-in-process.js";

const V = join(REPO_ROOT, "fixtures", "signing");
const SIGSTORE = [
  "--identity",
  "stefanb@us.ibm.com",
  "--issuer",
  "https://sigstore.verify.ibm.com/oauth2",
];

describe("modelvet verify-signature", () => {
  test("Sigstore vector: exit 0, names the signer and the files", async () => {
    const r = await runCliInProcess(["verify-signature", join(V, "v1.1.0-sigstore"), ...SIGSTORE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /signer: +stefanb@us\.ibm\.com \(issuer https:\/\/sigstore\.verify\.ibm\.com\/oauth2\) \[sigstore\]/,
    );
    assert.match(
      r.stdout,
      /OK +the signature verifies and 2 file\(s\) match it; ignored: ignore-me, model\.sig/,
    );
  });

  test("key vector, single-file model, JSON: exit 0", async () => {
    const r = await runCliInProcess([
      "verify-signature",
      join(V, "v1.0.0-elliptic-key", "signme-1"),
      "--public-key",
      join(V, "keys", "signing-key-pub.pem"),
      "--format",
      "json",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(r.stdout);
    assert.equal(json.verified, true);
    assert.equal(json.signer.method, "key");
    assert.deepEqual(json.findings, []);
  });

  test("certificate vector with an explicit --signature: exit 0", async () => {
    const r = await runCliInProcess([
      "verify-signature",
      join(V, "v0.2.0-certificate"),
      "--signature",
      join(V, "v0.2.0-certificate", "model.sig"),
      "--certificate-chain",
      join(V, "keys", "ca-cert.pem"),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /certificate CN=intermediate-ca \(CA CN=root-ca\)/);
  });

  test("a changed byte: exit 10 and the file named", async () => {
    const dir = tempDir();
    try {
      const model = join(dir.path, "m");
      cpSync(join(V, "v1.1.0-certificate"), model, { recursive: true });
      appendFileSync(join(model, "signme-2"), "!");
      const r = await runCliInProcess([
        "verify-signature",
        model,
        "--certificate-chain",
        join(V, "keys", "ca-cert.pem"),
      ]);
      assert.equal(r.code, 10);
      assert.match(r.stdout, /FAIL the model is not verifiably signed/);
      assert.match(r.stdout, /SIGNATURE_FILE_MISMATCH: signme-2: the bytes do not match/);
    } finally {
      dir.cleanup();
    }
  });

  test("a wrong identity: exit 10 with both identities in the message", async () => {
    const r = await runCliInProcess([
      "verify-signature",
      join(V, "v1.0.0-sigstore"),
      "--identity",
      "mallory@example.com",
      "--issuer",
      "https://sigstore.verify.ibm.com/oauth2",
    ]);
    assert.equal(r.code, 10);
    assert.match(
      r.stdout,
      /SIGNATURE_SIGNER_MISMATCH: Not the expected signer: the model is signed by stefanb@us\.ibm\.com .* not by "mallory@example\.com"/,
    );
  });

  test("usage: no trust given, or two kinds, or identity without issuer: exit 2", async () => {
    const model = join(V, "v1.1.0-sigstore");
    for (const extra of [
      [],
      ["--identity", "a@b.c"],
      ["--public-key", join(V, "keys", "signing-key-pub.pem"), ...SIGSTORE],
    ]) {
      const r = await runCliInProcess(["verify-signature", model, ...extra]);
      assert.equal(r.code, 2, `${extra.join(" ")}: ${r.stdout}`);
      assert.match(r.stderr, /modelvet: .*(--identity|--issuer)/);
    }
  });

  test("an unreadable public key file: exit 2 with the path", async () => {
    const r = await runCliInProcess([
      "verify-signature",
      join(V, "v1.1.0-elliptic-key"),
      "--public-key",
      join(V, "v1.1.0-elliptic-key", "signme-1"),
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /signme-1 is not a PEM public key/);
  });
});
