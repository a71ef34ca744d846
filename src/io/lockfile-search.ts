/**
 * Finding lock files for `modelvet audit --lockfile GLOB`: a plain path names one file (which must
 * exist); a pattern is matched against every file below the current folder (relative POSIX paths;
 * a pattern without `/` matches the base name anywhere). The walk does not follow symbolic links,
 * skips node_modules and .git, and stops at a depth and an entry budget so a huge checkout cannot
 * make it run away.
 */
import { type Dirent, existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";
import { InputError } from "../core/errors.js";
import { compileGlobFilter } from "../core/globs.js";

const SKIP = new Set(["node_modules", ".git", ".hg", ".svn"]);
const MAX_DEPTH = 32;
const MAX_ENTRIES = 200_000;

const isPattern = (text: string) => /[*?[\]{}!]/.test(text);

function walk(root: string, visit: (relativePath: string) => void): void {
  let entries = 0;
  const stack: { dir: string; depth: number }[] = [{ dir: root, depth: 0 }];
  while (stack.length > 0) {
    const { dir, depth } = stack.pop()!;
    let list: Dirent[];
    try {
      list = readdirSync(dir, { withFileTypes: true });
    } catch {
      continue; // an unreadable folder holds no lock file we can read either
    }
    for (const entry of list) {
      if (++entries > MAX_ENTRIES)
        throw new InputError(
          "INPUT_UNREADABLE",
          `More than ${MAX_ENTRIES} entries below ${root}: name the lock files more precisely.`,
        );
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP.has(entry.name) && depth < MAX_DEPTH) stack.push({ dir: path, depth: depth + 1 });
      } else if (entry.isFile()) {
        visit(relative(root, path).split(sep).join("/"));
      }
    }
  }
}

/** Absolute paths of the lock files `specs` name, sorted and without repeats. */
export function findLockfiles(specs: readonly string[], cwd = process.cwd()): string[] {
  const found = new Set<string>();
  const patterns: string[] = [];
  for (const spec of specs) {
    if (isPattern(spec)) {
      patterns.push(spec.replace(/^\.\//, ""));
      continue;
    }
    const path = resolve(cwd, spec);
    if (!existsSync(path) || !statSync(path).isFile())
      throw new InputError("INPUT_NOT_FOUND", `No lock file at ${path}.`);
    found.add(path);
  }
  if (patterns.length > 0) {
    const matches = compileGlobFilter({ include: patterns, exclude: [] });
    let any = false;
    walk(cwd, (path) => {
      if (!matches(path)) return;
      any = true;
      found.add(resolve(cwd, path));
    });
    if (!any)
      throw new InputError(
        "INPUT_NOT_FOUND",
        `No file below ${cwd} matches ${patterns.map((p) => JSON.stringify(p)).join(", ")}.`,
      );
  }
  return [...found].sort();
}
