/**
 * The layering of shared/design.md, enforced: core/ and scan/ are pure (bytes and values in,
 * values out), so they import neither io/, app/ nor cli/, and no Node module that reaches the
 * file system, the network, processes, threads or the clock's environment (with or without the
 * `node:` prefix); io/ never imports app/ or cli/, and takes only types from scan/ (one
 * documented exception: the HDF5 worker thread, which hosts scan's h5wasm reader); app/ never
 * imports cli/; cli/ never imports io/ (it goes through app/). Every import is read from the
 * source text: static `import`/`export … from`, side-effect imports and dynamic `import("…")`.
 *
 * And a size fence: no source file passes 400 lines (shared/design.md: split past ~300).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
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
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

interface Import {
  specifier: string;
  /** The layer a relative import lands in (undefined for packages and Node modules). */
  layer: string | undefined;
  /**
   * `import type …` / `export type … from`: erased at compile time, nothing loads at runtime.
   * (`import { type A }` is not: under verbatimModuleSyntax it still loads the module.)
   */
  typeOnly: boolean;
}

/** Every module specifier a file imports, with the layer it lands in for relative ones. */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const out: Import[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = (match[3] ?? match[4])!;
    let layer: string | undefined;
    if (specifier.startsWith(".")) {
      const target = relative(SRC, resolve(dirname(file), specifier));
      layer = target.startsWith("..") ? "outside-src" : (target.split(sep)[0] ?? "");
    }
    out.push({ specifier, layer, typeOnly: match[2] !== undefined });
  }
  return out;
}

/** Node modules a pure layer may use: computation only. */
const PURE_NODE = new Set(["node:crypto", "node:path", "node:zlib", "node:util", "node:buffer"]);

/** `fs`, `fs/promises`, `node:fs`: a Node built-in, with or without its prefix. */
function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith("node:") || builtinModules.includes(specifier);
}

function nodeName(specifier: string): string {
  return specifier.startsWith("node:") ? specifier : `node:${specifier}`;
}

const FORBIDDEN_LAYERS: Record<string, readonly string[]> = {
  core: ["io", "app", "cli", "scan"],
  scan: ["io", "app", "cli"],
  // io/ may take types from scan/ (the policies it loads are scan's input), never its code: see
  // the io/ -> scan/ test below.
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
  const policy = importsOf(join(SRC, "io", "policy-files.ts"));
  const typeImport = policy.find((i) => i.specifier === "../scan/policy.js");
  assert.equal(typeImport?.typeOnly, true, "`import type` is told apart");
  const worker = importsOf(join(SRC, "io", "hdf5-worker.ts"));
  const valueImport = worker.find((i) => i.specifier === "../scan/keras/hdf5-read.js");
  assert.equal(valueImport?.typeOnly, false, "`import { type A, b }` loads the module");
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

/**
 * io/ files that load scan/ code at runtime, and why. The HDF5 worker is a thread entry that
 * io/hdf5-runner.ts starts by file URL to run scan's h5wasm reader where a deadline can stop it;
 * the runner is io/ (io/policy-files.ts wires it into the policy), so the worker stays beside it
 * rather than being reached from io/ by a path into app/ that no import fence would see.
 */
const IO_HOSTS_SCAN: Record<string, string> = {
  "io/hdf5-worker.ts": "the worker thread that runs scan/keras/hdf5-read.ts under a deadline",
};

test("io/ takes only types from scan/ (except the documented hosts of scan code)", () => {
  const files = sourceFiles(join(SRC, "io"));
  const bad = files.flatMap((file) => {
    const name = relative(SRC, file).split(sep).join("/");
    if (IO_HOSTS_SCAN[name] !== undefined) return [];
    return importsOf(file)
      .filter((i) => i.layer === "scan" && !i.typeOnly)
      .map((i) => `${name} -> ${i.specifier}`);
  });
  assert.deepEqual(bad, []);
  for (const [name, why] of Object.entries(IO_HOSTS_SCAN)) {
    const loads = importsOf(join(SRC, name)).some((i) => i.layer === "scan" && !i.typeOnly);
    assert.ok(loads, `${name} no longer loads scan/ code: take it off IO_HOSTS_SCAN`);
    console.log(`io/ -> scan/ exception: ${name} (${why})`);
  }
});

for (const layer of ["core", "scan"]) {
  test(`${layer}/ is pure: no Node module that touches files, network, processes or threads`, () => {
    const bad = sourceFiles(join(SRC, layer)).flatMap((file) =>
      importsOf(file)
        .filter((i) => i.layer === undefined && isNodeBuiltin(i.specifier))
        .filter((i) => !PURE_NODE.has(nodeName(i.specifier)))
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

test("a pure layer's forbidden Node modules are caught with or without the node: prefix", () => {
  for (const specifier of [
    "node:fs",
    "fs",
    "fs/promises",
    "node:net",
    "node:http",
    "https",
    "node:child_process",
  ]) {
    assert.ok(isNodeBuiltin(specifier), specifier);
    assert.ok(!PURE_NODE.has(nodeName(specifier)), specifier);
  }
  assert.ok(!isNodeBuiltin("zod"));
  assert.ok(PURE_NODE.has(nodeName("path")));
});

const MAX_LINES = 400;

function lineCount(file: string): number {
  const text = readFileSync(file, "utf8");
  return text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
}

test(`no source file passes ${MAX_LINES} lines`, () => {
  const sizes = sourceFiles(SRC).map((file) => ({
    name: relative(SRC, file).split(sep).join("/"),
    lines: lineCount(file),
  }));
  assert.ok(sizes.length > 100, "the source tree is read");
  assert.ok(sizes.every((s) => s.lines > 0));
  const over = sizes.filter((s) => s.lines > MAX_LINES);
  assert.deepEqual(
    over.map((s) => `${s.name}: ${s.lines} lines`),
    [],
    `split these along their seams (at most ${MAX_LINES} lines per file)`,
  );
});
