/** How a walk stopped early. */
export type HaltKind = "malformed" | "budget" | "eof" | "stopped";

/** Thrown inside the walker only; turned into a finding at the edge. */
export class Halt {
  constructor(
    readonly kind: HaltKind,
    readonly message: string,
    readonly offset: number,
  ) {}
}
