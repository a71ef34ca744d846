/**
 * The real OpenSSF Model Signing test vectors (fixtures/signing, copied from model_signing's own
 * tests): every one verifies offline, and each kind of damage (a changed byte, a wrong identity or
 * issuer, a removed or added file, the wrong key or CA) fails with a finding that names it.
 */
import assert from "node:assert/strict";
import { createPublicKey, X509Certificate } from "node:crypto";
import { appendFileSync, cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  type SignatureTrust,
  type SignatureVerification,
  verifyModelSignature,
} from "../../src/app/verify-signature.js";
import { parsePemCertificates } from "../../src/core/signature/verify-key.js";
import { embeddedTrustRoot } from "../../src/io/signature-sigstore.js";
import { tempDir } from "../helpers/run-cli.js";
import { makeTestKey, sha256Hex } from "../helpers/signature-sign.js";

const DIR = join(import.meta.dirname, "..", "..", "fixtures", "signing");

interface Vector {
  folder: string;
  method: "sigstore" | "key" | "certificate";
  model: string;
  verifyWith: { identity?: string; issuer?: string; publicKey?: string; certificateChain?: string };
}
const manifest = JSON.parse(readFileSync(join(DIR, "vectors.json"), "utf8")) as {
  vectors: Vector[];
  files: { path: string; sha256: string }[];
};

function trustFor(v: Vector): SignatureTrust {
  const w = v.verifyWith;
  if (v.method === "sigstore")
    return {
      kind: "sigstore",
      identity: w.identity!,
      issuer: w.issuer!,
      trust: embeddedTrustRoot(),
    };
  if (v.method === "key")
    return { kind: "key", publicKey: createPublicKey(readFileSync(join(DIR, w.publicKey!))) };
  return {
    kind: "certificate",
    anchors: parsePemCertificates(readFileSync(join(DIR, w.certificateChain!), "utf8"), "CA"),
  };
}

async function verifyCopy(
  v: Vector,
  damage: (folder: string) => void,
  trust: SignatureTrust = trustFor(v),
): Promise<SignatureVerification> {
  const dir = tempDir("modelvet-sig-");
  try {
    const folder = join(dir.path, v.folder);
    cpSync(join(DIR, v.folder), folder, { recursive: true });
    damage(folder);
    return await verifyModelSignature({
      model: join(folder, v.model),
      signature: join(folder, "model.sig"),
      trust,
    });
  } finally {
    dir.cleanup();
  }
}

const codes = (r: SignatureVerification) => r.findings.map((f) => f.code);

