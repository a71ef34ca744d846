/**
 * Include/exclude globs over repo paths (`*.safetensors`, `onnx/**`). The only importer of
 * picomatch. Empty include means "every file"; exclude always wins. Patterns without a slash
 * match the base name anywhere in the tree, like .gitignore and huggingface_hub's allow_patterns
 * users expect (`*.json` matches `tokenizer/config.json`).
 */
import picomatch from "picomatch";

export interface GlobFilter {
  include: readonly string[];
  exclude: readonly string[];
}

export function compileGlobFilter(filter: GlobFilter): (path: string) => boolean {
  const options = { dot: true, basename: false };
  const compile = (patterns: readonly string[]) =>
    patterns.map((p) =>
      p.includes("/") ? picomatch(p, options) : picomatch(p, { ...options, basename: true }),
    );
  const include = compile(filter.include);
  const exclude = compile(filter.exclude);
  return (path) =>
    (include.length === 0 || include.some((m) => m(path))) && !exclude.some((m) => m(path));
}
