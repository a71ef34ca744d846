/**
 * The one place that imports undici: the `fetch` every Hub API call, probe, small-file read and
 * advisory download goes through (io/fetch.ts, io/advisory-source.ts; `@huggingface/hub` is
 * given this fetch too), dispatched by undici's `EnvHttpProxyAgent`, so `HTTP_PROXY`,
 * `HTTPS_PROXY` and `NO_PROXY` apply to each request. The variables are read here and handed to
 * the agent explicitly (core/proxy-rules.ts: lower case first, empty = unset), the same settings
 * the node:http download path uses (io/http-get.ts).
 *
 * Plain-http requests go to an http proxy in absolute form (`GET http://host/path`), as curl and
 * Python's clients send them; https requests are tunnelled with CONNECT.
 *
 * undici is loaded on the first request, not at start-up (`--help` stays fast).
 */
import type { Dispatcher } from "undici";
import { type ProxyEnv, proxySettingsFrom } from "../core/proxy-rules.js";

let cached: { key: string; dispatcher: Dispatcher } | undefined;

/** The dispatcher for the proxy settings in `env` (one per distinct setting, kept). */
export async function networkDispatcher(env: ProxyEnv = process.env): Promise<Dispatcher> {
  const settings = proxySettingsFrom(env);
  const key = JSON.stringify(settings);
  if (cached?.key === key) return cached.dispatcher;
  const { EnvHttpProxyAgent } = await import("undici");
  const dispatcher = new EnvHttpProxyAgent({
    httpProxy: settings.httpProxy ?? "",
    httpsProxy: settings.httpsProxy ?? "",
    noProxy: settings.noProxy,
    proxyTunnel: false,
  });
  const previous = cached?.dispatcher;
  cached = { key, dispatcher };
  void previous?.close().catch(() => undefined);
  return dispatcher;
}

/** `fetch` through the proxy settings of the environment at the time of each request. */
export const networkFetch: typeof fetch = async (input, init) => {
  const [{ fetch: undiciFetch }, dispatcher] = await Promise.all([
    import("undici"),
    networkDispatcher(),
  ]);
  const target = input instanceof Request ? input.url : input;
  return (await undiciFetch(
    target as string | URL,
    {
      ...(init as object),
      dispatcher,
    } as Parameters<typeof undiciFetch>[1],
  )) as unknown as Response;
};
