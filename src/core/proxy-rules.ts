/**
 * Which proxy a request goes through, from `HTTP_PROXY` / `HTTPS_PROXY` / `NO_PROXY` (and their
 * lower-case forms). Pure: the environment comes in as a record.
 *
 * The rules are undici's `EnvHttpProxyAgent` (io/net-agent.ts uses it for every fetch), written
 * out here so the node:http download path (io/http-get.ts) decides the same way; a test checks
 * that the two agree case by case:
 *   - the lower-case variable wins over the upper-case one; an empty value counts as unset;
 *   - `https:` URLs use HTTPS_PROXY, else HTTP_PROXY; `http:` URLs use HTTP_PROXY only;
 *   - NO_PROXY is a list split on commas and spaces: `*` bypasses every host; an entry matches the
 *     host itself and its subdomains (`example.org`, `.example.org` and `*.example.org` all cover
 *     `a.example.org`); `host:port` only that port. There is no CIDR matching, and loopback is not
 *     special: `127.0.0.1` and `localhost` are proxied unless NO_PROXY names them.
 *   - A proxy written without a scheme (`proxy:3128`) is `http://proxy:3128`, as curl reads it.
 */
import { UsageError } from "./errors.js";

export interface ProxyEnv {
  HTTP_PROXY?: string | undefined;
  http_proxy?: string | undefined;
  HTTPS_PROXY?: string | undefined;
  https_proxy?: string | undefined;
  NO_PROXY?: string | undefined;
  no_proxy?: string | undefined;
}

export interface ProxySettings {
  /** Normalized proxy URL for http: targets (and https: ones when httpsProxy is unset). */
  httpProxy: string | undefined;
  httpsProxy: string | undefined;
  /** The NO_PROXY list as written ("" when unset). */
  noProxy: string;
}

const set = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());

/** A proxy URL without its credentials, for messages. */
export function displayProxy(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(unparsable)";
  }
}

function normalizeProxy(raw: string | undefined, variable: string): string | undefined {
  if (raw === undefined) return undefined;
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `${variable} is not a proxy URL (expected e.g. http://proxy.example:3128); it is not shown here, as it may hold a password.`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(
      `${variable} must be an http:// or https:// proxy, not ${url.protocol}//… (SOCKS proxies are not supported).`,
    );
  }
  if (url.hostname === "") throw new UsageError(`${variable} names no proxy host.`);
  return url.href;
}

export function proxySettingsFrom(env: ProxyEnv): ProxySettings {
  const httpVar = set(env.http_proxy) !== undefined ? "http_proxy" : "HTTP_PROXY";
  const httpsVar = set(env.https_proxy) !== undefined ? "https_proxy" : "HTTPS_PROXY";
  return {
    httpProxy: normalizeProxy(set(env.http_proxy) ?? set(env.HTTP_PROXY), httpVar),
    httpsProxy: normalizeProxy(set(env.https_proxy) ?? set(env.HTTPS_PROXY), httpsVar),
    noProxy: set(env.no_proxy) ?? set(env.NO_PROXY) ?? "",
  };
}

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443 };

/** NO_PROXY covers this host and port. */
export function bypassesProxy(url: URL, noProxy: string): boolean {
  const entries = noProxy.split(/[,\s]/).filter((e) => e !== "");
  if (entries.length === 0) return false;
  if (noProxy.trim() === "*") return true;
  const hostname = url.host.replace(/:\d*$/, "").toLowerCase();
  const port = Number.parseInt(url.port, 10) || DEFAULT_PORTS[url.protocol] || 0;
  for (const entry of entries) {
    const m = /^(.+):(\d+)$/.exec(entry);
    const host = (m ? m[1]! : entry).replace(/^\*?\./, "").toLowerCase();
    const entryPort = m ? Number.parseInt(m[2]!, 10) : 0;
    if (entryPort !== 0 && entryPort !== port) continue;
    if (hostname === host || hostname.endsWith(`.${host}`)) return true;
  }
  return false;
}

/** The proxy URL this request goes through, or undefined for a direct connection. */
export function proxyForUrl(url: URL, settings: ProxySettings): string | undefined {
  if (bypassesProxy(url, settings.noProxy)) return undefined;
  if (url.protocol === "https:") return settings.httpsProxy ?? settings.httpProxy;
  if (url.protocol === "http:") return settings.httpProxy;
  return undefined;
}
