import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, beforeEach, describe, it } from "node:test";
import { HubError } from "../../src/core/errors.js";
import {
  createRecordingFetch,
  HUB_RETRY_POLICY,
  type RetryEvent,
  redactSecrets,
  retryDelayMs,
  USER_AGENT,
} from "../../src/io/fetch.js";
import { classifyFailure } from "../../src/io/hub-errors.js";

const TOKEN = "hf_fetchtestsecret0123456789";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let queue: Handler[] = [];
let seen: Array<{ method: string; url: string; ua: string | undefined }> = [];
let base = "";
const server = createServer((req, res) => {
  seen.push({ method: req.method ?? "", url: req.url ?? "", ua: req.headers["user-agent"] });
  const next = queue.shift() ?? ((_q, r) => r.writeHead(599).end());
  req.resume();
  req.on("end", () => next(req, res));
});

before(async () => {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  queue = [];
  seen = [];
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_q, r) => {
    r.writeHead(status, { "Content-Type": "application/json", ...headers }).end(
      JSON.stringify(body),
    );
  };
const hangUp: Handler = (req) => req.socket.destroy();

function recorder(extra: { maxTotalWaitMs?: number; maxBufferedBytes?: number } = {}) {
  const sleeps: number[] = [];
  const retries: RetryEvent[] = [];
  const rec = createRecordingFetch(
    {
      token: TOKEN,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onRetry: (e) => retries.push(e),
      retry: extra.maxTotalWaitMs === undefined ? {} : { maxTotalWaitMs: extra.maxTotalWaitMs },
      ...(extra.maxBufferedBytes === undefined ? {} : { maxBufferedBytes: extra.maxBufferedBytes }),
    },
    "api",
  );
  return { rec, sleeps, retries };
}

describe("fetch wrapper: retries", () => {
  it("retries 503 with exponential backoff, then returns the good answer, with our User-Agent", async () => {
    queue = [json(503, { error: "busy" }), json(502, {}), json(200, { ok: 1 })];
    const { rec, sleeps, retries } = recorder();
    const res = await rec.fetch(`${base}/api/models/a/b`);
    assert.deepEqual(await res.json(), { ok: 1 });
    assert.deepEqual(sleeps, [1000, 2000]);
    assert.deepEqual(
      retries.map((r) => [r.attempt, r.reason]),
      [
        [1, "HTTP 503"],
        [2, "HTTP 502"],
      ],
    );
    assert.ok(seen.every((s) => s.ua === USER_AGENT));
    assert.match(USER_AGENT, /^modelvet\/\d+\.\d+\.\d+/);
    assert.equal(rec.lastFailure(), undefined);
  });

  it("waits t+1 s when RateLimit says r=0, and honours an integer Retry-After", async () => {
    queue = [
      json(429, {}, { RateLimit: '"api";r=0;t=5', "Retry-After": "99" }),
      json(429, {}, { "Retry-After": "3" }),
      json(429, {}, { "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT" }),
      json(200, []),
    ];
    const { rec, sleeps } = recorder();
    assert.equal((await rec.fetch(`${base}/api/x`)).status, 200);
    assert.deepEqual(sleeps, [6000, 3000, 4000]);
  });

  it("stops after 5 retries and records the last failure with its Hub headers", async () => {
    queue = Array.from({ length: 6 }, () =>
      json(500, { error: "boom" }, { "X-Error-Code": "Whatever", "X-Request-Id": "req-1" }),
    );
    const { rec, sleeps } = recorder();
    const res = await rec.fetch(`${base}/api/x?secret=1`);
    assert.equal(res.status, 500);
    assert.equal(seen.length, 6);
    assert.deepEqual(sleeps, [1000, 2000, 4000, 8000, 8000]);
    const f = rec.lastFailure();
    assert.equal(f?.retries, 5);
    assert.equal(f?.waitedMs, 23000);
    assert.equal(f?.errorCode, "Whatever");
    assert.equal(f?.url, `${base}/api/x`);
  });

  it("gives up at once when the server asks for a wait beyond the total budget", async () => {
    queue = [json(429, {}, { "Retry-After": "600" }), json(200, {})];
    const { rec, sleeps } = recorder({ maxTotalWaitMs: 60_000 });
    const res = await rec.fetch(`${base}/api/x`);
    assert.equal(res.status, 429);
    assert.deepEqual(sleeps, []);
    assert.equal(rec.lastFailure()?.askedWaitMs, 600_000);
    const error = classifyFailure(
      { what: "read a/b", repo: "a/b", hubUrl: base, token: undefined },
      rec.lastFailure()!,
    );
    assert.equal(error.code, "HUB_RATE_LIMITED");
    assert.match(error.message, /asked us to wait 600 s/);
    assert.match(error.message, /pass a token/);
  });

  it("does not retry a POST other than paths-info, and does retry paths-info", async () => {
    queue = [json(503, {})];
    const { rec } = recorder();
    assert.equal(
      (await rec.fetch(`${base}/api/models/a/b/commit/main`, { method: "POST", body: "{}" }))
        .status,
      503,
    );
    assert.equal(seen.length, 1);
    queue = [json(503, {}), json(200, [])];
    const r2 = recorder().rec;
    assert.equal(
      (await r2.fetch(`${base}/api/models/a/b/paths-info/main`, { method: "POST", body: "{}" }))
        .status,
      200,
    );
    assert.equal(seen.length, 3);
  });

  it("retries network errors and a body cut short, then succeeds", async () => {
    queue = [
      hangUp,
      (_q, r) => {
        r.writeHead(200, { "Content-Type": "application/json", "Content-Length": "100" });
        r.write('[{"path":"a"', () => r.destroy());
      },
      json(200, [{ path: "a" }]),
    ];
    const { rec, retries } = recorder();
    const res = await rec.fetch(`${base}/api/x`);
    assert.deepEqual(await res.json(), [{ path: "a" }]);
    assert.equal(retries.length, 2);
  });

  it("ends persistent network failure in a NETWORK HubError that never shows the token", async () => {
    queue = Array.from({ length: 6 }, () => hangUp);
    const { rec } = recorder();
    await assert.rejects(
      rec.fetch(`${base}/api/x?token=${TOKEN}`, { headers: { Authorization: `Bearer ${TOKEN}` } }),
      (e: unknown) =>
        e instanceof HubError &&
        e.code === "NETWORK" &&
        !e.message.includes(TOKEN) &&
        /after 5 retries/.test(e.message),
    );
  });

  it("refuses an API body over the bound as a protocol error", async () => {
    queue = [json(200, { big: "x".repeat(5000) })];
    const { rec } = recorder({ maxBufferedBytes: 1000 });
    await assert.rejects(
      rec.fetch(`${base}/api/x`),
      (e: unknown) => e instanceof HubError && e.code === "HUB_PROTOCOL",
    );
  });
});

describe("retryDelayMs", () => {
  it("caps exponential backoff at 8 s", () => {
    const delays = [0, 1, 2, 3, 4, 5].map((n) => retryDelayMs(n, undefined, HUB_RETRY_POLICY));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it("ignores RateLimit when requests remain", () => {
    const response = { status: 429, headers: new Headers({ RateLimit: '"api";r=3;t=100' }) };
    assert.equal(retryDelayMs(0, response, HUB_RETRY_POLICY), 1000);
  });
});

describe("redaction", () => {
  it("masks hf_ tokens, Authorization values and the exact secret", () => {
    const text = `Authorization: Bearer ${TOKEN} and hf_abcdefghij and custom-secret-x`;
    const out = redactSecrets(text, "custom-secret-x");
    assert.ok(!out.includes(TOKEN));
    assert.ok(!out.includes("hf_abcdefghij"));
    assert.ok(!out.includes("custom-secret-x"));
  });

  it("keeps the token out of classified Hub errors even when the server echoes it", () => {
    const error = classifyFailure(
      { what: "read a/b", repo: "a/b", hubUrl: base, token: TOKEN },
      {
        method: "GET",
        url: `${base}/api/x`,
        status: 418,
        errorCode: undefined,
        errorMessage: `bad token ${TOKEN}`,
        requestId: undefined,
        retries: 0,
        waitedMs: 0,
      },
    );
    assert.equal(error.code, "HUB_PROTOCOL");
    assert.ok(!error.message.includes(TOKEN));
    assert.match(error.message, /bad token hf_\*\*\*/);
  });
});
