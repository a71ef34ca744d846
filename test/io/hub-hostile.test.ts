/**
 * A lying or broken Hub: a tiny local server answers with malformed JSON shapes, unsafe paths
 * and inconsistent metadata. Every case must end in a typed HubError (HUB_PROTOCOL), never in
 * a file list, a crash or a guess.
 */
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { HubError, UsageError } from "../../src/core/errors.js";
import { HubClient } from "../../src/io/hub.js";

const SHA = "a".repeat(40);
const OID = "b".repeat(40);
let tree: unknown = [];
let refs: unknown = {};
let info: unknown = {};
let commits: unknown = [];
let base = "";
const server = createServer((req, res) => {
  const url = req.url ?? "";
  const body = url.includes("/tree/")
    ? tree
    : url.endsWith("/refs")
      ? refs
      : url.includes("/commits/")
        ? commits
        : info;
  res
    .writeHead(200, { "Content-Type": "application/json" })
    .end(typeof body === "string" ? body : JSON.stringify(body));
});

before(async () => {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const client = () => new HubClient({ hubUrl: base, token: undefined }, { sleep: async () => {} });
const file = (extra: Record<string, unknown>) => ({
  type: "file",
  path: "a.json",
  size: 3,
  oid: OID,
  ...extra,
});

async function protocolError(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof HubError, String(e));
    assert.equal(e.code, "HUB_PROTOCOL");
    assert.match(e.message, message);
    return true;
  });
}

describe("hostile tree listings", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["a path escaping the repo", [file({ path: "../../etc/passwd" })], /unsafe path/],
    ["an absolute path", [file({ path: "/etc/passwd" })], /unsafe path/],
    ["a backslash path", [file({ path: "a\\..\\b" })], /unsafe path/],
    ["an empty segment", [file({ path: "a//b" })], /unsafe path/],
    ["an unknown entry type", [file({ type: "symlink" })], /unknown type/],
    ["a file without git id", [file({ oid: undefined })], /no git object id/],
    ["a non-hex git id", [file({ oid: "zz" })], /tree entry/],
    ["a negative size", [file({ size: -1 })], /tree entry/],
    [
      "an LFS size that disagrees",
      [file({ size: 10, lfs: { oid: "c".repeat(64), size: 11 } })],
      /LFS size/,
    ],
    [
      "an LFS digest that is not sha256",
      [file({ lfs: { oid: "c".repeat(40), size: 3 } })],
      /tree entry/,
    ],
    [
      "the same path twice with different digests",
      [file({}), file({ oid: "d".repeat(40) })],
      /listed twice/,
    ],
    ["not JSON at all", "<html>", /could not be used|malformed/],
  ];
  for (const [name, body, message] of cases) {
    it(`rejects ${name}`, async () => {
      tree = body;
      await protocolError(client().listRepoFiles("acme/x", SHA), message);
    });
  }

  it("accepts a clean listing, dropping directories and ignoring a redacted xetHash", async () => {
    tree = [
      { type: "directory", path: "sub", size: 0, oid: OID },
      file({ path: "sub/a.json", xetHash: "redacted" }),
      file({
        path: "w.safetensors",
        size: 3,
        lfs: { oid: "c".repeat(64), size: 3, pointerSize: 130 },
      }),
    ];
    const files = await client().listRepoFiles("acme/x", SHA);
    assert.deepEqual(files, [
      { path: "sub/a.json", size: 3, gitOid: OID },
      { path: "w.safetensors", size: 3, gitOid: OID, lfs: { sha256: "c".repeat(64), size: 3 } },
    ]);
  });
});

describe("hostile refs and repo info", () => {
  it("rejects refs whose targets are not commit ids", async () => {
    refs = { branches: [{ name: "main", targetCommit: "HEAD" }], tags: [] };
    await protocolError(client().resolveModel("acme/x", "main"), /refs|malformed/);
  });

  it("rejects repo info without a 40-hex sha", async () => {
    info = {
      _id: "x",
      id: "acme/x",
      sha: "main",
      private: false,
      gated: false,
      lastModified: "2025-01-01T00:00:00.000Z",
    };
    await protocolError(client().resolveModel("acme/x", undefined), /40-hex/);
  });

  it("rejects repo info that answers another commit than the one asked for", async () => {
    info = {
      _id: "x",
      id: "acme/x",
      sha: "e".repeat(40),
      private: false,
      gated: false,
      lastModified: "2025-01-01T00:00:00.000Z",
    };
    await protocolError(client().resolveModel("acme/x", SHA), /asked for commit/);
  });

  it("rejects an unknown gated mode", async () => {
    info = {
      _id: "x",
      id: "acme/x",
      sha: SHA,
      private: false,
      gated: "sometimes",
      lastModified: "2025-01-01T00:00:00.000Z",
    };
    await protocolError(client().resolveModel("acme/x", undefined), /gated/);
  });

  it("refuses a short commit id that matches a branch tip and an older commit", async () => {
    const tip = `abc1234${"1".repeat(33)}`;
    const older = `abc1234${"2".repeat(33)}`;
    refs = { branches: [{ name: "main", targetCommit: tip }], tags: [] };
    const commit = (id: string) => ({
      id,
      title: "t",
      message: "",
      authors: [],
      date: "2025-01-01T00:00:00.000Z",
    });
    commits = [commit(tip), commit(older)];
    await assert.rejects(
      client().resolveModel("acme/x", "abc1234"),
      (e: unknown) =>
        e instanceof UsageError && /ambiguous/.test(e.message) && e.message.includes(older),
    );
  });
});
