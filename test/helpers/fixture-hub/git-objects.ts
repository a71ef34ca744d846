/**
 * Git object ids for the fixture Hub, computed the way git computes them, so every digest the
 * fixture advertises (tree `oid`, sibling `blobId`, resolve `ETag`, commit ids) can be checked by
 * an independent implementation or by `git` itself.
 *
 * - blob id   = sha1("blob <len>\0" + bytes)
 * - LFS: the blob git stores is the pointer text; its sha1 is the tree `oid`, while `lfs.oid` is
 *   the sha256 of the real content.
 * - tree id   = sha1("tree <len>\0" + entries), entries "<mode> <name>\0<20 raw bytes>" sorted by
 *   name with directories compared as "<name>/" (git's base_name_compare), mode 100644 / 40000.
 * - commit id = sha1("commit <len>\0" + body), body:
 *   "tree <id>\n[parent <id>\n]author <n> <<e>> <unix> +0000\ncommitter <same>\n\n<message>\n".
 */
import { createHash } from "node:crypto";

export function sha1Hex(data: Uint8Array | string): string {
  return createHash("sha1").update(data).digest("hex");
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function gitObjectId(kind: "blob" | "tree" | "commit", body: Uint8Array): string {
  const header = Buffer.from(`${kind} ${body.length}\0`, "utf8");
  return createHash("sha1").update(header).update(body).digest("hex");
}

export function gitBlobId(bytes: Uint8Array): string {
  return gitObjectId("blob", bytes);
}

/** The pointer file git-lfs commits in place of the content. */
export function lfsPointerText(sha256: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${size}\n`;
}

export interface TreeEntryInput {
  name: string;
  kind: "file" | "directory";
  /** 40-hex id of the blob (files) or subtree (directories). */
  id: string;
}

function sortKey(entry: TreeEntryInput): Buffer {
  return Buffer.from(entry.kind === "directory" ? `${entry.name}/` : entry.name, "utf8");
}

export function gitTreeId(entries: readonly TreeEntryInput[]): string {
  const sorted = [...entries].sort((a, b) => Buffer.compare(sortKey(a), sortKey(b)));
  const parts: Buffer[] = [];
  for (const entry of sorted) {
    const mode = entry.kind === "directory" ? "40000" : "100644";
    parts.push(Buffer.from(`${mode} ${entry.name}\0`, "utf8"), Buffer.from(entry.id, "hex"));
  }
  return gitObjectId("tree", Buffer.concat(parts));
}

export interface CommitObjectInput {
  tree: string;
  parent: string | null;
  authorName: string;
  authorEmail: string;
  /** ISO-8601 date; seconds precision is what git keeps. */
  date: string;
  message: string;
}

export function gitCommitBody(input: CommitObjectInput): string {
  const seconds = Math.floor(Date.parse(input.date) / 1000);
  if (!Number.isFinite(seconds)) throw new Error(`invalid commit date: ${input.date}`);
  const ident = `${input.authorName} <${input.authorEmail}> ${seconds} +0000`;
  const message = input.message.endsWith("\n") ? input.message : `${input.message}\n`;
  return (
    `tree ${input.tree}\n` +
    (input.parent ? `parent ${input.parent}\n` : "") +
    `author ${ident}\ncommitter ${ident}\n\n${message}`
  );
}

export function gitCommitId(input: CommitObjectInput): string {
  return gitObjectId("commit", Buffer.from(gitCommitBody(input), "utf8"));
}
