/**
 * The fixture's digests are computed, never typed: check them against published values, an
 * independent implementation in this file, and `git` itself (rebuilding a repo from what the
 * HTTP API serves and comparing every blob, tree and commit id).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  gitBlobId,
  gitCommitId,
  gitTreeId,
  lfsPointerText,
} from "../helpers/fixture-hub/git-objects.js";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { gitSha1, HEX40, json, pointer, sha256, type TreeItem } from "./support.js";

function hasGit(): boolean {
  try {
    execFileSync("git", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("git object ids", () => {
  it("match published blob ids (huggingface_hub docstring, empty blob, hub-api.md §2.0 table)", () => {
    assert.equal(
      gitBlobId(Buffer.from("Hello, World!")),
      "b45ef6fec89518d314f546fd6c3025367b721684",
    );
    assert.equal(gitBlobId(Buffer.alloc(0)), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    assert.equal(
      gitBlobId(Buffer.from('{"architectures":["BertModel"],"model_type":"bert"}\n')),
      "7a8cb012a4547a01c226da710dd6846eb2584dc7",
    );
    assert.equal(
      gitBlobId(Buffer.from("*.safetensors filter=lfs diff=lfs merge=lfs -text\n")),
      "580d310c2d211aca166288a207e972ced9bb0100",
    );
  });

  it("agree with an independent sha1('blob <len>\\0' + bytes) on assorted inputs", () => {
    const inputs = [
      Buffer.alloc(1),
      Buffer.from("ü\r\n"),
      Buffer.alloc(70000, 7),
      Buffer.from([0, 255, 10]),
    ];
    for (const bytes of inputs) assert.equal(gitBlobId(bytes), gitSha1(bytes));
  });

  it("builds the LFS pointer of hub-api.md §2.0 (4096 bytes 0..255 ×16 → pointer sha1 1aa0c74f…)", () => {
    const content = Buffer.alloc(4096);
    for (let i = 0; i < content.length; i++) content[i] = i % 256;
    const digest = sha256(content);
    assert.equal(digest, "c8f5d0341d54d951a71b136e6e2afcb14d11ed8489a7ae126a8fee0df6ecf193");
    const text = lfsPointerText(digest, 4096);
    assert.equal(text, pointer(digest, 4096));
    assert.equal(Buffer.byteLength(text), 129);
    assert.equal(gitBlobId(Buffer.from(text)), "1aa0c74fa11ac45e9e7b876d0e12a197a146e280");
  });

  it("sorts tree entries as git does (directory 'a' compares as 'a/', after 'a.txt')", () => {
    const blob = gitBlobId(Buffer.from("x"));
    const sub = gitTreeId([{ name: "f", kind: "file", id: blob }]);
    const one = gitTreeId([
      { name: "a", kind: "directory", id: sub },
      { name: "a.txt", kind: "file", id: blob },
    ]);
    const two = gitTreeId([
      { name: "a.txt", kind: "file", id: blob },
      { name: "a", kind: "directory", id: sub },
    ]);
    assert.equal(one, two);
    assert.match(one, HEX40);
  });

  it("commit ids are deterministic and depend on every field", () => {
    const base = {
      tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
      parent: null,
      authorName: "alice",
      authorEmail: "alice@users.noreply.huggingface.co",
      date: "2025-01-15T10:30:45.000Z",
      message: "Add config",
    };
    const id = gitCommitId(base);
    assert.match(id, HEX40);
    assert.equal(gitCommitId({ ...base }), id);
    assert.notEqual(gitCommitId({ ...base, message: "Add config!" }), id);
    assert.notEqual(gitCommitId({ ...base, date: "2025-01-15T10:30:46.000Z" }), id);
    assert.notEqual(gitCommitId({ ...base, parent: id }), id);
  });
});

describe("fixture repos agree with git", {
  skip: hasGit() ? false : "git is not installed",
}, () => {
  let hub: FixtureHub;
  let dir: string;
  before(async () => {
    hub = await startFixtureHub();
    dir = mkdtempSync(join(tmpdir(), "fixture-hub-git-"));
    execFileSync("git", ["init", "-q", dir]);
  });
  after(async () => {
    await hub.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const git = (args: string[], input?: Buffer | string, env: Record<string, string> = {}): string =>
    execFileSync("git", ["-C", dir, ...args], {
      input,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: "1", HOME: dir, ...env },
    })
      .toString("utf8")
      .trim();

  /** Rebuilds one commit from the HTTP API with git plumbing and returns git's commit id. */
  async function rebuild(repo: string, commit: string, parent: string | null): Promise<string> {
    const tree = await json<TreeItem[]>(
      await fetch(`${hub.url}/api/models/${repo}/tree/${commit}?recursive=true`),
    );
    const byDir = new Map<string, string[]>();
    const addLine = (dirPath: string, line: string): void => {
      const lines = byDir.get(dirPath) ?? [];
      lines.push(line);
      byDir.set(dirPath, lines);
    };
    for (const item of tree) {
      if (item.type !== "file") continue;
      const raw = await fetch(`${hub.url}/${repo}/raw/${commit}/${item.path}`);
      assert.equal(raw.status, 200, item.path);
      const bytes = Buffer.from(await raw.arrayBuffer());
      const blob = git(["hash-object", "-w", "--stdin"], bytes);
      assert.equal(
        blob,
        item.oid,
        `${repo}@${commit} ${item.path}: tree oid must be git's blob id`,
      );
      if (item.lfs) {
        assert.equal(bytes.toString("utf8"), pointer(item.lfs.oid, item.lfs.size));
        assert.equal(item.lfs.pointerSize, bytes.length);
      }
      const cut = item.path.lastIndexOf("/");
      addLine(
        cut < 0 ? "" : item.path.slice(0, cut),
        `100644 blob ${blob}\t${item.path.slice(cut + 1)}`,
      );
    }
    const dirs = tree.filter((t) => t.type === "directory").map((t) => t.path);
    dirs.sort((a, b) => b.split("/").length - a.split("/").length);
    for (const d of dirs) {
      const id = git(["mktree"], `${(byDir.get(d) ?? []).join("\n")}\n`);
      const expected = tree.find((t) => t.path === d)!.oid;
      assert.equal(id, expected, `${repo}@${commit} directory ${d}`);
      const cut = d.lastIndexOf("/");
      addLine(cut < 0 ? "" : d.slice(0, cut), `040000 tree ${id}\t${d.slice(cut + 1)}`);
    }
    const root = git(["mktree"], `${(byDir.get("") ?? []).join("\n")}\n`);
    const meta = (
      await json<
        Array<{
          id: string;
          title: string;
          message: string;
          authors: Array<{ user: string }>;
          date: string;
        }>
      >(await fetch(`${hub.url}/api/models/${repo}/commits/${commit}?limit=1`))
    )[0]!;
    assert.equal(meta.id, commit);
    const message = meta.message ? `${meta.title}\n\n${meta.message}` : meta.title;
    const user = meta.authors[0]!.user;
    const ident = {
      GIT_AUTHOR_NAME: user,
      GIT_AUTHOR_EMAIL: `${user}@users.noreply.huggingface.co`,
      GIT_AUTHOR_DATE: `${Math.floor(Date.parse(meta.date) / 1000)} +0000`,
      GIT_COMMITTER_NAME: user,
      GIT_COMMITTER_EMAIL: `${user}@users.noreply.huggingface.co`,
      GIT_COMMITTER_DATE: `${Math.floor(Date.parse(meta.date) / 1000)} +0000`,
    };
    return git(
      ["commit-tree", root, ...(parent ? ["-p", parent] : []), "-F", "-"],
      `${message}\n`,
      ident,
    );
  }

  for (const repo of ["acme/tiny-safetensors", "acme/multi-branch", "acme/semver-model"]) {
    it(`${repo}: every blob, tree and commit id on main's history is what git computes`, async () => {
      const chain = hub.history(repo, "main").reverse();
      let parent: string | null = null;
      for (const commit of chain) {
        assert.equal(await rebuild(repo, commit, parent), commit);
        parent = commit;
      }
    });
  }

  it("acme/multi-branch: the dev branch and refs/pr/1 commits also match git", async () => {
    for (const ref of ["dev", "refs/pr/1"]) {
      const [head, parent] = hub.history("acme/multi-branch", ref);
      assert.equal(await rebuild("acme/multi-branch", head!, parent!), head);
    }
  });
});
