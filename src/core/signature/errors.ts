/**
 * A signature that cannot be read is not an error of the run: it is a decision (the model is not
 * verifiably signed). These exceptions carry the reason up to where it becomes a finding.
 */
export type SignatureProblem =
  /** model.sig is not a Sigstore bundle / DSSE envelope / in-toto statement we can read. */
  | "format"
  /** signature, certificate chain, transparency log or timestamp did not verify. */
  | "crypto"
  /** verified, but by someone other than the expected signer. */
  | "signer";

export class SignatureCheckError extends Error {
  readonly problem: SignatureProblem;
  constructor(problem: SignatureProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.problem = problem;
    this.name = new.target.name;
  }
}

export class SignatureFormatError extends SignatureCheckError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("format", message, options);
  }
}
