/**
 * Breadth: seeded byte mutations of every real model.sig. Each mutated signature ends in a
 * verified result or in findings, never in an exception or a hang; a mutation that still verifies
 * must have left the signed payload (and so the file list) untouched.
 */
import assert from "node:assert/strict";
import { createPublicKey } from "node:crypto";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { type SignatureTrust, verifyModelSignature } from "../../src/app/verify-signature.js";
import { parsePemCertificates } from "../../src/core/signature/verify-key.js";
import { embeddedTrustRoot } from "../../src/io/signature-sigstore.js";
import { tempDir } from "../helpers/run-cli.js";

const DIR = join(import.meta.dirname, "..", "..", "fixtures", "signing");
const MUTATIONS = 60;

/** mulberry32: a small seeded PRNG so failures replay. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const payloadOf = (text: string): string | undefined => {
  try {
    // Decoded: base64 with other padding bits can carry the same bytes.
    return Buffer.from(JSON.parse(text).dsseEnvelope.payload, "base64").toString("hex");
  } catch {
    return undefined;
  }
};

describe("seeded mutations of the real signatures", () => {
  const cases: [string, SignatureTrust][] = [
    [
      "v1.1.0-sigstore",
      {
        kind: "sigstore",
        identity: "stefanb@us.ibm.com",
        issuer: "https://sigstore.verify.ibm.com/oauth2",
        trust: embeddedTrustRoot(),
      },
    ],
    [
      "v1.1.0-elliptic-key",
      {
        kind: "key",
        publicKey: createPublicKey(readFileSync(join(DIR, "keys", "signing-key-pub.pem"))),
      },
    ],
    [
      "v1.1.0-certificate",
      {
        kind: "certificate",
        anchors: parsePemCertificates(readFileSync(join(DIR, "keys", "ca-cert.pem"), "utf8"), "CA"),
      },
    ],
  ];
  for (const [folder, trust] of cases) {
    test(`${folder}: ${MUTATIONS} mutations end in a result, never a crash`, async () => {
      const dir = tempDir("modelvet-sigmut-");
      try {
        const model = join(dir.path, "m");
        cpSync(join(DIR, folder), model, { recursive: true });
        const original = readFileSync(join(DIR, folder, "model.sig"));
        const random = prng(0x5eed + folder.length);
        for (let i = 0; i < MUTATIONS; i++) {
          const bytes = Buffer.from(original);
          const edits = 1 + Math.floor(random() * 4);
          for (let e = 0; e < edits; e++) {
            const at = Math.floor(random() * bytes.length);
            const kind = random();
            if (kind < 0.6) bytes[at] = Math.floor(random() * 256);
            else if (kind < 0.8) bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
            else bytes.fill(0x20, at, Math.min(bytes.length, at + 8));
          }
          writeFileSync(join(model, "model.sig"), bytes);
          const r = await verifyModelSignature({
            model,
            signature: join(model, "model.sig"),
            trust,
          });
          if (r.verified) {
            assert.equal(
              payloadOf(bytes.toString("utf8")),
              payloadOf(original.toString("utf8")),
              `mutation ${i} changed the payload and still verified`,
            );
          } else {
            assert.ok(r.findings.length > 0, `mutation ${i}: not verified but no finding`);
            for (const f of r.findings) assert.ok(f.message.length > 10);
          }
        }
      } finally {
        dir.cleanup();
      }
    });
  }
});
