/**
 * Reading an advisory file for `modelvet audit --advisories`: a local path, or an http(s) URL
 * fetched without any credentials (the Hub token is never sent to an advisory server), with a
 * time limit and a size cap, through the proxy the environment names (io/net-agent.ts).
 */
import { readFileSync } from "node:fs";
import { HubError, InputError, ModelvetError } from "../core/errors.js";
import { networkFetch } from "./net-agent.js";

const MAX_BYTES = 32 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

export async function readAdvisorySource(spec: string): Promise<string> {
  if (!/^https?:\/\//i.test(spec)) {
    try {
      return readFileSync(spec, "utf8");
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      throw new InputError(
        missing ? "INPUT_NOT_FOUND" : "INPUT_UNREADABLE",
        `Cannot read the advisory file ${spec}`,
        { cause: error },
      );
    }
  }
  let response: Response;
  try {
    response = await networkFetch(spec, {
      headers: { accept: "application/json" },
      redirect: "follow",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    if (error instanceof ModelvetError) throw error;
    throw new HubError("NETWORK", `Cannot fetch the advisories from ${spec}`, { cause: error });
  }
  if (!response.ok)
    throw new HubError(
      "NETWORK",
      `The advisory server answered HTTP ${response.status} for ${spec}.`,
      {
        status: response.status,
      },
    );
  const declared = Number(response.headers.get("content-length") ?? 0);
  if (declared > MAX_BYTES)
    throw new InputError(
      "INPUT_UNREADABLE",
      `${spec}: more than ${MAX_BYTES} bytes of advisories.`,
    );
  // Read as it streams, so a server that never stops cannot fill memory.
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const next = await reader?.read();
      if (next === undefined || next.done) break;
      total += next.value.length;
      if (total > MAX_BYTES) {
        await reader?.cancel();
        throw new InputError(
          "INPUT_UNREADABLE",
          `${spec}: more than ${MAX_BYTES} bytes of advisories.`,
        );
      }
      chunks.push(next.value);
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new HubError("NETWORK", `Cannot read the advisories from ${spec}`, { cause: error });
  }
  return Buffer.concat(chunks).toString("utf8");
}
