/**
 * The pure half of signature checking: bundle and payload parsing meet hostile input (each case a
 * typed SignatureCheckError with a message, never a crash or a pass), and the file plan handles
 * files, shards, ignored paths, missing and unlisted files.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { parseSignatureBundle } from "../../src/core/signature/bundle.js";
import { SignatureCheckError } from "../../src/core/signature/errors.js";
import {
  evaluateHashJobs,
  isIgnoredPath,
  planSignatureCheck,
} from "../../src/core/signature/manifest-check.js";
import { parseSignedManifest } from "../../src/core/signature/payload.js";
import {
  parsePemCertificates,
  pythonBytesRepr,
  verifyCertificatePath,
  verifyEnvelopeSignature,
} from "../../src/core/signature/verify-key.js";
import {
  fileResources,
  makeKeyBundle,
  makeStatement,
  makeTestKey,
  sha256Hex,
  shardResources,
} from "../helpers/signature-sign.js";

// biome-ignore lint/suspicious/noExplicitAny: hostile payloads are edited field by field
type Statement = Record<string, any>;

const key = makeTestKey();
const files = { "config.json": "{}", "model.safetensors": "0123456789" };
const goodBundle = () => JSON.parse(makeKeyBundle(key, makeStatement(fileResources(files))));
const bytes = (value: unknown) =>
  Buffer.from(typeof value === "string" ? value : JSON.stringify(value));

function rejects(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof SignatureCheckError, `not a SignatureCheckError: ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe("parseSignatureBundle: hostile bundles", () => {
  const cases: [string, unknown, RegExp][] = [
    ["not JSON", "{", /not JSON/],
    ["empty", "", /not JSON/],
    ["a JSON array", [], /not a Sigstore bundle/],
    ["unknown media type", { ...goodBundle(), mediaType: "text/plain" }, /mediaType/],
    ["no DSSE envelope", { ...goodBundle(), dsseEnvelope: undefined }, /dsseEnvelope/],
    [
      "message signature",
      { ...goodBundle(), messageSignature: { signature: "" } },
      /message digest, not a DSSE envelope/,
    ],
    [
      "two signatures",
      (() => {
        const b = goodBundle();
        b.dsseEnvelope.signatures.push(b.dsseEnvelope.signatures[0]);
        return b;
      })(),
      /exactly one signature/,
    ],
    [
      "no signature",
      (() => {
        const b = goodBundle();
        b.dsseEnvelope.signatures = [];
        return b;
      })(),
      /exactly one signature/,
    ],
    [
      "empty signature",
      (() => {
        const b = goodBundle();
        b.dsseEnvelope.signatures[0].sig = "";
        return b;
      })(),
      /signature is empty/,
    ],
    [
      "payload not base64",
      (() => {
        const b = goodBundle();
        b.dsseEnvelope.payload = "!!!";
        return b;
      })(),
      /base64/,
    ],
    [
      "two kinds of verification material",
      (() => {
        const b = goodBundle();
        b.verificationMaterial.certificate = { rawBytes: "AAAA" };
        return b;
      })(),
      /exactly one of/,
    ],
    [
      "no verification material",
      (() => {
        const b = goodBundle();
        b.verificationMaterial = {};
        return b;
      })(),
      /exactly one of/,
    ],
  ];
  for (const [name, value, pattern] of cases) {
    test(name, () => rejects(() => parseSignatureBundle(bytes(value)), pattern));
  }
  test("a good bundle parses", () => {
    const b = parseSignatureBundle(bytes(goodBundle()));
    assert.equal(b.material.kind, "key");
    assert.equal(b.tlogEntries, 0);
  });
});

describe("parseSignedManifest: hostile payloads", () => {
  const TYPE = "application/vnd.in-toto+json";
  const good = makeStatement(fileResources(files)) as Statement;
  const edit = (f: (s: Statement) => void) => {
    const s = structuredClone(good);
    f(s);
    return s;
  };
  const cases: [string, string, unknown, RegExp][] = [
    ["wrong payload type", "text/plain", good, /payload type/],
    ["not JSON", TYPE, "nope", /not JSON/],
    ["JSON array", TYPE, [], /not a JSON object/],
    [
      "wrong statement type",
      TYPE,
      edit((s) => {
        s._type = "x";
      }),
      /not an in-toto/,
    ],
    [
      "unknown predicate",
      TYPE,
      edit((s) => {
        s.predicateType = "x";
      }),
      /unknown predicate type/,
    ],
    [
      "two subjects",
      TYPE,
      edit((s) => {
        s.subject.push(s.subject[0]);
      }),
      /exactly one subject/,
    ],
    [
      "inconsistent root digest",
      TYPE,
      edit((s) => {
        s.subject[0].digest.sha256 = "0".repeat(64);
      }),
      /inconsistent/,
    ],
    [
      "resource dropped (root digest no longer matches)",
      TYPE,
      edit((s) => {
        s.predicate.resources.pop();
      }),
      /inconsistent/,
    ],
    [
      "unsupported hash type",
      TYPE,
      edit((s) => {
        s.predicate.serialization.hash_type = "blake2";
      }),
      /only sha256/,
    ],
    [
      "unsupported method",
      TYPE,
      edit((s) => {
        s.predicate.serialization.method = "digest";
      }),
      /not supported/,
    ],
    [
      "resource algorithm",
      TYPE,
      edit((s) => {
        s.predicate.resources[0].algorithm = "md5";
      }),
      /only sha256/,
    ],
    [
      "bad digest",
      TYPE,
      edit((s) => {
        s.predicate.resources[0].digest = "zz";
      }),
      /invalid sha256/,
    ],
    [
      "path escape",
      TYPE,
      edit((s) => {
        s.predicate.resources[0].name = "../etc/passwd";
      }),
      /unsafe path/,
    ],
    [
      "absolute path",
      TYPE,
      edit((s) => {
        s.predicate.resources[0].name = "/etc/passwd";
      }),
      /unsafe path/,
    ],
    [
      "duplicate resource",
      TYPE,
      edit((s) => {
        s.predicate.resources[1].name = s.predicate.resources[0].name;
      }),
      /listed twice/,
    ],
    [
      "resources not a list",
      TYPE,
      edit((s) => {
        s.predicate.resources = {};
      }),
      /resources/,
    ],
  ];
  for (const [name, type, value, pattern] of cases) {
    test(name, () => rejects(() => parseSignedManifest(type, bytes(value)), pattern));
  }
  test("shard names must be path:start:end with start < end", () => {
    for (const name of ["a.bin", "a.bin:4:4", "a.bin:5:1", "a.bin:x:3"]) {
      const s = makeStatement([{ name, sha256: sha256Hex("") }], { method: "shards" });
      rejects(() => parseSignedManifest(TYPE, bytes(s)), /shard entry|unsafe/);
    }
  });
});

describe("planSignatureCheck", () => {
  const TYPE = "application/vnd.in-toto+json";
  const present = (f: Record<string, string>) =>
    Object.entries(f).map(([path, text]) => ({ path, size: Buffer.byteLength(text) }));

  test("files: ignored paths, missing and unlisted files", () => {
    const m = parseSignedManifest(TYPE, bytes(makeStatement(fileResources(files))));
    const plan = planSignatureCheck(
      m,
      present({ "config.json": "{}", "extra.py": "x", ".git/HEAD": "ref", "model.sig": "{}" }),
      m.ignorePaths!,
    );
    assert.deepEqual(plan.ignored, [".git/HEAD", "model.sig"]);
    assert.deepEqual(
      plan.findings.map((f) => [f.code, f.message]),
      [
        [
          "SIGNATURE_FILE_UNLISTED",
          "extra.py is in the model but not in the signature: it was added after signing.",
        ],
        ["SIGNATURE_FILE_MISSING", "model.safetensors is signed but missing from the model."],
      ],
    );
    assert.deepEqual(
      plan.jobs.map((j) => j.label),
      ["config.json"],
    );
  });

  test("shards: ranges are hashed; a gap, an overlap or a short list is reported", () => {
    const data = { "w.bin": "0123456789" };
    const m = parseSignedManifest(
      TYPE,
      bytes(makeStatement(shardResources(data, 4), { method: "shards" })),
    );
    const ok = planSignatureCheck(m, present(data), []);
    assert.deepEqual(ok.findings, []);
    assert.deepEqual(
      ok.jobs.map((j) => j.label),
      ["w.bin:0:4", "w.bin:4:8", "w.bin:8:10"],
    );
    const digests = ok.jobs.map((j) =>
      sha256Hex(data["w.bin"].slice(j.range!.start, j.range!.end)),
    );
    assert.deepEqual(evaluateHashJobs(ok.jobs, digests), []);
    const tampered = [...digests];
    tampered[1] = sha256Hex("XXXX");
    const bad = evaluateHashJobs(ok.jobs, tampered);
    assert.equal(bad.length, 1);
    assert.match(bad[0]!.message, /^w\.bin:4:8: the bytes do not match/);

    // The file grew: the last shard no longer reaches the end.
    const grown = planSignatureCheck(m, [{ path: "w.bin", size: 12 }], []);
    assert.deepEqual(
      grown.findings.map((f) => f.code),
      ["SIGNATURE_FILE_MISMATCH"],
    );
    assert.match(grown.findings[0]!.message, /do not cover the file's 12 bytes/);
    // The file shrank: a shard ends past the end.
    const shrunk = planSignatureCheck(m, [{ path: "w.bin", size: 9 }], []);
    assert.ok(shrunk.findings.some((f) => /ends past the end/.test(f.message)));

    // A shard left out of the signature (gap), signed consistently.
    const gap = shardResources(data, 4).filter((r) => r.name !== "w.bin:4:8");
    const mg = parseSignedManifest(TYPE, bytes(makeStatement(gap, { method: "shards" })));
    assert.match(planSignatureCheck(mg, present(data), []).findings[0]!.message, /exactly once/);
    // Overlapping shards.
    const overlap = [...shardResources(data, 4), { name: "w.bin:2:6", sha256: sha256Hex("2345") }];
    const mo = parseSignedManifest(TYPE, bytes(makeStatement(overlap, { method: "shards" })));
    assert.match(planSignatureCheck(mo, present(data), []).findings[0]!.message, /exactly once/);
  });

  test("shards: an empty file has no shard and is not unlisted", () => {
    const m = parseSignedManifest(
      TYPE,
      bytes(makeStatement(shardResources({ a: "abc" }, 4), { method: "shards" })),
    );
    assert.deepEqual(planSignatureCheck(m, present({ a: "abc", empty: "" }), []).findings, []);
  });

  test("isIgnoredPath matches a path and everything under it, nothing else", () => {
    assert.equal(isIgnoredPath(".git/objects/x", [".git"]), true);
    assert.equal(isIgnoredPath(".git", [".git"]), true);
    assert.equal(isIgnoredPath(".gitfoo", [".git"]), false);
    assert.equal(isIgnoredPath("a/b", ["a/"]), true);
    assert.equal(isIgnoredPath("x", [""]), false);
  });
});

describe("key signatures", () => {
  test("P-256 and P-384 test keys verify; a flipped bit does not", () => {
    for (const curve of ["prime256v1", "secp384r1"] as const) {
      const k = makeTestKey(curve);
      const b = parseSignatureBundle(bytes(makeKeyBundle(k, makeStatement(fileResources(files)))));
      assert.equal(verifyEnvelopeSignature(b.envelope, k.publicKey), true);
      b.envelope.payload.writeUInt8(b.envelope.payload.readUInt8(5) ^ 1, 5);
      assert.equal(verifyEnvelopeSignature(b.envelope, k.publicKey), false);
    }
  });

  test("pythonBytesRepr matches Python's repr of bytes", () => {
    assert.equal(pythonBytesRepr(Buffer.from("a'b")), `b"a'b"`);
    assert.equal(pythonBytesRepr(Buffer.from(`a'"b`)), `b'a\\'"b'`);
    assert.equal(
      pythonBytesRepr(Buffer.from([0x0a, 0x5c, 0x00, 0xff, 0x41])),
      "b'\\n\\\\\\x00\\xffA'",
    );
  });
});

describe("verifyCertificatePath: hostile chains", () => {
  const vectors = join(import.meta.dirname, "..", "..", "fixtures", "signing");
  const pem = (name: string) => readFileSync(join(vectors, "keys", name), "utf8");
  const chainOf = () => {
    const b = JSON.parse(readFileSync(join(vectors, "v1.1.0-certificate", "model.sig"), "utf8"));
    return b.verificationMaterial.x509CertificateChain.certificates.map((c: { rawBytes: string }) =>
      Buffer.from(c.rawBytes, "base64"),
    ) as Buffer[];
  };
  const root = () => parsePemCertificates(pem("ca-cert.pem"), "CA");

  test("the real chain reaches the root", () => {
    assert.equal(verifyCertificatePath(chainOf(), root()).path.length, 3);
  });
  test("garbage DER is a format error", () => {
    rejects(
      () => verifyCertificatePath([Buffer.from("not a certificate")], root()),
      /cannot be parsed/,
    );
  });
  test("an empty chain is a format error", () => {
    rejects(() => verifyCertificatePath([], root()), /empty/);
  });
  test("without the intermediate the leaf does not chain", () => {
    rejects(
      () => verifyCertificatePath(chainOf().slice(0, 1), root()),
      /does not chain to a trusted CA/,
    );
  });
  test("the leaf repeated as its own intermediate does not loop", () => {
    const [leaf] = chainOf();
    rejects(() => verifyCertificatePath([leaf!, leaf!, leaf!], root()), /does not chain/);
  });
  test("a PEM file without certificates is refused", () => {
    rejects(() => parsePemCertificates("hello", "ca.pem"), /holds no PEM certificate/);
  });
});
