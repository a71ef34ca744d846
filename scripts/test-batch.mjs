// Runs several test files in this one process (scripts/run-tests.mjs batches the small files of
// the pure layers so they share one Node start): imports each in turn; node:test runs their tests
// in the order they were declared and reports them together.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

// Resolved before the first import: a file's tests may already run (and change the working
// directory for a moment, as test/helpers/run-cli-in-process.ts does) while the next is imported.
const urls = process.argv.slice(2).map((file) => pathToFileURL(resolve(file)).href);
for (const url of urls) await import(url);
