/** Mutable state shared by the fixture Hub's three origins. */
import { createHmac } from "node:crypto";
import type { FaultKnobs } from "./knobs.js";
import type { Repo, StoredFile } from "./repo-model.js";
import { type XetLayoutOptions, XetStore } from "./xet-cas.js";

export interface TokenGrant {
  user: string;
  /** repo ids (or "org/*") this user may read when private, or has been approved for when gated */
  access: string[];
}

export type Caller =
  | { kind: "anonymous" }
  | { kind: "invalid"; token: string }
  | { kind: "user"; token: string; user: string; access: string[] };

export class HubState {
  hubUrl = "";
  cdnUrl = "";
  foreignUrl = "";
  readonly tampered = new Map<string, Buffer>();
  readonly bucketCounts = new Map<string, number>();
  private readonly secret = "fixture-hub-cdn-signing-key";
  /** The Xet CAS content: layouts (chunks, xorbs) and file hashes. */
  readonly xet: XetStore;

  constructor(
    readonly repos: Map<string, Repo>,
    readonly tokens: Record<string, TokenGrant>,
    readonly knobs: FaultKnobs,
    xetLayout: XetLayoutOptions = {},
  ) {
    this.xet = new XetStore(xetLayout);
  }

  caller(authorization: string | undefined): Caller {
    if (!authorization) return { kind: "anonymous" };
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    const token = m?.[1];
    if (!token) return { kind: "invalid", token: "" };
    const grant = this.tokens[token];
    if (!grant) return { kind: "invalid", token };
    return { kind: "user", token, user: grant.user, access: grant.access };
  }

  hasAccess(caller: Caller, repoId: string): boolean {
    if (caller.kind !== "user") return false;
    const org = repoId.split("/")[0];
    return caller.access.some((a) => a === repoId || a === `${org}/*` || a === "*");
  }

  /** The bytes served for a file's content: the tampered replacement if a test set one. */
  contentBytes(repo: Repo, file: StoredFile): Buffer {
    return this.tampered.get(`${repo.id}\0${file.path}`) ?? file.bytes;
  }

  sign(path: string, expires: number): string {
    return createHmac("sha256", this.secret).update(`${path}\n${expires}`).digest("hex");
  }

  /** Signed CDN URL for an LFS object (the CDN checks the signature, never a token). */
  cdnLocation(repo: Repo, file: StoredFile): string {
    const path = `/lfs/${file.sha256}/${repo.id}/${file.path}`;
    const expires = 4102444800; // fixed far future: no clock in the fixture
    const encoded = path.split("/").map(encodeURIComponent).join("/");
    return `${this.cdnUrl}${encoded}?Expires=${expires}&Signature=${this.sign(path, expires)}`;
  }

  /**
   * The real Xet file hash of the file's original bytes (chunk Merkle aggregation, see xet-hash.ts;
   * fixed-size chunks instead of content-defined ones, so it matches the real Hub's for files of
   * one chunk only). The CAS serves what `contentBytes` serves under it (tampering included).
   */
  xetHash(file: StoredFile): string {
    return this.xet.fileHash(file.sha256, file.bytes);
  }

  /** The repo a Xet access token (as issued by `xetToken`) reads, or null for any other string. */
  xetTokenRepo(token: string): Repo | null {
    const m = /^xet_fixture_([0-9a-f]{16})$/.exec(token);
    if (!m) return null;
    for (const repo of this.repos.values()) {
      for (const id of repo.commits.keys()) {
        if (id.startsWith(m[1]!) && !repo.vanished.has(id)) return repo;
      }
    }
    return null;
  }

  /** The Xet CAS read token for a commit: the JSON body of xet-read-token and its headers. */
  xetToken(commitId: string): { accessToken: string; exp: number; casUrl: string } {
    return {
      accessToken: `xet_fixture_${commitId.slice(0, 16)}`,
      exp: 4102444800,
      casUrl: this.cdnUrl,
    };
  }

  /** The same token as the headers huggingface_hub 1.x reads (it ignores the JSON body). */
  xetTokenHeaders(commitId: string): Record<string, string> {
    const t = this.xetToken(commitId);
    return {
      "X-Xet-Cas-Url": t.casUrl,
      "X-Xet-Access-Token": t.accessToken,
      "X-Xet-Token-Expiration": String(t.exp),
    };
  }

  /** Any stored file (of any commit, vanished ones too) with this content digest and path. */
  findLfsObject(repo: Repo, sha256: string, path: string): StoredFile | null {
    for (const commit of repo.commits.values()) {
      const file = commit.files.get(path);
      if (file && file.sha256 === sha256) return file;
    }
    return null;
  }
}
