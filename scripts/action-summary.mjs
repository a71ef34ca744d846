#!/usr/bin/env node
// Used by action.yml: when modelvet writes SARIF, print its results to the job log (one line
// each, as GitHub annotations) and add a table to the job summary, so the log still says what
// failed. Usage: node scripts/action-summary.mjs <file.sarif>
import { appendFileSync, readFileSync } from "node:fs";

const log = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = log.runs.flatMap((run) => run.results ?? []);
const ANNOTATION = { error: "error", warning: "warning", note: "notice", none: "notice" };
// GitHub workflow commands: % CR LF are escaped in the message, also , and : in properties.
const escapeData = (s) => s.replaceAll("%", "%25").replaceAll("\r", "%0D").replaceAll("\n", "%0A");
const escapeProperty = (s) => escapeData(s).replaceAll(":", "%3A").replaceAll(",", "%2C");

const rows = [];
for (const r of results) {
  const physical = r.locations?.[0]?.physicalLocation;
  const file = physical?.artifactLocation?.uri ?? "";
  const line = physical?.region?.startLine ?? 1;
  const text = `${r.ruleId}: ${r.message.text}`;
  const props = physical?.artifactLocation?.uriBaseId
    ? ` file=${escapeProperty(file)},line=${line}`
    : "";
  console.log(`::${ANNOTATION[r.level ?? "warning"] ?? "warning"}${props}::${escapeData(text)}`);
  rows.push(
    `| ${r.level ?? ""} | \`${r.ruleId}\` | \`${file}:${line}\` | ${r.message.text.replaceAll("|", "\\|").replaceAll("\n", " ")} |`,
  );
}
console.log(`modelvet: ${results.length} result(s) in ${process.argv[2]}`);
if (process.env.GITHUB_STEP_SUMMARY) {
  const table =
    results.length === 0
      ? "modelvet: nothing to report.\n"
      : `### modelvet: ${results.length} result(s)\n\n| level | rule | where | message |\n| --- | --- | --- | --- |\n${rows.join("\n")}\n`;
  appendFileSync(process.env.GITHUB_STEP_SUMMARY, table);
}
