// Runs several test files in this one process (scripts/run-tests.mjs batches files so they share
// one Node start): imports each in turn; node:test runs their tests one at a time, in the order
// they were declared, and reports them together.
import { resolve } from "node:path";
import { before } from "node:test";
import { pathToFileURL } from "node:url";

// Resolved before the first import, and no test starts before the last file is imported: a
// test may change the working directory for a moment (test/helpers/run-cli-in-process.ts), and a
// file imported meanwhile must see the one it was started in, at import as in its tests.
const urls = process.argv.slice(2).map((file) => pathToFileURL(resolve(file)).href);
let imported;
const allImported = new Promise((done) => {
  imported = done;
});
before(() => allImported);
for (const url of urls) await import(url);
imported();
