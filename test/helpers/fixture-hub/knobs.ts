/**
 * Fault knobs: plain mutable data that tests change at run time (`hub.knobs.serverError.push(…)`).
 * Each rule fires for the next `times` matching requests, then stays in the list with `times: 0`.
 */

/** Which loopback origin answered: the Hub, the LFS "CDN", or the foreign origin of a redirect. */
export type Origin = "hub" | "cdn" | "foreign";

export interface FaultRule {
  /**
   * Which requests the rule applies to: a substring of the decoded request path, or a RegExp
   * tested against "<METHOD> <decoded path>" (e.g. /^GET \/api\/models\/[^/]+\/[^/]+\/tree\//).
   * Omitted: every request.
   */
  route?: string | RegExp;
  /** Only on this origin (default: any). */
  origin?: Origin;
  /** How many more matching requests this rule affects; decremented as it fires. */
  times: number;
}

export interface RateLimitRule extends FaultRule {
  /** Seconds sent in Retry-After and as `t=` of the RateLimit header (default 1). */
  retryAfter?: number;
  /** Omit the Retry-After header (RateLimit headers only). */
  omitRetryAfter?: boolean;
}

export interface ServerErrorRule extends FaultRule {
  /** 500 (default), 502, 503 or 504. */
  status?: 500 | 502 | 503 | 504;
}

export interface BodyFaultRule extends FaultRule {
  /** Bytes of the body sent before the connection is cut (default: half the body). */
  afterBytes?: number;
  /**
   * Leave 206 responses alone, so a client's `Range: bytes=0-0` probe (fileDownloadInfo,
   * WebBlob) does not use the rule up before the real download.
   */
  onlyFullBodies?: boolean;
}

export interface DelayRule extends FaultRule {
  /** Milliseconds to wait before answering (then the request is handled normally). */
  ms: number;
}

/** Rewrites the `Link: <…>; rel="next"` of a tree or commit page (hostile pagination). */
export interface NextLinkRule extends FaultRule {
  /** The URL to advertise instead, given the honest next-page URL and the page being answered. */
  rewrite: (honest: URL, current: URL) => string;
}

/** Answers matching Hub requests with a redirect instead (hostile or malformed redirects). */
export interface RedirectRule extends FaultRule {
  /** Sent verbatim as `Location` (may be malformed on purpose). */
  location: string;
  /** 302 (default), 301, 303, 307 or 308. */
  status?: 301 | 302 | 303 | 307 | 308;
}

/** Adds a tree entry whose path carries the caller's token (a Hub echoing credentials). */
export interface TokenEchoRule extends FaultRule {
  /** The file (at the listed revision) whose metadata and bytes the echoed entry reuses. */
  copyOf: string;
}

/** A body sent a little at a time: never silent, never done in reasonable time. */
export interface TrickleRule extends BodyFaultRule {
  /** Bytes per write (default 1). */
  bytes?: number;
  /** Milliseconds between writes (default 20). */
  everyMs?: number;
}

export interface FaultKnobs {
  /** 429 Too Many Requests with RateLimit / RateLimit-Policy / Retry-After. */
  rateLimit: RateLimitRule[];
  /** 5xx with a JSON error body. */
  serverError: ServerErrorRule[];
  /** Full headers (true Content-Length), part of the body, then a clean close of the socket. */
  truncate: BodyFaultRule[];
  /** Full headers, part of the body, then a TCP reset. */
  reset: BodyFaultRule[];
  /** Full headers, then the body a byte (or `bytes`) every `everyMs` until the client gives up. */
  trickle: TrickleRule[];
  /** Resolve requests answer 302 to the foreign origin (which records Authorization) instead. */
  foreignRedirect: FaultRule[];
  /** Tree and commit pages advertise another `next` link (another origin, path, repo…). */
  nextLink: NextLinkRule[];
  /** Any Hub request answers with a redirect to `location` (checked before rate limits). */
  redirect: RedirectRule[];
  /**
   * Tree listings gain `<dir>/echo-<token>-<name>` mirroring `copyOf` (same oid, size, LFS), and
   * resolve serves `copyOf`'s bytes for it: the path is `copyOf` with the token inserted.
   */
  tokenEcho: TokenEchoRule[];
  /** Cap on tree and commit page sizes (null: the Hub defaults 1000 / 100 with expand). */
  pageSize: number | null;
  /**
   * Regular (non-LFS) files: answer resolve with the current Hub's 307 to
   * /api/resolve-cache/… (true, default) or directly with 200 (false, the older Hub).
   */
  resolveCacheRedirect: boolean;
  /**
   * Advertise LFS files as Xet-backed: `xetHash` in tree/paths-info, `X-Xet-Hash` + `Link`
   * (xet-auth, xet-reconstruction-info) on resolve, and the 200 `application/vnd.xet-fileinfo+json`
   * answer to clients that ask for it. The Xet CAS (cas-routes.ts, on the CDN origin) serves
   * those files through the reconstruction API; the LFS redirect to the CDN keeps working too.
   */
  xet: boolean;
  /**
   * The CAS answers `GET /v2/reconstructions/…` (true, default) or 404s it like a CAS that only
   * knows v1 (false), so clients that try v2 first must fall back.
   */
  xetReconstructionV2: boolean;
  /** Answer matching requests only after a pause (slow Hub; makes races between runs certain). */
  delay: DelayRule[];
}

export function defaultKnobs(pageSize: number | null = null): FaultKnobs {
  return {
    rateLimit: [],
    serverError: [],
    truncate: [],
    reset: [],
    trickle: [],
    foreignRedirect: [],
    nextLink: [],
    redirect: [],
    tokenEcho: [],
    pageSize,
    resolveCacheRedirect: true,
    xet: false,
    xetReconstructionV2: true,
    delay: [],
  };
}

export function ruleMatches(
  rule: FaultRule,
  origin: Origin,
  method: string,
  path: string,
): boolean {
  if (rule.times <= 0) return false;
  if (rule.origin && rule.origin !== origin) return false;
  if (rule.route === undefined) return true;
  if (typeof rule.route === "string") return path.includes(rule.route);
  rule.route.lastIndex = 0;
  return rule.route.test(`${method} ${path}`);
}

/** Finds the first live matching rule (that `accept` also allows) and consumes one use of it. */
export function takeRule<R extends FaultRule>(
  rules: R[],
  origin: Origin,
  method: string,
  path: string,
  accept: (rule: R) => boolean = () => true,
): R | null {
  for (const rule of rules) {
    if (ruleMatches(rule, origin, method, path) && accept(rule)) {
      rule.times -= 1;
      return rule;
    }
  }
  return null;
}
