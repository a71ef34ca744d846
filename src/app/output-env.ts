/**
 * The little of io/ that printing needs, apart from app/session.ts so that `--help` and
 * `--version` (main.ts, output.ts) do not load the Hub client, zod and the policy loaders.
 */
export { writeFileAtomic } from "../io/atomic-file.js";
export { redactSecrets } from "../io/fetch.js";
export { knownSecrets } from "../io/hub-config.js";
