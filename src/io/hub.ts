/**
 * The Hub adapter: the only file that loads `@huggingface/hub` (on first use). Every call goes through the
 * fetch wrapper (io/fetch.ts) and comes back either as our own types (core/repo-file.ts,
 * core/revision.ts) or as a HubError whose code and message say what happened and what to do.
 * Hub JSON is validated here, at the edge; a malformed answer is HUB_PROTOCOL, never guessed at.
 */
import { createHash } from "node:crypto";
import { HubError, ModelvetError, UsageError } from "../core/errors.js";
import { HEX40 } from "../core/object-id.js";
import type { DownloadInfo, HubSecurityStatus, RepoFile, RepoInfo } from "../core/repo-file.js";
import type { RepoRefs, ResolvedRevision } from "../core/revision.js";
import {
  type BufferMode,
  createRecordingFetch,
  type HubFetchOptions,
  type RecordingFetch,
  type RequestScope,
  redactSecrets,
} from "./fetch.js";
import { checkToken, type HubConfig } from "./hub-config.js";
import { type CallContext, classifyFailure, cleanHubText } from "./hub-errors.js";
import { resolveModelRef } from "./hub-resolve.js";
import { parseTreeEntries, refsWire, securityWire } from "./hub-wire.js";

type HubLibrary = typeof import("@huggingface/hub");
let hubLibrary: HubLibrary | undefined;

/**
 * @huggingface/hub, loaded on the first Hub call: it pulls in @huggingface/tasks (about 70
 * modules), which commands that never reach the Hub (scan, ci --offline…) should not pay for.
 */
async function library(): Promise<HubLibrary> {
  hubLibrary ??= await import("@huggingface/hub");
  return hubLibrary;
}

export interface HubClientOptions
  extends Pick<HubFetchOptions, "retry" | "sleep" | "fetch" | "onRetry" | "maxBufferedBytes"> {
  /** Bound on commits read while matching a short commit id. Default 5000. */
  maxCommitsScanned?: number;
}

export type VerifiedBytes =
  | { ok: true; bytes: Uint8Array }
  | {
      ok: false;
      algorithm: "sha256" | "git-sha1" | "size";
      expected: string | number;
      actual: string | number;
    };

