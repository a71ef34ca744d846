/**
 * A protocol-faithful fixture of the Hugging Face Hub (see /work/shared/hub-api.md §2 and §7) on
 * three loopback origins: the Hub itself (127.0.0.1), a "CDN" that serves LFS objects (no token
 * needed; 127.0.0.2, another host as the real CDN is), and a "foreign" origin used by the
 * cross-origin redirect knob (127.0.0.3). Repos are data under fixtures/hub/repos.
 *
 *   const hub = await startFixtureHub();
 *   // HF_ENDPOINT=hub.url, or modelInfo({ name: "acme/tiny-safetensors", hubUrl: hub.url })
 *   hub.knobs.serverError.push({ route: "/tree/", times: 2 });
 *   await hub.close();
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { handleCdn, handleForeign } from "./cdn-routes.js";
import { sha1Hex } from "./git-objects.js";
import type { RecordedRequest } from "./http-kit.js";
import { handleHub } from "./hub-routes.js";
import { defaultKnobs, type FaultKnobs } from "./knobs.js";
import { loadRepos } from "./repo-loader.js";
import {
  buildCommit,
  type Commit,
  history,
  makeStoredFile,
  type Repo,
  resolveRevision,
  type StoredFile,
} from "./repo-model.js";
import { listen, listenOnOtherHost, originHandler } from "./servers.js";
import { HubState, type TokenGrant } from "./state.js";
import type { XetLayoutOptions } from "./xet-cas.js";

export { gitBlobId, gitCommitId, gitTreeId, lfsPointerText, sha256Hex } from "./git-objects.js";
export type { RecordedRequest } from "./http-kit.js";
export type {
  BodyFaultRule,
  FaultKnobs,
  FaultRule,
  Origin,
  RateLimitRule,
  ServerErrorRule,
} from "./knobs.js";
export type { TokenGrant } from "./state.js";
export type { XetLayoutOptions } from "./xet-cas.js";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const DEFAULT_REPOS_DIR = join(PROJECT_ROOT, "fixtures", "hub", "repos");
export const DEFAULT_TOKENS_FILE = join(PROJECT_ROOT, "fixtures", "hub", "tokens.json");

export interface FixtureHubOptions {
  /** Directory of <org>/<name>/repo.json files (default fixtures/hub/repos). */
  repos?: string;
  /** token → grant (default fixtures/hub/tokens.json). Tokens must start with "hf_". */
  tokens?: Record<string, TokenGrant>;
  /** Initial cap on tree/commit page sizes (same as knobs.pageSize). */
  pageSize?: number;
  /** Port for the Hub origin (default 0 = ephemeral). The CDN and foreign origins are always ephemeral. */
  port?: number;
  /** How the Xet CAS cuts files (default 64 KiB chunks, 64 MiB xorbs); smaller makes many xorbs. */
  xetLayout?: XetLayoutOptions;
}

/** What a test can expect about one file at a revision, all digests computed by the fixture. */
export interface FixtureFile {
  path: string;
  size: number;
  /** tree `oid` / `blobId` / resolve ETag (sha1 of the LFS pointer for LFS files) */
  oid: string;
  sha256: string;
  lfs: boolean;
  /** the original (untampered) content */
  bytes: Buffer;
}

export interface PushCommitInput {
  branch: string;
  message: string;
  /** path → new content (string = UTF-8 text), or null to delete */
  files: Record<string, string | Uint8Array | null>;
  author?: string;
  /** default: one hour after the parent commit */
  date?: string;
}

export interface AddRepoInput {
  /** "org/name"; must not exist yet */
  id: string;
  /** path → content of the one commit (string = UTF-8 text) */
  files: Record<string, string | Uint8Array>;
  message?: string;
  author?: string;
  /** default 2025-01-01T00:00:00.000Z (ids stay reproducible) */
  date?: string;
  /** default "main" */
  defaultBranch?: string;
  /** more branches and tags at the same commit */
  branches?: string[];
  tags?: string[];
  private?: boolean;
  gated?: false | "auto" | "manual";
  purpose?: string;
  info?: Partial<Repo["info"]>;
}

