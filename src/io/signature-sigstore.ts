/**
 * The one place sigstore-js is imported. It checks a Sigstore-signed bundle the way sigstore-js
 * does (Fulcio certificate chain, SCTs, Rekor inclusion proof and promise, RFC 3161 timestamps,
 * the DSSE signature), against the public-good trust root embedded in @sigstore/tuf's seeds (so it
 * works offline), or a trusted_root.json the user gives for a private Sigstore instance.
 *
 * Identity and issuer are returned, not checked here: the caller compares them with what the user
 * expects, so the message can say who did sign.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { TrustMaterial } from "@sigstore/verify";
import { InputError, ModelvetError } from "../core/errors.js";
import { SignatureCheckError, SignatureFormatError } from "../core/signature/errors.js";

const PUBLIC_GOOD_MIRROR = "https://tuf-repo-cdn.sigstore.dev";
const require = createRequire(import.meta.url);

interface SigstoreModules {
  bundle: typeof import("@sigstore/bundle");
  specs: typeof import("@sigstore/protobuf-specs");
  verify: typeof import("@sigstore/verify");
}
let loaded: SigstoreModules | undefined;

/** sigstore-js is loaded on first use (it is CommonJS): commands that meet no signature skip it. */
function sigstore(): SigstoreModules {
  loaded ??= {
    bundle: require("@sigstore/bundle"),
    specs: require("@sigstore/protobuf-specs"),
    verify: require("@sigstore/verify"),
  };
  return loaded;
}

export interface SigstoreTrust {
  readonly material: TrustMaterial;
  /** Where it came from: "embedded public-good" or the file. */
  readonly source: string;
}

export interface SigstoreSigner {
  identity: string | undefined;
  issuer: string | undefined;
}

function toTrust(json: unknown, source: string): SigstoreTrust {
  try {
    const { specs, verify } = sigstore();
    return { material: verify.toTrustMaterial(specs.TrustedRoot.fromJSON(json)), source };
  } catch (error) {
    throw new InputError(
      "CONFIG_INVALID",
      `${source} is not a Sigstore trusted root: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

let embedded: SigstoreTrust | undefined;

/** The public-good trust root shipped inside @sigstore/tuf (no network). */
export function embeddedTrustRoot(): SigstoreTrust {
  if (embedded) return embedded;
  const seeds = JSON.parse(
    readFileSync(require.resolve("@sigstore/tuf/seeds.json"), "utf8"),
  ) as Record<string, { targets?: Record<string, string> }>;
  const encoded = seeds[PUBLIC_GOOD_MIRROR]?.targets?.["trusted_root.json"];
  if (encoded === undefined) {
    throw new ModelvetError("INTERNAL", "@sigstore/tuf ships no embedded trusted_root.json");
  }
  embedded = toTrust(
    JSON.parse(Buffer.from(encoded, "base64").toString("utf8")),
    "the embedded Sigstore public-good trust root",
  );
  return embedded;
}

/** A trusted_root.json for a private Sigstore instance (`--trust-root`). */
export function readTrustRoot(path: string): SigstoreTrust {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new InputError("INPUT_NOT_FOUND", `Cannot read the trust root ${path}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InputError("CONFIG_INVALID", `${path} is not JSON`, { cause: error });
  }
  return toTrust(json, path);
}

/** Verify a Sigstore-signed bundle; returns who signed it. Throws SignatureCheckError. */
export function verifySigstoreBundle(json: unknown, trust: SigstoreTrust): SigstoreSigner {
  const { bundle, verify } = sigstore();
  let entity: ReturnType<typeof verify.toSignedEntity>;
  try {
    entity = verify.toSignedEntity(bundle.bundleFromJSON(json));
  } catch (error) {
    throw new SignatureFormatError(`not a valid Sigstore bundle: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    const signer = new verify.Verifier(trust.material).verify(entity);
    return {
      identity: signer.identity?.subjectAlternativeName,
      issuer: signer.identity?.extensions?.issuer,
    };
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new SignatureCheckError(
      "crypto",
      `Sigstore verification failed${code ? ` (${code})` : ""}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
