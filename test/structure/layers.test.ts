/**
 * The layering of shared/design.md, enforced: core/ and scan/ are pure (bytes and values in,
 * values out), so they import neither io/, app/ nor cli/, and no Node module that reaches the
 * file system, the network, processes, threads or the clock's environment; io/ never imports
 * app/ or cli/; app/ never imports cli/; cli/ never imports io/ (it goes through app/). Every import is read from the source text: static
 * `import`/`export … from`, side-effect imports and dynamic `import("…")`.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";

const SRC = resolve("src");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (/\.ts$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(path);
  }
  return out;
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

/** Every module specifier a file imports, with the layer it lands in for relative ones. */
function importsOf(file: string): { specifier: string; layer: string | undefined }[] {
  const text = readFileSync(file, "utf8");
  const out: { specifier: string; layer: string | undefined }[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2])!;
    let layer: string | undefined;
    if (specifier.startsWith(".")) {
      const target = relative(SRC, resolve(dirname(file), specifier));
      layer = target.startsWith("..") ? "outside-src" : (target.split(sep)[0] ?? "");
    }
    out.push({ specifier, layer });
  }
  return out;
}

/** Node modules a pure layer may use: computation only. */
const PURE_NODE = new Set(["node:crypto", "node:path", "node:zlib", "node:util", "node:buffer"]);

const FORBIDDEN_LAYERS: Record<string, readonly string[]> = {
  core: ["io", "app", "cli", "scan"],
  scan: ["io", "app", "cli"],
  io: ["app", "cli"],
  app: ["cli"],
  // cli/ parses arguments, renders and maps exit codes; what it needs from outside comes through
  // app/ (app/session.ts, app/output-env.ts), never from io/ directly.
  cli: ["io"],
};

test("the import graph is read: a known import of each kind is found", () => {
  const found = importsOf(join(SRC, "app", "scan-worker.ts")).map((i) => i.specifier);
  assert.ok(found.includes("../io/thread-pool.js"));
  const dynamic = importsOf(join(SRC, "app", "scan-worker-handler.ts")).map((i) => i.specifier);
  assert.ok(dynamic.includes("../io/policy-files.js"), "dynamic import() is seen");
});

for (const [layer, forbidden] of Object.entries(FORBIDDEN_LAYERS)) {
  test(`${layer}/ imports none of ${forbidden.join(", ")}`, () => {
    const files = sourceFiles(join(SRC, layer));
    assert.ok(files.length > 0);
    const bad = files.flatMap((file) =>
      importsOf(file)
        .filter((i) => i.layer !== undefined && forbidden.includes(i.layer))
        .map((i) => `${relative(SRC, file)} -> ${i.specifier}`),
    );
    assert.deepEqual(bad, []);
  });
}

for (const layer of ["core", "scan"]) {
  test(`${layer}/ is pure: no Node module that touches files, network, processes or threads`, () => {
    const bad = sourceFiles(join(SRC, layer)).flatMap((file) =>
      importsOf(file)
        .filter((i) => i.layer === undefined && i.specifier.startsWith("node:"))
        .filter((i) => !PURE_NODE.has(i.specifier))
        .map((i) => `${relative(SRC, file)} -> ${i.specifier}`),
    );
    assert.deepEqual(bad, []);
  });

  test(`${layer}/ reads no process state (process.*, globalThis.process)`, () => {
    const bad = sourceFiles(join(SRC, layer)).filter((file) =>
      /(?<![\w.])process\.(?:env|argv|exit|cwd|stdout|stderr|stdin|platform|pid)\b/.test(
        readFileSync(file, "utf8"),
      ),
    );
    assert.deepEqual(
      bad.map((f) => relative(SRC, f)),
      [],
    );
  });
}