export interface FixtureHub {
  /** http://127.0.0.1:<port>; pass as HF_ENDPOINT / hubUrl */
  url: string;
  /** origin of the LFS "CDN" the Hub redirects to (serves bytes without a token); another host */
  cdnUrl: string;
  /** origin used by the foreignRedirect knob; records whether Authorization arrived */
  foreignUrl: string;
  /** mutable at run time */
  knobs: FaultKnobs;
  /** every request on all three origins, in arrival order */
  requests: RecordedRequest[];
  /** token → grant in effect */
  tokens: Readonly<Record<string, TokenGrant>>;
  repoIds(): string[];
  /** 40-hex commit a revision (branch, tag, refs/…, HEAD, SHA) resolves to; throws if unknown */
  resolve(repo: string, revision: string): string;
  /** A file at a revision; throws if missing */
  file(repo: string, revision: string, path: string): FixtureFile;
  /** Commit ids reachable from a revision, newest first */
  history(repo: string, revision: string): string[];
  /**
   * Adds a repo with one commit at run time (e.g. a model built by a tool) and returns the commit
   * id. Like every other change, resetRepos() drops it.
   */
  addRepo(input: AddRepoInput): string;
  /** Points (or creates) a branch at an existing commit */
  moveBranch(repo: string, branch: string, commit: string): void;
  /** Points (or creates) a tag at an existing commit (a re-tag) */
  moveTag(repo: string, tag: string, commit: string): void;
  /** Adds a commit on top of a branch and moves the branch; returns the new commit id */
  pushCommit(repo: string, input: PushCommitInput): string;
  /** Makes a commit unresolvable (RevisionNotFound), like a super-squash; refs must not point at it */
  removeCommit(repo: string, commit: string): void;
  /** Squashes a branch into one new root commit; the old commits no other ref reaches vanish */
  superSquash(repo: string, branch: string, message?: string): string;
  /** Serve other bytes for `path` (every revision) while all metadata keeps the original digests */
  tamper(repo: string, path: string, bytes?: Uint8Array): void;
  untamper(repo: string, path: string): void;
  /** What the Hub's scanners say of `path` from now on (every commit that has it) */
  setSecurity(repo: string, path: string, status: "safe" | "unsafe" | "caution"): void;
  /** Change a repo's standing: disabled by the Hub, made private or gated, or deleted */
  setRepoState(
    repo: string,
    state: {
      disabled?: boolean;
      private?: boolean;
      gated?: false | "auto" | "manual";
      deleted?: true;
    },
  ): void;
  /** Empties every knob list, restores page size and the resolve-cache redirect */
  resetKnobs(): void;
  /** Reloads every repo from disk and drops tampering: undoes moveBranch/pushCommit/removeCommit/… */
  resetRepos(): void;
  close(): Promise<void>;
}

const TokensSchema = z.record(
  z.string(),
  z.object({ user: z.string().min(1), access: z.array(z.string()) }).strict(),
);

function parseTokens(raw: unknown, where: string): Record<string, TokenGrant> {
  const parsed = TokensSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`fixture hub: ${where}: ${issues.join("; ")}`);
  }
  const bad = Object.keys(parsed.data).find((t) => !t.startsWith("hf_"));
  if (bad !== undefined) {
    throw new Error(
      `fixture hub: ${where}: token ${bad} must start with hf_ (the JS client refuses others)`,
    );
  }
  return parsed.data;
}

function loadTokens(): Record<string, TokenGrant> {
  return parseTokens(JSON.parse(readFileSync(DEFAULT_TOKENS_FILE, "utf8")), DEFAULT_TOKENS_FILE);
}

