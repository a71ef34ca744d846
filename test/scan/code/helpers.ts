/** Shared helpers for the Python analysis tests: the real shipped rules and grammar, no mocks. */
import type { Finding } from "../../../src/core/finding.js";
import { worstVerdict } from "../../../src/core/verdict.js";
import { readPythonPolicy } from "../../../src/io/policy-python.js";
import { analyzePythonSource } from "../../../src/scan/code/python.js";

export const pythonPolicy = readPythonPolicy();

export async function analyze(source: string) {
  const result = await analyzePythonSource(new TextEncoder().encode(source), pythonPolicy);
  return { ...result, verdict: worstVerdict(result.findings.map((f) => f.verdict)) };
}

/** One line per finding, for readable assertion failures. */
export function show(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.verdict} ${f.line}:${f.column} ${f.message}`).join("\n");
}

/** The findings whose message mentions `text`. */
export function about(findings: readonly Finding[], text: string): Finding[] {
  return findings.filter((f) => f.message.includes(text));
}
