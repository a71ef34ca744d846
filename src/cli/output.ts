/**
 * Writing results: stdout, or a file written atomically (a randomly named temporary file beside
 * it, created with O_EXCL | O_NOFOLLOW, then renamed over it; see io/atomic-file.ts). And the mask
 * every byte we print goes through: the tokens this process resolved (io/hub-config.ts) and
 * anything shaped like a Hugging Face access token become `hf_***`, on stdout, stderr and in
 * `--output` files, whatever text carried them (a file name, a finding, a Hub message).
 */

import { knownSecrets, writeFileAtomic } from "../app/output-env.js";
import { UsageError } from "../core/errors.js";

/**
 * A real access token: `hf_` and 30+ letters and digits (the Hub issues 34). Shorter `hf_…` names
 * (`hf_model.bin`, `hf_utils.py`) are ordinary file names and stay as they are.
 */
const TOKEN_SHAPED = /\bhf_[A-Za-z0-9]{30,}/g;
const MASK = "hf_***";

export function maskSecrets(text: string, secrets: readonly string[] = knownSecrets()): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join(MASK);
  return out.replace(TOKEN_SHAPED, MASK);
}

let masking = false;

/**
 * Puts `maskSecrets` in front of process.stdout and process.stderr (spinners and progress
 * included). Called once by main; idempotent.
 */
export function maskProcessOutput(): void {
  if (masking) return;
  masking = true;
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk === "string") return write(maskSecrets(chunk), ...rest);
      if (chunk instanceof Uint8Array) {
        const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("utf8");
        const masked = maskSecrets(text);
        return write(masked === text ? chunk : masked, ...rest);
      }
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

export function writeResult(text: string, outputPath: string | undefined): void {
  const masked = maskSecrets(text);
  if (outputPath === undefined) {
    process.stdout.write(masked);
    return;
  }
  try {
    writeFileAtomic(outputPath, masked);
  } catch (error) {
    throw new UsageError(`Cannot write the report to ${outputPath}`, { cause: error });
  }
}
