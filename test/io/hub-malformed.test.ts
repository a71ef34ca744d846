/**
 * Malformed protocol answers (issue #14 item 8): wrong JSON types, absurd sizes, unusable probe
 * headers and hostile error texts. Each one is a HubError (exit 3) whose message says what was
 * wrong; none is an internal error, none is taken at face value.
 */
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { after, before, describe, it } from "node:test";
import { HubError } from "../../src/core/errors.js";
import { HubClient } from "../../src/io/hub.js";
import { type Origin, serve } from "../helpers/http-origin.js";

const SHA = "a".repeat(40);
const OID = "b".repeat(40);
const TOKEN = "hf_malformedTestToken0123456789";

let hub: Origin;
before(async () => {
  hub = await serve();
});
after(() => {
  hub.server.closeAllConnections();
  hub.server.close();
});

const json =
  (body: unknown, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(200, { "Content-Type": "application/json", ...headers });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
  };

const client = () => new HubClient({ hubUrl: hub.url, token: TOKEN }, { sleep: async () => {} });

async function hubError(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof HubError, `expected a HubError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    assert.ok(!e.message.includes(TOKEN));
    return true;
  });
}

const info = (extra: Record<string, unknown>) => ({
  _id: "x",
  id: "acme/x",
  sha: SHA,
  private: false,
  gated: false,
  lastModified: "2025-01-01T00:00:00.000Z",
  ...extra,
});

describe("malformed answers", () => {
  const sizes: Array<[string, number]> = [
    ["beyond 2^53", 2 ** 60],
    ["1e300", 1e300],
  ];
  for (const [name, size] of sizes) {
    it(`a tree entry with an absurd size (${name}) is refused`, async () => {
      hub.handle.current = json([{ type: "file", path: "a.bin", size, oid: OID }]);
      await hubError(client().listRepoFiles("acme/x", SHA), "HUB_PROTOCOL", /tree entry|size/);
    });
  }

  for (const [name, body] of [
    ["an object instead of a list", { files: [] }],
    ["null", null],
    ["a number", 42],
  ] as const) {
    it(`a tree listing that is ${name} is refused`, async () => {
      hub.handle.current = json(body);
      await hubError(client().listRepoFiles("acme/x", SHA), "HUB_PROTOCOL", /list the files/);
    });
  }

  it("repo info that is not an object is refused", async () => {
    hub.handle.current = json(null);
    await hubError(client().fetchRepoInfo("acme/x"), "HUB_PROTOCOL", /read acme\/x/);
  });

  it("repo info whose `private` is not a boolean is refused", async () => {
    hub.handle.current = json(info({ private: "no" }));
    await hubError(client().fetchRepoInfo("acme/x"), "HUB_PROTOCOL", /private/);
  });

  it("a commit page that is not a list is refused", async () => {
    hub.handle.current = json({ commits: [] });
    await hubError(client().fetchCommitIds("acme/x", SHA, 10), "HUB_PROTOCOL", /commits/);
  });

  for (const [name, range] of [
    ["a non-number", "bytes 0-0/abc"],
    ["an absurd number", "bytes 0-0/99999999999999999999999"],
  ] as const) {
    it(`a probe whose Content-Range total is ${name} is refused`, async () => {
      hub.handle.current = (_req, res) => {
        res.writeHead(206, { "Content-Range": range, ETag: `"${OID}"` }).end("x");
      };
      await hubError(
        client().fetchDownloadInfo("acme/x", SHA, "a.bin"),
        "HUB_PROTOCOL",
        /size|Content-Range/,
      );
    });
  }

  it("a probe without ETag is refused", async () => {
    hub.handle.current = (_req, res) => {
      res.writeHead(206, { "Content-Range": "bytes 0-0/10" }).end("x");
    };
    await hubError(client().fetchDownloadInfo("acme/x", SHA, "a.bin"), "HUB_PROTOCOL", /./);
  });

  it("an error text with terminal escapes and no end is cleaned and bounded in the message", async () => {
    hub.handle.current = (_req, res) => {
      res.writeHead(403, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: `\u001b]0;owned\u0007\u001b[2J${"A".repeat(100_000)}` }));
    };
    await assert.rejects(client().fetchRepoInfo("acme/x"), (e: unknown) => {
      assert.ok(e instanceof HubError, String(e));
      assert.equal(e.code, "HUB_AUTH");
      assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f]/);
      assert.ok(e.message.length < 2000, `message of ${e.message.length} characters`);
      return true;
    });
  });
});
