/**
 * Receiving a download's body into its sink (io/download-sink.ts), at most the bytes still
 * expected: a longer body is cut off as soon as it passes the size, a body that breaks is a
 * `Truncated` (the next attempt resumes), a disk error is thrown as it is.
 */
import type { DownloadSink } from "./download-sink.js";
import { type HttpResponse, NetworkFailure } from "./http-get.js";

/** The body stopped before its end: the next attempt resumes from what reached the file. */
export class Truncated extends Error {}

/**
 * Stream the body into `sink`, at most `room` bytes. A longer body is cut off as soon as it passes
 * the size; a body that breaks is a `Truncated`; a disk error is thrown as it is. While the body
 * is paused for the sink, the idle timer is stopped: only silence we did not ask for is a stall.
 */
export function receive(
  response: HttpResponse,
  sink: DownloadSink,
  room: number,
): Promise<{ received: number; tooLong: boolean }> {
  const body = response.body;
  response.idleTimer(true);
  return new Promise((resolve, reject) => {
    let received = 0;
    let settled = false;
    const settle = (done: () => void) => {
      if (settled) return;
      settled = true;
      body.removeListener("data", onData);
      done();
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > room) {
        body.destroy();
        settle(() => resolve({ received, tooLong: true }));
        return;
      }
      let accepted: boolean;
      try {
        accepted = sink.write(chunk);
      } catch (error) {
        body.destroy();
        settle(() => reject(error));
        return;
      }
      if (!accepted) {
        body.pause();
        response.idleTimer(false);
        void sink.whenReady().then(() => {
          if (settled) return;
          response.idleTimer(true);
          body.resume();
        });
      }
    };
    if (body.destroyed) {
      // It broke while the partial file was being re-hashed: what it held is gone with it.
      settle(() => reject(new Truncated("the connection broke before the body was read")));
      return;
    }
    body.on("data", onData);
    body.on("end", () => settle(() => resolve({ received, tooLong: false })));
    body.on("error", (error) =>
      settle(() =>
        reject(
          new Truncated(
            `the connection broke after ${received} bytes${error instanceof NetworkFailure ? ` (${error.message})` : ""}`,
            { cause: error },
          ),
        ),
      ),
    );
    body.on("close", () =>
      settle(() =>
        body.complete
          ? resolve({ received, tooLong: false })
          : reject(new Truncated(`the connection closed after ${received} bytes`)),
      ),
    );
  });
}
