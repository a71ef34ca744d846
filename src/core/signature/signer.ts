/**
 * Who signed a model, in the terms a user checks and the lock records, and the pure comparison of
 * that signer with the one expected (command-line flags, policy, or the lock).
 */
export type SignatureMethod = "sigstore" | "key" | "certificate";

export interface SignerInfo {
  method: SignatureMethod;
  /** sigstore: the certificate's identity (e-mail, URI); certificate: the leaf's subject; key: sha256:<SPKI>. */
  identity: string;
  /** sigstore: the OIDC issuer; certificate: the trust anchor's subject; key: absent. */
  issuer?: string;
}

export interface ExpectedSigner {
  method?: SignatureMethod;
  identity?: string;
  issuer?: string;
}

export function describeSigner(s: SignerInfo): string {
  if (s.method === "key") return `key ${s.identity}`;
  if (s.method === "certificate")
    return `certificate ${s.identity}${s.issuer ? ` (CA ${s.issuer})` : ""}`;
  return `${s.identity}${s.issuer ? ` (issuer ${s.issuer})` : ""}`;
}

/** Why `actual` is not the expected signer, or undefined when it is. Exact string comparison. */
export function evaluateSigner(expected: ExpectedSigner, actual: SignerInfo): string | undefined {
  if (expected.method !== undefined && expected.method !== actual.method) {
    return `the model is signed by ${actual.method === "sigstore" ? "Sigstore" : `a ${actual.method}`}, not by ${expected.method === "sigstore" ? "Sigstore" : `a ${expected.method}`}`;
  }
  if (expected.identity !== undefined && expected.identity !== actual.identity) {
    return `the model is signed by ${describeSigner(actual)}, not by ${JSON.stringify(expected.identity)}`;
  }
  if (expected.issuer !== undefined && expected.issuer !== actual.issuer) {
    return `the signer's issuer is ${JSON.stringify(actual.issuer ?? "(none)")}, not ${JSON.stringify(expected.issuer)}`;
  }
  return undefined;
}
