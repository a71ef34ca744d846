import { UsageError } from "../../core/errors.js";
import type { ExitCode } from "../exit-codes.js";
import type { PullCommandOptions } from "./pull.js";

/** `modelvet pull` with no argument installs exactly what models.lock says (like `npm ci`). */
export async function runInstallFromLock(_options: PullCommandOptions): Promise<ExitCode> {
  throw new UsageError(
    "Name at least one model (org/name[@ref]); installing from models.lock comes with `modelvet lock`.",
  );
}
