/** The common Hub flags' helpers that print: retry notes on stderr. The rest is app/session.ts. */

export { loadProject, loadPullPolicy, makeHubClient, today } from "../app/session.js";

/** Hub retry notes for commands without a progress display: one line each on stderr, unless quiet. */
export function retryNotes(quiet: boolean | undefined): ((line: string) => void) | undefined {
  if (quiet) return undefined;
  return (line) => process.stderr.write(`modelvet: ${line}\n`);
}
