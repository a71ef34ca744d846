/**
 * Runs the fixture Hub standalone (for the demo and for trying the CLI by hand):
 *
 *   node --import tsx scripts/fixture-hub.ts [--port N] [--repos DIR] [--add ORG/NAME=FOLDER]… [--xet]
 *
 * Prints HF_ENDPOINT=http://127.0.0.1:PORT, the repos and the test tokens, then serves until
 * SIGINT/SIGTERM. No internet involved: everything is served from fixtures/hub/ (or the fixture set
 * in --repos DIR), plus each --add folder as a one-commit repo (e.g. a model save_pretrained wrote,
 * as tools/conformance/run.ts does in-process); --xet advertises LFS files as Xet-backed.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { startFixtureHub } from "../test/helpers/fixture-hub/index.js";

/** Every file under a folder (recursive; links are not followed), as repo path → bytes. */
function readFolder(root: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out[relative(root, full).split("\\").join("/")] = readFileSync(full);
    }
  };
  if (!statSync(root).isDirectory()) throw new Error(`--add: ${root} is not a folder`);
  walk(root);
  return out;
}

function parseAdds(argv: readonly string[]): Array<{ id: string; folder: string }> {
  const adds: Array<{ id: string; folder: string }> = [];
  argv.forEach((arg, i) => {
    if (arg !== "--add") return;
    const raw = argv[i + 1] ?? "";
    const eq = raw.indexOf("=");
    if (eq <= 0 || eq === raw.length - 1) {
      throw new Error(`--add needs ORG/NAME=FOLDER, got ${raw || "nothing"}`);
    }
    adds.push({ id: raw.slice(0, eq), folder: resolve(raw.slice(eq + 1)) });
  });
  return adds;
}

function option(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith("--")) throw new Error(`${name} needs a value`);
  return v;
}

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
    process.stdout.write(
      "usage: node --import tsx scripts/fixture-hub.ts [--port N] [--repos DIR] [--add ORG/NAME=FOLDER]… [--xet]\n",
    );
    return;
  }
  const repos = option(argv, "--repos");
  const adds = parseAdds(argv);
  const hub = await startFixtureHub({
    port: parsePort(argv),
    ...(repos !== undefined ? { repos: resolve(repos) } : {}),
  });
  try {
    for (const add of adds) hub.addRepo({ id: add.id, files: readFolder(add.folder) });
  } catch (err) {
    await hub.close();
    throw err;
  }
  hub.knobs.xet = argv.includes("--xet");
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
