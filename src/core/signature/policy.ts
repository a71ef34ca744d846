/**
 * `policy.signatures` in modelvet.json: which models must carry an OpenSSF Model Signing
 * signature, and whose. A rule names an organization ("acme") or a repo ("acme/model"); the repo
 * rule wins over the organization rule. Exactly one way to trust per rule:
 *
 *   { "models": "acme", "identity": "release@acme.com", "issuer": "https://accounts.google.com" }
 *   { "models": "acme/model", "publicKey": "keys/acme.pub" }        (path relative to modelvet.json)
 *   { "models": "acme", "certificateChain": ["keys/acme-ca.pem"] }
 *
 * Sigstore rules may add "trustRoot" (a trusted_root.json for a private instance).
 */
import { z } from "zod";

const target = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/,
    "must be an organization or an org/name repo id",
  );

export const signatureRuleSchema = z
  .strictObject({
    models: target,
    identity: z.string().min(1).optional(),
    issuer: z.string().min(1).optional(),
    trustRoot: z.string().min(1).optional(),
    publicKey: z.string().min(1).optional(),
    certificateChain: z.array(z.string().min(1)).min(1).optional(),
  })
  .refine(
    (r) =>
      [r.identity !== undefined || r.issuer !== undefined, r.publicKey, r.certificateChain].filter(
        Boolean,
      ).length === 1,
    "give exactly one of identity+issuer, publicKey, certificateChain",
  )
  .refine(
    (r) => (r.identity === undefined) === (r.issuer === undefined),
    "identity and issuer go together",
  )
  .refine(
    (r) => r.trustRoot === undefined || r.identity !== undefined,
    "trustRoot goes with identity and issuer",
  );

export type SignatureRule = z.infer<typeof signatureRuleSchema>;

/** The rule for `repo`: its own, else its organization's, else none. */
export function signatureRuleFor(
  repo: string,
  rules: readonly SignatureRule[],
): SignatureRule | undefined {
  const org = repo.split("/")[0];
  return rules.find((r) => r.models === repo) ?? rules.find((r) => r.models === org);
}
