/**
 * Buffered answers for the fetch wrapper (io/fetch.ts): read whole, within a byte bound and a
 * silence timeout, and rebuilt as a Response, so a body cut short is retried rather than
 * half-parsed.
 */

export class BodyTooLarge extends Error {}

/** An abort signal that fires after `ms` of silence; `touch()` restarts the wait. */
export function silenceTimer(ms: number): { signal: AbortSignal; touch(): void; clear(): void } {
  const controller = new AbortController();
  const fire = () =>
    controller.abort(new DOMException(`no answer for ${ms / 1000} s`, "TimeoutError"));
  let timer = setTimeout(fire, ms);
  return {
    signal: controller.signal,
    touch: () => {
      clearTimeout(timer);
      timer = setTimeout(fire, ms);
    },
    clear: () => clearTimeout(timer),
  };
}

export async function readBounded(
  response: Response,
  max: number,
  onChunk: () => void = () => undefined,
): Promise<Uint8Array> {
  const declared = Number(response.headers.get("Content-Length") ?? "NaN");
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel();
    throw new BodyTooLarge(`${declared} bytes`);
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onChunk();
    total += value.byteLength;
    if (total > max) {
      await reader.cancel();
      throw new BodyTooLarge(`more than ${max} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

export function rebuild(original: Response, body: Uint8Array): Response {
  const copy = new Response(original.status === 204 ? null : body, {
    status: original.status,
    statusText: original.statusText,
    headers: original.headers,
  });
  // The library reads `url` (error messages, same-origin checks); a rebuilt Response has none.
  Object.defineProperty(copy, "url", { value: original.url });
  return copy;
}
