/** Repos as data: the loader accepts a custom directory and rejects malformed descriptions loudly. */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_REPOS_DIR, startFixtureHub } from "../helpers/fixture-hub/index.js";
import { loadRepos } from "../helpers/fixture-hub/repo-loader.js";
import { gitSha1, sha256 } from "./support.js";

function repoJson(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id,
    purpose: "test",
    commits: [
      { key: "a", message: "one", date: "2025-01-01T00:00:00.000Z", files: { "a.txt": "hello\n" } },
    ],
    branches: { main: "a" },
    ...extra,
  });
}

describe("repo loader", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "fixture-hub-repos-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function write(org: string, name: string, text: string): string {
    const root = join(dir, `${org}-${name}-${Math.random().toString(16).slice(2)}`);
    mkdirSync(join(root, org, name), { recursive: true });
    writeFileSync(join(root, org, name, "repo.json"), text);
    return root;
  }

  it("serves repos from a custom directory with custom tokens", async () => {
    const root = write("me", "mine", repoJson("me/mine", { private: true }));
    const hub = await startFixtureHub({
      repos: root,
      tokens: { hf_me: { user: "me", access: ["me/*"] } },
    });
    try {
      assert.deepEqual(hub.repoIds(), ["me/mine"]);
      assert.equal((await fetch(`${hub.url}/me/mine/resolve/main/a.txt`)).status, 401);
      const res = await fetch(`${hub.url}/me/mine/resolve/main/a.txt`, {
        headers: { Authorization: "Bearer hf_me" },
      });
      assert.equal(res.headers.get("etag"), `"${gitSha1("hello\n")}"`);
    } finally {
      await hub.close();
    }
  });

  it("rejects tokens that the JS client would refuse", async () => {
    await assert.rejects(
      startFixtureHub({ tokens: { "not-hf": { user: "x", access: [] } } }),
      /must start with hf_/,
    );
  });

  const bad: Array<[string, string, string, RegExp]> = [
    [
      "id does not match its directory",
      "me/other",
      repoJson("me/mine"),
      /declares id me\/mine, expected me\/other/,
    ],
    ["not JSON", "me/x", "{", /cannot read/],
    ["unknown key", "me/x", repoJson("me/x", { surprise: 1 }), /surprise|Unrecognized/],
    [
      "branch to unknown commit",
      "me/x",
      repoJson("me/x", { branches: { main: "zzz" } }),
      /unknown commit zzz/,
    ],
    [
      "no default branch",
      "me/x",
      repoJson("me/x", { branches: { dev: "a" } }),
      /default branch main missing/,
    ],
    [
      "source outside fixtures/",
      "me/x",
      repoJson("me/x", {
        commits: [
          {
            key: "a",
            message: "m",
            date: "2025-01-01T00:00:00.000Z",
            files: { p: { source: "package.json" } },
          },
        ],
      }),
      /outside fixtures/,
    ],
    [
      "missing source",
      "me/x",
      repoJson("me/x", {
        commits: [
          {
            key: "a",
            message: "m",
            date: "2025-01-01T00:00:00.000Z",
            files: { p: { source: "fixtures/hub/nope.bin" } },
          },
        ],
      }),
      /missing source/,
    ],
    [
      "path escaping the repo",
      "me/x",
      repoJson("me/x", {
        commits: [
          { key: "a", message: "m", date: "2025-01-01T00:00:00.000Z", files: { "../p": "x" } },
        ],
      }),
      /invalid repo path/,
    ],
    [
      "two content sources",
      "me/x",
      repoJson("me/x", {
        commits: [
          {
            key: "a",
            message: "m",
            date: "2025-01-01T00:00:00.000Z",
            files: { p: { text: "a", base64: "YQ==" } },
          },
        ],
      }),
      /exactly one of/,
    ],
    [
      "a path that is both file and directory",
      "me/x",
      repoJson("me/x", {
        commits: [
          {
            key: "a",
            message: "m",
            date: "2025-01-01T00:00:00.000Z",
            files: { d: "x", "d/e": "y" },
          },
        ],
      }),
      /both file and directory/,
    ],
  ];
  for (const [name, at, text, message] of bad) {
    it(`rejects: ${name}`, () => {
      const [org, repo] = at.split("/") as [string, string];
      const root = write(org, repo, text);
      assert.throws(() => loadRepos(root, join(DEFAULT_REPOS_DIR, "..", "..", "..")), message);
    });
  }

  it("every file in fixtures/hub/files matches its manifest entry (size and sha256)", () => {
    const files = join(DEFAULT_REPOS_DIR, "..", "files");
    let checked = 0;
    for (const name of ["MANIFEST.json", "TORCH_MANIFEST.json", "AREAS_MANIFEST.json"]) {
      const entries = JSON.parse(readFileSync(join(files, name), "utf8")) as Array<{
        path: string;
        size: number;
        sha256: string;
      }>;
      for (const e of entries) {
        const bytes = readFileSync(join(DEFAULT_REPOS_DIR, "..", "..", "..", e.path));
        assert.equal(bytes.length, e.size, e.path);
        assert.equal(sha256(bytes), e.sha256, e.path);
        checked += 1;
      }
    }
    assert.ok(checked >= 12);
  });

  it("the shipped repo set loads and every repo says what it is for", () => {
    const repos = loadRepos(DEFAULT_REPOS_DIR, join(DEFAULT_REPOS_DIR, "..", "..", ".."));
    assert.ok(repos.size >= 14);
    for (const repo of repos.values()) assert.ok(repo.purpose.length > 20, repo.id);
    assert.ok([...repos.keys()].some((id) => id.startsWith("sketchy-org/")));
  });
});
