/**
 * The one table of exit codes. Documented in the README; nothing else sets process.exitCode.
 */
import { type ErrorCode, isModelvetError } from "../core/errors.js";

export const EXIT = {
  OK: 0,
  BLOCKED: 1,
  USAGE: 2,
  HUB: 3,
  INTERNAL: 4,
  /** modelvet ci: modelvet.json and models.lock disagree. */
  OUT_OF_SYNC: 5,
  /** modelvet ci: the allowlist no longer admits a locked model. */
  POLICY: 6,
  /** modelvet ci: the Hub's tree at the pinned commit differs from the lock. */
  DRIFT: 7,
  /** modelvet ci: a pinned commit no longer exists on the Hub. */
  REVISION_GONE: 8,
  /** modelvet ci: downloaded or cached bytes do not match the lock. */
  INTEGRITY: 9,
  /** A model signature (model.sig) is missing, does not verify, or names another signer. */
  SIGNATURE: 10,
  /** modelvet audit: the worst finding at or above --audit-level is low / medium / high / critical. */
  AUDIT_LOW: 20,
  AUDIT_MEDIUM: 21,
  AUDIT_HIGH: 22,
  AUDIT_CRITICAL: 23,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const BY_ERROR_CODE: Record<ErrorCode, ExitCode> = {
  USAGE: EXIT.USAGE,
  INPUT_NOT_FOUND: EXIT.USAGE,
  INPUT_UNREADABLE: EXIT.USAGE,
  CONFIG_INVALID: EXIT.USAGE,
  POLICY_FILE_INVALID: EXIT.USAGE,
  LOCKFILE_INVALID: EXIT.USAGE,
  LOCKFILE_OUT_OF_SYNC: EXIT.USAGE,
  HUB_NOT_FOUND: EXIT.HUB,
  HUB_GATED: EXIT.HUB,
  HUB_PRIVATE: EXIT.HUB,
  HUB_AUTH: EXIT.HUB,
  HUB_REVISION_NOT_FOUND: EXIT.HUB,
  HUB_ENTRY_NOT_FOUND: EXIT.HUB,
  HUB_RATE_LIMITED: EXIT.HUB,
  HUB_UNAVAILABLE: EXIT.HUB,
  HUB_PROTOCOL: EXIT.HUB,
  HUB_DISABLED: EXIT.HUB,
  NETWORK: EXIT.HUB,
  OFFLINE: EXIT.HUB,
  CACHE: EXIT.USAGE,
  SCAN_BUDGET: EXIT.INTERNAL,
  SCAN_FORMAT: EXIT.INTERNAL,
  INTERNAL: EXIT.INTERNAL,
};

export function exitCodeForError(error: unknown): ExitCode {
  return isModelvetError(error) ? BY_ERROR_CODE[error.code] : EXIT.INTERNAL;
}
