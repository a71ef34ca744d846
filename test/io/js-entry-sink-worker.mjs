// The real write thread (src/io/download-sink-worker.ts) behind a plain .js entry file, as the built
// CLI starts it (dist/io/download-sink-worker.js), for test/io/download-sink-threaded.test.ts.
const api = await import("tsx/esm/api");
api.register();
await import("../../src/io/download-sink-worker.ts");
