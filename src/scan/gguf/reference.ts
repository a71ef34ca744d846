/**
 * Second opinion from @huggingface/gguf, the parser the Hub itself uses. The library only reads
 * from a URL through `fetch` with HTTP Range requests, so we hand it a `fetch` that serves those
 * ranges from our ByteSource: no network, no file access, the scanner stays pure.
 *
 * It runs only after our own bounded walk has accepted the header (the library trusts some counts
 * and zero-fills reads past the end), and only on headers small enough for its 50 MB buffer.
 * If it rejects the file or reads different counts, the two readers disagree: GGUF_INVALID.
 *
 * Loaded on first use: the library pulls in @huggingface/tasks (about 70 modules, ~120 ms of CPU),
 * which every CLI start would otherwise pay for, GGUF file or not.
 */
import type { ByteSource } from "../source.js";

/** The library's buffer cap is 50 MB; leave room for its 2 MB read-ahead. */
export const REFERENCE_MAX_HEADER = 40 * 1000 * 1000;

export interface ReferenceReading {
  tensorCount: number;
  kvCount: number;
  parameterCount: number;
  tensorDataOffset: number;
}

function rangeFetch(source: ByteSource): typeof fetch {
  return (async (_input: unknown, init?: { headers?: Record<string, string> }) => {
    const range = /^bytes=(\d+)-(\d+)$/.exec(init?.headers?.Range ?? "");
    if (!range) return new Response(null, { status: 416 });
    const start = Number(range[1]);
    const end = Math.min(Number(range[2]), source.size - 1);
    const body = start < source.size ? source.read(start, end - start + 1) : new Uint8Array(0);
    return new Response(body.slice(), {
      status: 206,
      headers: { "content-range": `bytes ${start}-${end}/${source.size}` },
    });
  }) as unknown as typeof fetch;
}

export async function readWithReference(source: ByteSource): Promise<ReferenceReading> {
  const { gguf } = await import("@huggingface/gguf");
  const parsed = await gguf("https://modelvet.invalid/model.gguf", {
    fetch: rangeFetch(source),
    computeParametersCount: true,
  });
  return {
    tensorCount: Number(parsed.metadata.tensor_count),
    kvCount: Number(parsed.metadata.kv_count),
    parameterCount: parsed.parameterCount,
    tensorDataOffset: Number(parsed.tensorDataOffset),
  };
}
