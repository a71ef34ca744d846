/**
 * Where the Hub is and who we are to it. Endpoint: `--hub-url`, else `HF_ENDPOINT`, else
 * https://huggingface.co (trailing slashes stripped). Token: `--token`, else `HF_TOKEN`, else the
 * token file (`HF_TOKEN_PATH`, else `$HF_HOME/token`, `HF_HOME` defaulting to
 * `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`), as huggingface_hub does.
 * With `HF_HUB_DISABLE_IMPLICIT_TOKEN` set, only `--token` is used.
 * A token not starting with hf_ is accepted for a self-hosted endpoint only (not huggingface.co).
 * The token value never appears in any message. `HF_HUB_DOWNLOAD_TIMEOUT` (seconds, as for
 * huggingface_hub's per-read timeout) sets how long a download connection may stay silent and the
 * window its minimum rate is judged over (io/http-get.ts); default 60 s.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { isTrueEnvValue } from "../core/env-flag.js";
import { HubError, UsageError } from "../core/errors.js";
import { expandHome, resolveHfHome } from "./hf-home.js";

export const DEFAULT_HUB_URL = "https://huggingface.co";

export type TokenSource = "flag" | "env" | "file" | "none";

export interface HubConfig {
  /** Origin (+ optional path prefix) without trailing slash. */
  hubUrl: string;
  token: string | undefined;
  tokenSource: TokenSource;
  /** Where the token file was looked for (for diagnostics; never its content). */
  tokenPath: string;
  /** `HF_HUB_DOWNLOAD_TIMEOUT` in ms, when set. */
  downloadTimeoutMs?: number | undefined;
  /** `HF_HUB_ETAG_TIMEOUT` in ms, when set. */
  etagTimeoutMs?: number | undefined;
}

export interface HubConfigOptions {
  hubUrl?: string | undefined;
  token?: string | undefined;
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Reads the token file; returns undefined when it does not exist. */
  readTokenFile?: (path: string) => string | undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

function defaultReadTokenFile(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw new UsageError(`Cannot read the Hugging Face token file ${path} (${code ?? "error"}).`, {
      cause: error,
    });
  }
}

export function tokenFilePath(env: NodeJS.ProcessEnv, home: string): string {
  const explicit = nonEmpty(env.HF_TOKEN_PATH);
  if (explicit !== undefined) return expandHome(explicit, home);
  return join(resolveHfHome(env, home), "token");
}

export function normalizeHubUrl(raw: string, from: string): string {
  const text = raw.trim().replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${from} "${text}" is not a URL (expected e.g. https://huggingface.co).`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new UsageError(`${from} must be an http(s) URL, not ${url.protocol}`);
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new UsageError(`${from} must not carry credentials, a query or a fragment.`);
  }
  return text;
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === "localhost" ||
    hostname === "[::1]" ||
    hostname === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(hostname)
  );
}

/** A timeout variable: positive seconds (decimals allowed), at most a day; ms, or undefined. */
function timeoutVariableMs(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds > 0 && seconds <= 86_400)) {
    throw new UsageError(
      `${name} must be a number of seconds above 0 and at most 86400, not ${JSON.stringify(raw.slice(0, 40))}.`,
    );
  }
  return Math.max(1, Math.round(seconds * 1000));
}

/**
 * A token may be sent to this endpoint: hf_… anywhere; any other token only to a self-hosted
 * endpoint, and only if it fits in a header. `where` names its source; the value is never shown.
 */
export function checkToken(url: URL, token: string, where: string): void {
  if (!/^hf_[A-Za-z0-9_-]+$/.test(token)) {
    // The public Hub only issues hf_ tokens: anything else sent there is a mistake (a password
    // or another service's key in HF_TOKEN) that would leak a secret to huggingface.co, and it
    // would escape the hf_… masking of messages. A self-hosted endpoint may issue any token
    // (SSO, JWT): accepted there if it can travel in a header (visible ASCII, no spaces).
    if (isPublicHub(url.hostname)) {
      throw new UsageError(
        `The token from ${where} does not look like a Hugging Face access token (hf_…), which is all ${url.hostname} issues; it is not shown here.`,
      );
    }
    if (!/^[\x21-\x7e]{1,8192}$/.test(token)) {
      throw new UsageError(
        `The token from ${where} contains spaces, control or non-ASCII characters, so it cannot be sent in an Authorization header; it is not shown here.`,
      );
    }
  }
}

