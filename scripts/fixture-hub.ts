/**
 * Runs the fixture Hub standalone (for the demo and for trying the CLI by hand):
 *
 *   node --import tsx scripts/fixture-hub.ts [--port N]
 *
 * Prints HF_ENDPOINT=http://127.0.0.1:PORT, the repos and the test tokens, then serves until
 * SIGINT/SIGTERM. No internet involved: everything is served from fixtures/hub/.
 */
import { startFixtureHub } from "../test/helpers/fixture-hub/index.js";

function parsePort(argv: readonly string[]): number {
  const i = argv.indexOf("--port");
  if (i < 0) return 0;
  const raw = argv[i + 1];
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) > 65535) {
    throw new Error(`--port needs a number 0-65535, got ${raw ?? "nothing"}`);
  }
  return Number(raw);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write("usage: node --import tsx scripts/fixture-hub.ts [--port N]\n");
    return;
  }
  const hub = await startFixtureHub({ port: parsePort(argv) });
  const out: string[] = [`HF_ENDPOINT=${hub.url}`, "", "repos:"];
  for (const id of hub.repoIds()) {
    out.push(`  ${id.padEnd(32)} main=${hub.resolve(id, "HEAD")}`);
  }
  out.push("", "tokens (pass as HF_TOKEN):");
  for (const [token, grant] of Object.entries(hub.tokens)) {
    const access = grant.access.length > 0 ? grant.access.join(", ") : "public repos only";
    out.push(`  ${token}  user=${grant.user}  access: ${access}`);
  }
  out.push("", `LFS CDN origin: ${hub.cdnUrl}`, "Serving; press Ctrl-C to stop.");
  process.stdout.write(`${out.join("\n")}\n`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping fixture hub\n`);
    hub.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  process.stderr.write(`fixture-hub: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
