// Runs several test files in this one process (scripts/run-tests.mjs batches the small files of
// the pure layers so they share one Node start): imports each in turn; node:test runs their tests
// in the order they were declared and reports them together.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

for (const file of process.argv.slice(2)) await import(pathToFileURL(resolve(file)).href);