describe("OpenSSF Model Signing test vectors", () => {
  test("the committed copies match vectors.json", () => {
    for (const f of manifest.files) {
      assert.equal(sha256Hex(readFileSync(join(DIR, f.path))), f.sha256, f.path);
    }
    assert.equal(manifest.vectors.length, 7);
  });

  for (const v of manifest.vectors) {
    describe(v.folder, () => {
      test("verifies offline, names the signer", async () => {
        const r = await verifyModelSignature({
          model: join(DIR, v.folder, v.model),
          signature: join(DIR, v.folder, "model.sig"),
          trust: trustFor(v),
        });
        assert.deepEqual(r.findings, []);
        assert.equal(r.verified, true);
        assert.equal(r.signer?.method, v.method);
        assert.ok(r.checked >= 1);
        if (v.method === "sigstore") {
          assert.equal(r.signer?.identity, "stefanb@us.ibm.com");
          assert.equal(r.signer?.issuer, "https://sigstore.verify.ibm.com/oauth2");
        }
        if (v.method === "certificate") assert.equal(r.signer?.issuer, "CN=root-ca");
        if (v.method === "key") assert.match(r.signer!.identity, /^sha256:[0-9a-f]{64}$/);
        if (v.folder.startsWith("v1.1.0")) assert.ok(r.ignored.includes("ignore-me"));
      });

      test("a changed byte fails with SIGNATURE_FILE_MISMATCH naming the file", async () => {
        const r = await verifyCopy(v, (folder) => {
          appendFileSync(join(folder, "signme-1"), "x");
        });
        assert.equal(r.verified, false);
        assert.deepEqual(codes(r), ["SIGNATURE_FILE_MISMATCH"]);
        assert.match(r.findings[0]!.message, /signme-1|^\./);
        assert.match(r.findings[0]!.message, /do not match the SHA-256 in the signature/);
      });

      if (v.model === ".") {
        test("a removed file fails with SIGNATURE_FILE_MISSING", async () => {
          const r = await verifyCopy(v, (folder) => rmSync(join(folder, "signme-2")));
          assert.deepEqual(codes(r), ["SIGNATURE_FILE_MISSING"]);
          assert.match(r.findings[0]!.message, /signme-2 is signed but missing/);
        });

        test("an added file fails with SIGNATURE_FILE_UNLISTED", async () => {
          const r = await verifyCopy(v, (folder) =>
            writeFileSync(join(folder, "extra.bin"), "added"),
          );
          assert.deepEqual(codes(r), ["SIGNATURE_FILE_UNLISTED"]);
          assert.match(
            r.findings[0]!.message,
            /extra\.bin is in the model but not in the signature/,
          );
        });
      }

      test("a changed payload no longer verifies", async () => {
        const r = await verifyCopy(v, (folder) => {
          const path = join(folder, "model.sig");
          const bundle = JSON.parse(readFileSync(path, "utf8"));
          const payload = Buffer.from(bundle.dsseEnvelope.payload, "base64").toString();
          bundle.dsseEnvelope.payload = Buffer.from(payload.replace(/"[0-9a-f]/, '"0')).toString(
            "base64",
          );
          writeFileSync(path, JSON.stringify(bundle));
        });
        assert.equal(r.verified, false);
        assert.deepEqual(codes(r), ["SIGNATURE_INVALID"]);
        assert.match(r.findings[0]!.message, /does not verify/);
      });
    });
  }

  const sigstore = manifest.vectors.find((v) => v.folder === "v1.1.0-sigstore")!;
  const keyed = manifest.vectors.find((v) => v.folder === "v1.1.0-elliptic-key")!;
  const certified = manifest.vectors.find((v) => v.folder === "v1.1.0-certificate")!;

  test("sigstore: a wrong identity fails with SIGNATURE_SIGNER_MISMATCH naming both", async () => {
    const r = await verifyCopy(sigstore, () => {}, {
      kind: "sigstore",
      identity: "someone@example.com",
      issuer: "https://sigstore.verify.ibm.com/oauth2",
      trust: embeddedTrustRoot(),
    });
    assert.deepEqual(codes(r), ["SIGNATURE_SIGNER_MISMATCH"]);
    assert.match(
      r.findings[0]!.message,
      /signed by stefanb@us\.ibm\.com .*not by "someone@example\.com"/,
    );
  });

  test("sigstore: a wrong issuer fails with SIGNATURE_SIGNER_MISMATCH", async () => {
    const r = await verifyCopy(sigstore, () => {}, {
      kind: "sigstore",
      identity: "stefanb@us.ibm.com",
      issuer: "https://accounts.google.com",
      trust: embeddedTrustRoot(),
    });
    assert.deepEqual(codes(r), ["SIGNATURE_SIGNER_MISMATCH"]);
    assert.match(
      r.findings[0]!.message,
      /issuer is "https:\/\/sigstore\.verify\.ibm\.com\/oauth2", not "https:\/\/accounts\.google\.com"/,
    );
  });

  test("sigstore: a removed transparency-log entry fails (sigstore-js TLOG check)", async () => {
    const r = await verifyCopy(sigstore, (folder) => {
      const path = join(folder, "model.sig");
      const bundle = JSON.parse(readFileSync(path, "utf8"));
      bundle.verificationMaterial.tlogEntries = [];
      writeFileSync(path, JSON.stringify(bundle));
    });
    assert.deepEqual(codes(r), ["SIGNATURE_INVALID"]);
  });

  test("sigstore: the same signature in a v0.2 bundle (certificate as a one-element chain) verifies", async () => {
    const r = await verifyCopy(sigstore, (folder) => {
      const path = join(folder, "model.sig");
      const bundle = JSON.parse(readFileSync(path, "utf8"));
      bundle.mediaType = "application/vnd.dev.sigstore.bundle+json;version=0.2";
      const vm = bundle.verificationMaterial;
      vm.x509CertificateChain = { certificates: [vm.certificate] };
      delete vm.certificate;
      writeFileSync(path, JSON.stringify(bundle));
    });
    assert.deepEqual(r.findings, []);
    assert.equal(r.signer?.identity, "stefanb@us.ibm.com");
  });

  test("key: another public key fails", async () => {
    const r = await verifyCopy(keyed, () => {}, {
      kind: "key",
      publicKey: makeTestKey("secp384r1").publicKey,
    });
    assert.deepEqual(codes(r), ["SIGNATURE_INVALID"]);
    assert.match(r.findings[0]!.message, /does not verify under the public key sha256:/);
  });

  test("certificate: a CA that did not issue the chain fails with SIGNATURE_SIGNER_MISMATCH", async () => {
    // Any unrelated certificate as the only trusted CA: Fulcio's leaf from the Sigstore vector.
    const bundle = JSON.parse(readFileSync(join(DIR, "v1.1.0-sigstore", "model.sig"), "utf8"));
    const unrelated = new X509Certificate(
      Buffer.from(bundle.verificationMaterial.certificate.rawBytes, "base64"),
    );
    const r = await verifyCopy(certified, () => {}, { kind: "certificate", anchors: [unrelated] });
    assert.deepEqual(codes(r), ["SIGNATURE_SIGNER_MISMATCH"]);
    assert.match(r.findings[0]!.message, /does not chain to a trusted CA/);
  });

  test("certificate: trusting the intermediate alone is enough (it is in the path)", async () => {
    const intermediate = parsePemCertificates(
      readFileSync(join(DIR, "keys", "int-ca-cert.pem"), "utf8"),
      "CA",
    );
    const r = await verifyCopy(certified, () => {}, { kind: "certificate", anchors: intermediate });
    assert.deepEqual(r.findings, []);
    assert.equal(r.signer?.issuer, "CN=intermediate-ca");
  });

  test("method mismatch: a key-signed model checked as Sigstore says so", async () => {
    const r = await verifyCopy(keyed, () => {}, trustFor(sigstore));
    assert.deepEqual(codes(r), ["SIGNATURE_SIGNER_MISMATCH"]);
    assert.match(
      r.findings[0]!.message,
      /signed with a private key, but verification was asked for Sigstore/,
    );
  });

  test("no model.sig: SIGNATURE_MISSING", async () => {
    const r = await verifyCopy(keyed, (folder) => rmSync(join(folder, "model.sig")));
    assert.deepEqual(codes(r), ["SIGNATURE_MISSING"]);
  });
});