export function gitBlobSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.byteLength}\0`).update(bytes).digest("hex");
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

const short = (commit: string) => commit.slice(0, 7);

export class HubClient {
  readonly hubUrl: string;
  readonly #token: string | undefined;
  readonly #options: HubClientOptions;
  readonly #downloadTimeoutMs: number | undefined;

  constructor(
    config: Pick<HubConfig, "hubUrl" | "token" | "downloadTimeoutMs" | "etagTimeoutMs">,
    options: HubClientOptions = {},
  ) {
    this.hubUrl = config.hubUrl;
    if (config.token !== undefined) checkToken(new URL(config.hubUrl), config.token, "the caller");
    this.#token = config.token;
    // HF_HUB_ETAG_TIMEOUT bounds the silence of API and metadata requests, unless a caller set one.
    this.#options =
      config.etagTimeoutMs === undefined || options.retry?.timeoutMs !== undefined
        ? options
        : { ...options, retry: { ...options.retry, timeoutMs: config.etagTimeoutMs } };
    this.#downloadTimeoutMs = config.downloadTimeoutMs;
  }

  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** A fetch for callers that stream bodies themselves (downloads): retries before the body only. */
  streamingFetch(): typeof fetch {
    return this.#recorder("none", "files").fetch;
  }

  /**
   * This client's retry rules for downloaders that stream over node:http (io/download.ts), and
   * `HF_HUB_DOWNLOAD_TIMEOUT` as the idle timeout (which is also the progress rule's window).
   */
  transferOptions(): Pick<HubClientOptions, "retry" | "sleep" | "onRetry"> & {
    idleTimeoutMs?: number;
  } {
    return {
      retry: this.#options.retry,
      sleep: this.#options.sleep,
      onRetry: this.#options.onRetry,
      ...(this.#downloadTimeoutMs === undefined ? {} : { idleTimeoutMs: this.#downloadTimeoutMs }),
    };
  }

  /** `Authorization` for the Hub's own origin, for downloaders that follow redirects by hand. */
  authFor(): { origin: string; authorization: string } | undefined {
    return this.#token === undefined
      ? undefined
      : { origin: new URL(this.hubUrl).origin, authorization: `Bearer ${this.#token}` };
  }

  /** The resolve URL of one file at a commit. */
  resolveUrl(repo: string, commit: string, path: string): string {
    return `${this.hubUrl}/${repo}/resolve/${encodeURIComponent(commit)}/${encodePath(path)}`;
  }

  #recorder(mode: BufferMode, scope: RequestScope): RecordingFetch {
    return createRecordingFetch(
      { ...this.#options, token: this.#token, hubUrl: this.hubUrl },
      mode,
      scope,
    );
  }

  #context(what: string, repo: string, revision?: string, path?: string): CallContext {
    return { what, repo, revision, path, hubUrl: this.hubUrl, token: this.#token };
  }

  /** Runs one logical call with a fresh recorder and turns whatever fails into a HubError. */
  async #call<T>(
    ctx: CallContext,
    fn: (fetch: typeof globalThis.fetch) => Promise<T>,
    mode: BufferMode = "api",
    scope: RequestScope = "api",
  ): Promise<T> {
    const recorder = this.#recorder(mode, scope);
    try {
      return await fn(recorder.fetch);
    } catch (error) {
      throw this.#translate(ctx, error, recorder);
    }
  }

  #translate(ctx: CallContext, error: unknown, recorder: RecordingFetch): unknown {
    if (error instanceof ModelvetError) return error;
    const failure = recorder.lastFailure();
    if (failure !== undefined) {
      const detail = error instanceof Error ? error.message : undefined;
      const classified = classifyFailure(ctx, failure, detail);
      (classified as { cause?: unknown }).cause = error;
      return classified;
    }
    const message = redactSecrets(
      cleanHubText(error instanceof Error ? error.message : String(error), 500),
      this.#token,
    );
    if (error instanceof TypeError && /access token/i.test(message)) {
      return new UsageError(`${message} (the token itself is not shown)`);
    }
    if (
      (hubLibrary !== undefined &&
        (error instanceof hubLibrary.HubApiError ||
          error instanceof hubLibrary.InvalidApiResponseFormatError)) ||
      error instanceof SyntaxError ||
      error instanceof TypeError
    ) {
      return new HubError(
        "HUB_PROTOCOL",
        `The Hub's answer could not be used while trying to ${ctx.what}: ${message}`,
        { cause: error },
      );
    }
    // Anything else is our own bug, not the Hub's: let it reach the top-level catch as internal.
    return error;
  }

  #protocol(what: string, detail: string): HubError {
    return new HubError(
      "HUB_PROTOCOL",
      redactSecrets(`The Hub's answer to "${what}" is malformed: ${detail}.`, this.#token),
    );
  }

  /** Repo info at a revision (`HEAD` = default branch): the commit it points at, gated, private. */
  async fetchRepoInfo(repo: string, revision = "HEAD"): Promise<RepoInfo> {
    const what = `read ${repo} at ${revision}`;
    const info = await this.#call(this.#context(what, repo, revision), async (fetch) =>
      (await library()).modelInfo({
        name: repo,
        revision,
        additionalFields: ["sha"],
        hubUrl: this.hubUrl,
        fetch,
      }),
    );
    const sha = (info as { sha?: unknown }).sha;
    if (typeof sha !== "string" || !HEX40.test(sha)) {
      throw this.#protocol(what, "no 40-hex commit id in `sha`");
    }
    const gated = info.gated;
    if (gated !== false && gated !== "auto" && gated !== "manual" && gated !== undefined) {
      throw this.#protocol(what, "`gated` is not false, auto or manual");
    }
    if (info.private !== undefined && typeof info.private !== "boolean") {
      throw this.#protocol(what, "`private` is not true or false");
    }
    return { repo, commit: sha, gated: gated ?? false, private: info.private === true };
  }

  /** Branches and tags (`GET /api/models/{repo}/refs`, which the library lacks). */
  async fetchRefs(repo: string): Promise<RepoRefs> {
    const what = `list the branches and tags of ${repo}`;
    const json = await this.#call(this.#context(what, repo), async (fetch) => {
      const response = await fetch(`${this.hubUrl}/api/models/${repo}/refs`, {
        headers: { accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.json()) as unknown;
    });
    const parsed = refsWire.safeParse(json);
    if (!parsed.success) throw this.#protocol(what, parsed.error.issues[0]?.message ?? "invalid");
    const map = (items: Array<{ name: string; targetCommit: string }>) =>
      items.map((r) => ({ name: r.name, commit: r.targetCommit }));
    return { branches: map(parsed.data.branches), tags: map(parsed.data.tags) };
  }

  /** Commit ids reachable from `commit`, newest first, at most `limit`. */
  async fetchCommitIds(repo: string, commit: string, limit: number): Promise<string[]> {
    const what = `list the commits of ${repo} from ${short(commit)}`;
    return this.#call(this.#context(what, repo, commit), async (fetch) => {
      const ids: string[] = [];
      for await (const c of (await library()).listCommits({
        repo: { type: "model", name: repo },
        revision: commit,
        hubUrl: this.hubUrl,
        batchSize: Math.min(limit, 1000),
        fetch,
      })) {
        if (typeof c.oid !== "string" || !HEX40.test(c.oid)) {
          throw this.#protocol(what, "a commit id is not 40 hex");
        }
        ids.push(c.oid);
        if (ids.length >= limit) break;
      }
      return ids;
    });
  }

  /**
   * Resolves `ref` (see core/revision.ts for the order of interpretation) to a commit, then reads
   * the repo at that commit, which proves the commit exists and that we may read it.
   */
  resolveModel(
    repo: string,
    ref: string | undefined,
  ): Promise<{ revision: ResolvedRevision; info: RepoInfo }> {
    return resolveModelRef(this, repo, ref, {
      maxCommitsScanned: this.#options.maxCommitsScanned ?? 5000,
      protocol: (what, detail) => this.#protocol(what, detail),
    });
  }

  /** Every file at `commit` (recursive; `expand` adds last commit and the Hub's scan status). */
  async listRepoFiles(
    repo: string,
    commit: string,
    options: { expand?: boolean } = {},
  ): Promise<RepoFile[]> {
    const what = `list the files of ${repo} at ${short(commit)}`;
    const entries = await this.#call(this.#context(what, repo, commit), async (fetch) => {
      const out: unknown[] = [];
      for await (const entry of (await library()).listFiles({
        repo: { type: "model", name: repo },
        revision: commit,
        recursive: true,
        expand: options.expand ?? false,
        hubUrl: this.hubUrl,
        fetch,
      })) {
        out.push(entry);
      }
      return out;
    });
    return parseTreeEntries(entries, this.#token, (detail) => this.#protocol(what, detail));
  }

  /**
   * The Hub's repo-level security scan summary (`?securityStatus=true`), advisory only. Returns
   * undefined when the Hub gives none.
   */
  async fetchSecurityStatus(repo: string, commit: string): Promise<HubSecurityStatus | undefined> {
    const what = `read the Hub's security status of ${repo}`;
    const json = await this.#call(this.#context(what, repo, commit), async (fetch) => {
      const response = await fetch(
        `${this.hubUrl}/api/models/${repo}/revision/${encodeURIComponent(commit)}?securityStatus=true`,
        { headers: { accept: "application/json" } },
      );
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      return (await response.json()) as unknown;
    });
    const parsed = securityWire.safeParse(json);
    if (!parsed.success) throw this.#protocol(what, parsed.error.issues[0]?.message ?? "invalid");
    const status = parsed.data.securityRepoStatus;
    if (status === undefined) return undefined;
    return {
      scansDone: status.scansDone,
      filesWithIssues: status.filesWithIssues.map((item) => {
        const o = (item ?? {}) as { path?: unknown; level?: unknown };
        return {
          path: typeof o.path === "string" ? o.path : JSON.stringify(item).slice(0, 200),
          level: typeof o.level === "string" ? o.level : undefined,
        };
      }),
      detail: status,
    };
  }

  /**
   * Reads one small file at a commit and checks it against the tree before anyone uses it: size,
   * then sha256 (LFS) or the git blob sha1. Redirects are followed by hand; the token goes only to
   * the Hub's own origin. Callers bound the size first (`file.size`).
   */
  async fetchVerifiedFile(repo: string, commit: string, file: RepoFile): Promise<VerifiedBytes> {
    const what = `read ${file.path} of ${repo} at ${short(commit)}`;
    const bytes = await this.#call(
      this.#context(what, repo, commit, file.path),
      async (fetch) => {
        // The fetch wrapper follows redirects (the CDN) and sends the token to the Hub only.
        const response = await fetch(this.resolveUrl(repo, commit, file.path));
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        return new Uint8Array(await response.arrayBuffer());
      },
      "all",
      "files",
    );
    if (bytes.byteLength !== file.size) {
      return { ok: false, algorithm: "size", expected: file.size, actual: bytes.byteLength };
    }
    if (file.lfs !== undefined) {
      const actual = createHash("sha256").update(bytes).digest("hex");
      return actual === file.lfs.sha256
        ? { ok: true, bytes }
        : { ok: false, algorithm: "sha256", expected: file.lfs.sha256, actual };
    }
    const actual = gitBlobSha1(bytes);
    return actual === file.gitOid
      ? { ok: true, bytes }
      : { ok: false, algorithm: "git-sha1", expected: file.gitOid, actual };
  }

  /** Size and ETag of one file at a commit, without its body (null when the entry is missing). */
  async fetchDownloadInfo(
    repo: string,
    commit: string,
    path: string,
  ): Promise<DownloadInfo | null> {
    const what = `probe ${path} of ${repo} at ${short(commit)}`;
    const info = await this.#call(
      this.#context(what, repo, commit, path),
      async (fetch) =>
        (await library()).fileDownloadInfo({
          repo: { type: "model", name: repo },
          path,
          revision: commit,
          hubUrl: this.hubUrl,
          fetch,
        }),
      "api",
      "files",
    );
    if (info === null) return null;
    if (!Number.isSafeInteger(info.size) || info.size < 0) {
      throw this.#protocol(
        what,
        "the file size (from Content-Range or X-Linked-Size) is not a usable number",
      );
    }
    if (typeof info.etag !== "string" || info.etag.replace(/^W\//, "").replace(/"/g, "") === "") {
      throw this.#protocol(what, "no ETag");
    }
    return {
      size: info.size,
      etag: info.etag.replace(/^W\//, "").replace(/^"|"$/g, ""),
      url: info.url,
    };
  }
}