/** huggingface.co (and its subdomains, hf.co): the public Hub, which issues only hf_ tokens. */
export function isPublicHub(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, "");
  return ["huggingface.co", "hf.co"].some((h) => host === h || host.endsWith(`.${h}`));
}

/** `HF_HUB_DOWNLOAD_TIMEOUT`: silence allowed on a download connection (default 60 s here). */
export function downloadTimeoutMs(env: NodeJS.ProcessEnv): number | undefined {
  return timeoutVariableMs(env, "HF_HUB_DOWNLOAD_TIMEOUT");
}

/** `HF_HUB_ETAG_TIMEOUT`: silence allowed on an API or metadata request (default 10 s). */
export function etagTimeoutMs(env: NodeJS.ProcessEnv): number | undefined {
  return timeoutVariableMs(env, "HF_HUB_ETAG_TIMEOUT");
}

const secretsInUse = new Set<string>();

/** Every token this process has resolved (to mask in whatever it prints). Never logged. */
export function knownSecrets(): readonly string[] {
  return [...secretsInUse];
}

export function resolveHubConfig(options: HubConfigOptions = {}): HubConfig {
  const env = options.env ?? process.env;
  const home = options.home ?? homedir();
  const flagUrl = nonEmpty(options.hubUrl);
  const envUrl = nonEmpty(env.HF_ENDPOINT);
  const hubUrl =
    flagUrl !== undefined
      ? normalizeHubUrl(flagUrl, "--hub-url")
      : envUrl !== undefined
        ? normalizeHubUrl(envUrl, "HF_ENDPOINT")
        : DEFAULT_HUB_URL;

  const tokenPath = tokenFilePath(env, home);
  let token: string | undefined;
  let tokenSource: TokenSource = "none";
  const flagToken = nonEmpty(options.token);
  const envToken = nonEmpty(env.HF_TOKEN);
  if (flagToken !== undefined) {
    token = flagToken;
    tokenSource = "flag";
  } else if (isTrueEnvValue(env.HF_HUB_DISABLE_IMPLICIT_TOKEN)) {
    // As huggingface_hub: only a token passed explicitly (--token) is sent; HF_TOKEN and the token
    // file are left alone.
  } else if (envToken !== undefined) {
    token = envToken;
    tokenSource = "env";
  } else {
    const fromFile = nonEmpty((options.readTokenFile ?? defaultReadTokenFile)(tokenPath));
    if (fromFile !== undefined) {
      token = fromFile;
      tokenSource = "file";
    }
  }
  if (token !== undefined) {
    const where = {
      flag: "--token",
      env: "HF_TOKEN",
      file: `the token file ${tokenPath}`,
      none: "",
    }[tokenSource];
    const url = new URL(hubUrl);
    checkToken(url, token, where);
    if (url.protocol === "http:" && !isLoopback(url.hostname)) {
      throw new UsageError(
        `Refusing to send a token to ${url.origin} over plain http; use https, or drop the token.`,
      );
    }
  }
  if (token !== undefined) secretsInUse.add(token);
  return {
    hubUrl,
    token,
    tokenSource,
    tokenPath,
    downloadTimeoutMs: downloadTimeoutMs(env),
    etagTimeoutMs: etagTimeoutMs(env),
  };
}

/** `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) set to 1/on/yes/true: no network at all. */
export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return isTrueEnvValue(env.HF_HUB_OFFLINE) || isTrueEnvValue(env.TRANSFORMERS_OFFLINE);
}

export function offlineError(what: string): HubError {
  return new HubError(
    "OFFLINE",
    `${what} needs the Hub, but HF_HUB_OFFLINE is set; unset it to allow network access.`,
  );
}
