// The real write thread (src/io/blob-sink-worker.ts) behind a plain .js entry file, as the built
// CLI starts it (dist/io/blob-sink-worker.js), for test/io/threaded-sink.test.ts.
const api = await import("tsx/esm/api");
api.register();
await import("../../src/io/blob-sink-worker.ts");
