/** Odd and hostile requests get a typed HTTP error (never a 500 "fixture hub bug"), and the server lives on. */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { type FixtureHub, startFixtureHub } from "../helpers/fixture-hub/index.js";

const R = "acme/tiny-safetensors";

/** Sends a raw request line (fetch would normalise the path) and returns the status code. */
function rawStatus(hub: FixtureHub, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(hub.url).port), "127.0.0.1", () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: fixture\r\nConnection: close\r\n\r\n`),
    );
    let text = "";
    socket.setEncoding("latin1").on("data", (d: string) => {
      text += d;
    });
    socket.on("error", reject);
    socket.on("close", () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
  });
}

describe("hostile requests", () => {
  let hub: FixtureHub;
  before(async () => {
    hub = await startFixtureHub();
  });
  after(() => hub.close());

  it("a catalogue of malformed requests each gets its 4xx", async () => {
    const cases: Array<[string, RequestInit & { url: string }, number]> = [
      ["non-numeric limit", { url: `/api/models/${R}/tree/main?limit=abc` }, 400],
      ["negative limit", { url: `/api/models/${R}/tree/main?limit=-1` }, 400],
      ["zero limit", { url: `/api/models/${R}/commits/main?limit=0` }, 400],
      [
        "cursor that is not ours",
        { url: `/api/models/${R}/tree/main?cursor=eyJmaWxlX29mZnNldCI6LTF9` },
        400,
      ],
      ["page past the end", { url: `/api/models/${R}/commits/main?p=99` }, 200],
      ["empty revision", { url: `/api/models/${R}/revision/` }, 404],
      ["unknown API route", { url: `/api/models/${R}/nonsense` }, 404],
      ["DELETE on a repo", { url: `/api/models/${R}`, method: "DELETE" }, 404],
      ["traversal in a file path", { url: `/${R}/resolve/main/..%2F..%2Fetc%2Fpasswd` }, 404],
      ["file path that is a directory", { url: `/${R}/resolve/main/onnx/` }, 404],
      [
        "Basic auth instead of Bearer",
        { url: `/api/models/${R}`, headers: { Authorization: "Basic YTpi" } },
        401,
      ],
      ["empty Bearer", { url: `/api/models/${R}`, headers: { Authorization: "Bearer " } }, 401],
      [
        "paths-info: paths not an array",
        {
          url: `/api/models/${R}/paths-info/main`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: '{"paths":{}}',
        },
        400,
      ],
      [
        "paths-info: JSON that is not an object",
        {
          url: `/api/models/${R}/paths-info/main`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: "null",
        },
        400,
      ],
      [
        "paths-info: expand not a boolean",
        {
          url: `/api/models/${R}/paths-info/main`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: '{"paths":["a"],"expand":"yes"}',
        },
        400,
      ],
      [
        "paths-info: 2001 paths",
        {
          url: `/api/models/${R}/paths-info/main`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ paths: Array.from({ length: 2001 }, (_, i) => `p${i}`) }),
        },
        400,
      ],
      [
        "paths-info: 2 MB body",
        {
          url: `/api/models/${R}/paths-info/main`,
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: `{"paths":["${"a".repeat(2 << 20)}"]}`,
        },
        413,
      ],
      [
        "range with letters",
        { url: `/${R}/raw/main/config.json`, headers: { Range: "bytes=a-b" } },
        200,
      ],
      [
        "inverted range",
        { url: `/${R}/raw/main/config.json`, headers: { Range: "bytes=9-2" } },
        200,
      ],
      [
        "zero-length suffix range",
        { url: `/${R}/raw/main/config.json`, headers: { Range: "bytes=-0" } },
        416,
      ],
      [
        "other range unit",
        { url: `/${R}/raw/main/config.json`, headers: { Range: "items=0-1" } },
        200,
      ],
    ];
    for (const [name, { url, ...init }, status] of cases) {
      const res = await fetch(`${hub.url}${url}`, { redirect: "manual", ...init });
      assert.equal(res.status, status, name);
      await res.arrayBuffer();
    }
  });

  it("raw request targets fetch would normalise: bad percent-encoding, dot segments", async () => {
    assert.equal(await rawStatus(hub, `/api/models/${R}/tree/%E0%A4%A`), 400);
    assert.equal(await rawStatus(hub, `/${R}/resolve/main/../../../etc/passwd`), 404);
    assert.equal(await rawStatus(hub, "*"), 404);
  });

  it("non-ASCII revisions and file names: typed errors and served files, never an invalid header", async () => {
    const rev = await fetch(`${hub.url}/api/models/${R}/revision/%E2%9C%93`);
    assert.equal(rev.status, 404);
    assert.equal(rev.headers.get("x-error-code"), "RevisionNotFound");
    assert.equal(((await rev.json()) as { error: string }).error, "Invalid rev id: \u2713");
    const id = hub.pushCommit(R, {
      branch: "main",
      message: "unicode",
      files: { "données/é.txt": "ok\n" },
    });
    try {
      const res = await fetch(`${hub.url}/${R}/resolve/${id}/donn%C3%A9es/%C3%A9.txt`);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), "ok\n");
      const cd = res.headers.get("content-disposition") ?? "";
      assert.ok(cd.includes("filename*=UTF-8''%C3%A9.txt"), cd);
      const missing = await fetch(`${hub.url}/${R}/resolve/${id}/%C3%A9-missing.txt`);
      assert.equal(missing.headers.get("x-error-code"), "EntryNotFound");
    } finally {
      hub.resetRepos();
    }
  });

  it("no request made the fixture fail with a 500, and it still serves", async () => {
    assert.deepEqual(
      hub.requests.filter((r) => r.status === 500),
      [],
    );
    assert.equal((await fetch(`${hub.url}/api/models/${R}`)).status, 200);
  });
});
