// A node:test reporter for scripts/run-tests.mjs: writes the file's summary counts (the same
// figures the spec reporter prints at the end: tests, suites, pass, fail, cancelled, skipped,
// todo) as one JSON object, so the runner can add them up over every file.
const KEYS = new Set([
  "tests",
  "suites",
  "pass",
  "fail",
  "cancelled",
  "skipped",
  "todo",
  "duration_ms",
]);

export default async function* totalsReporter(source) {
  const totals = {};
  for await (const event of source) {
    if (event.type !== "test:diagnostic" || event.data.nesting !== 0) continue;
    const match = /^(\w+) ([\d.]+)$/.exec(event.data.message);
    if (match && KEYS.has(match[1])) totals[match[1]] = Number(match[2]);
  }
  if ("tests" in totals && "fail" in totals) yield `${JSON.stringify(totals)}\n`;
}
