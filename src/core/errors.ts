/**
 * Errors mean "could not decide". Findings (see finding.ts) mean "decided: not OK".
 * One small base class with a literal-union code; a few subclasses by area.
 * Third-party errors are wrapped once, at the io/ edge, with the original kept as `cause`.
 */

export type ErrorCode =
  | "USAGE"
  | "INPUT_NOT_FOUND"
  | "INPUT_UNREADABLE"
  | "CONFIG_INVALID"
  | "POLICY_FILE_INVALID"
  | "LOCKFILE_INVALID"
  | "LOCKFILE_OUT_OF_SYNC"
  | "HUB_NOT_FOUND"
  | "HUB_GATED"
  | "HUB_PRIVATE"
  | "HUB_AUTH"
  | "HUB_REVISION_NOT_FOUND"
  | "HUB_ENTRY_NOT_FOUND"
  | "HUB_RATE_LIMITED"
  | "HUB_UNAVAILABLE"
  | "HUB_PROTOCOL"
  | "HUB_DISABLED"
  | "NETWORK"
  | "OFFLINE"
  | "CACHE"
  | "SCAN_BUDGET"
  | "SCAN_FORMAT"
  | "INTERNAL";

export class ModelvetError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad command line, bad flag value, nothing to do. */
export class UsageError extends ModelvetError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("USAGE", message, options);
  }
}

/** A file or folder the user named could not be read, or a config/policy/lock file is invalid. */
export class InputError extends ModelvetError {}

/** The Hub answered with an error, or could not be reached. */
export class HubError extends ModelvetError {
  readonly status: number | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; status?: number | undefined },
  ) {
    super(code, message, options);
    this.status = options?.status;
  }
}

/** A scanner could not finish. Callers turn this into an UNSCANNABLE finding: it never means clean. */
export class ScanError extends ModelvetError {
  readonly offset: number | undefined;
  constructor(
    code: "SCAN_BUDGET" | "SCAN_FORMAT",
    message: string,
    options?: { cause?: unknown; offset?: number | undefined },
  ) {
    super(code, message, options);
    this.offset = options?.offset;
  }
}

export function isModelvetError(value: unknown): value is ModelvetError {
  return value instanceof ModelvetError;
}

/** Message of any thrown value, for wrapping. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