export async function startFixtureHub(options: FixtureHubOptions = {}): Promise<FixtureHub> {
  const reposDir = options.repos ?? DEFAULT_REPOS_DIR;
  const repos = loadRepos(reposDir, PROJECT_ROOT);
  const tokens = options.tokens ? parseTokens(options.tokens, "options.tokens") : loadTokens();
  const knobs = defaultKnobs(options.pageSize ?? null);
  const state = new HubState(repos, tokens, knobs, options.xetLayout);
  const requests: RecordedRequest[] = [];

  const hubServer = createServer(
    originHandler("hub", state, requests, (ex) => handleHub(ex, state)),
  );
  const cdnServer = createServer(
    originHandler("cdn", state, requests, (ex) => handleCdn(ex, state)),
  );
  const foreignServer = createServer(
    originHandler("foreign", state, requests, (ex) => handleForeign(ex, state)),
  );
  const servers = [hubServer, cdnServer, foreignServer];
  try {
    state.hubUrl = `http://127.0.0.1:${await listen(hubServer, options.port ?? 0)}`;
    state.cdnUrl = await listenOnOtherHost(cdnServer, "127.0.0.2");
    state.foreignUrl = await listenOnOtherHost(foreignServer, "127.0.0.3");
  } catch (err) {
    for (const s of servers) if (s.listening) s.close();
    throw err;
  }

  const repoOf = (id: string): Repo => {
    const repo = repos.get(id);
    if (!repo) throw new Error(`fixture hub: no repo ${id}`);
    return repo;
  };
  const commitOf = (repo: Repo, rev: string): Commit => {
    const r = resolveRevision(repo, rev);
    if (!r) throw new Error(`fixture hub: ${repo.id} has no revision ${rev}`);
    return r.commit;
  };
  const existing = (repo: Repo, id: string): string => {
    if (!repo.commits.has(id) || repo.vanished.has(id)) {
      throw new Error(`fixture hub: ${repo.id} has no commit ${id}`);
    }
    return id;
  };
  const refsTo = (repo: Repo, id: string): string[] =>
    [...repo.branches, ...repo.tags, ...repo.pullRequests]
      .filter(([, c]) => c === id)
      .map(([n]) => n);
  const addCommit = (repo: Repo, commit: Commit): void => {
    repo.commits.set(commit.id, commit);
    repo.vanished.delete(commit.id);
  };

  let closed: Promise<void> | null = null;
  return {
    url: state.hubUrl,
    cdnUrl: state.cdnUrl,
    foreignUrl: state.foreignUrl,
    knobs,
    requests,
    tokens,
    repoIds: () => [...repos.keys()].sort(),
    resolve: (repo, revision) => commitOf(repoOf(repo), revision).id,
    file: (repoId, revision, path) => {
      const f: StoredFile | undefined = commitOf(repoOf(repoId), revision).files.get(path);
      if (!f) throw new Error(`fixture hub: ${repoId}@${revision} has no ${path}`);
      return {
        path: f.path,
        size: f.size,
        oid: f.oid,
        sha256: f.sha256,
        lfs: f.lfs,
        bytes: f.bytes,
      };
    },
    history: (repoId, revision) => {
      const repo = repoOf(repoId);
      return history(repo, commitOf(repo, revision)).map((c) => c.id);
    },
    addRepo: (input) => {
      if (!/^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/.test(input.id)) {
        throw new Error(`fixture hub: invalid repo id ${JSON.stringify(input.id)}`);
      }
      if (repos.has(input.id)) throw new Error(`fixture hub: ${input.id} already exists`);
      const changes = new Map<string, StoredFile | null>();
      for (const [path, content] of Object.entries(input.files)) {
        changes.set(path, makeStoredFile(path, Buffer.from(content)));
      }
      const date = input.date ?? "2025-01-01T00:00:00.000Z";
      const commit = buildCommit({
        parent: null,
        message: input.message ?? "Upload model",
        author: input.author ?? "fixture-bot",
        date,
        changes,
      });
      const defaultBranch = input.defaultBranch ?? "main";
      const branchNames = [defaultBranch, ...(input.branches ?? [])];
      repos.set(input.id, {
        id: input.id,
        mongoId: sha1Hex(`repo:${input.id}`).slice(0, 24),
        purpose: input.purpose ?? "added at run time",
        private: input.private ?? false,
        gated: input.gated ?? false,
        disabled: false,
        defaultBranch,
        info: { tags: [], downloads: 0, likes: 0, ...input.info },
        createdAt: date,
        commits: new Map([[commit.id, commit]]),
        vanished: new Set(),
        branches: new Map(branchNames.map((b) => [b, commit.id])),
        tags: new Map((input.tags ?? []).map((t) => [t, commit.id])),
        pullRequests: new Map(),
      });
      return commit.id;
    },
    moveBranch: (repoId, branch, commit) => {
      const repo = repoOf(repoId);
      repo.branches.set(branch, existing(repo, commit));
    },
    moveTag: (repoId, tag, commit) => {
      const repo = repoOf(repoId);
      repo.tags.set(tag, existing(repo, commit));
    },
    pushCommit: (repoId, input) => {
      const repo = repoOf(repoId);
      const parent = commitOf(repo, input.branch);
      if (!repo.branches.has(input.branch))
        throw new Error(`fixture hub: ${repoId} has no branch ${input.branch}`);
      const changes = new Map<string, StoredFile | null>();
      for (const [path, content] of Object.entries(input.files)) {
        changes.set(path, content === null ? null : makeStoredFile(path, Buffer.from(content)));
      }
      const commit = buildCommit({
        parent,
        message: input.message,
        author: input.author ?? "fixture-bot",
        date: input.date ?? new Date(Date.parse(parent.date) + 3_600_000).toISOString(),
        changes,
      });
      addCommit(repo, commit);
      repo.branches.set(input.branch, commit.id);
      return commit.id;
    },
    removeCommit: (repoId, commit) => {
      const repo = repoOf(repoId);
      existing(repo, commit);
      const refs = refsTo(repo, commit);
      if (refs.length > 0)
        throw new Error(`fixture hub: refs ${refs.join(", ")} still point at ${commit}`);
      repo.vanished.add(commit);
    },
    setSecurity: (repoId, path, status) => {
      const repo = repoOf(repoId);
      let found = false;
      for (const commit of repo.commits.values()) {
        const file = commit.files.get(path);
        if (file === undefined) continue;
        commit.files.set(path, { ...file, security: status });
        found = true;
      }
      if (!found) throw new Error(`fixture hub: ${repoId} has no ${path} in any commit`);
    },
    setRepoState: (repoId, change) => {
      const repo = repoOf(repoId);
      if (change.deleted) {
        repos.delete(repoId);
        return;
      }
      if (change.disabled !== undefined) repo.disabled = change.disabled;
      if (change.private !== undefined) repo.private = change.private;
      if (change.gated !== undefined) repo.gated = change.gated;
    },
    superSquash: (repoId, branch, message = "Super-squash branch") => {
      const repo = repoOf(repoId);
      const head = commitOf(repo, branch);
      const old = history(repo, head).map((c) => c.id);
      const changes = new Map<string, StoredFile | null>(head.files);
      const squashed = buildCommit({
        parent: null,
        message,
        author: "system",
        date: new Date(Date.parse(head.date) + 3_600_000).toISOString(),
        changes,
      });
      addCommit(repo, squashed);
      repo.branches.set(branch, squashed.id);
      const stillReachable = new Set<string>();
      for (const [, id] of [...repo.branches, ...repo.tags, ...repo.pullRequests]) {
        for (const c of history(repo, repo.commits.get(id)!)) stillReachable.add(c.id);
      }
      for (const id of old) if (!stillReachable.has(id)) repo.vanished.add(id);
      return squashed.id;
    },
    tamper: (repoId, path, bytes) => {
      const repo = repoOf(repoId);
      let original: StoredFile | undefined;
      for (const c of repo.commits.values()) original ??= c.files.get(path);
      if (!original) throw new Error(`fixture hub: ${repoId} never had ${path}`);
      let replacement: Buffer;
      if (bytes) replacement = Buffer.from(bytes);
      else {
        replacement = Buffer.from(original.bytes);
        const at = Math.floor(replacement.length / 2);
        if (replacement.length === 0) replacement = Buffer.from("tampered");
        else replacement[at] = (replacement[at]! ^ 0xff) & 0xff;
      }
      state.tampered.set(`${repoId}\0${path}`, replacement);
    },
    untamper: (repoId, path) => {
      state.tampered.delete(`${repoId}\0${path}`);
    },
    resetKnobs: () => {
      // rule lists are emptied in place (tests may hold them); scalars go back to their defaults
      const fresh = defaultKnobs(options.pageSize ?? null);
      for (const key of Object.keys(fresh) as Array<keyof FaultKnobs>) {
        const current = knobs[key];
        if (Array.isArray(current)) current.length = 0;
        else (knobs as unknown as Record<string, unknown>)[key] = fresh[key];
      }
    },
    resetRepos: () => {
      const fresh = loadRepos(reposDir, PROJECT_ROOT);
      repos.clear();
      for (const [id, repo] of fresh) repos.set(id, repo);
      state.tampered.clear();
    },
    close: () => {
      closed ??= Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((ok) => {
              s.close(() => ok());
              s.closeAllConnections();
            }),
        ),
      ).then(() => undefined);
      return closed;
    },
  };
}
