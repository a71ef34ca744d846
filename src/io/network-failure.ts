/** Connection failures of the node:http download path (io/http-get.ts, io/proxy-tunnel.ts). */

/** The connection failed or broke: worth retrying (and resuming). */
export class NetworkFailure extends Error {
  override readonly name = "NetworkFailure";
}

/** `ECONNRESET`, `ECONNREFUSED`…, or the message, for error text without URLs or headers. */
export function describeSocketError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== undefined && !error.message.includes(code)
      ? `${error.message} (${code})`
      : error.message;
  }
  return String(error);
}
