/**
 * Reads the WebAssembly bytes the Python analyser needs: the web-tree-sitter runtime and the
 * tree-sitter-python grammar, both resolved through Node's module resolution from this package's
 * dependencies. Scanners never read files: the policy carries `readPythonGrammar` and the parser
 * calls it once, on the first Python file (see scan/code/parser.ts).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { InputError } from "../core/errors.js";
import type { PythonGrammar } from "../scan/code/rules.js";

const require = createRequire(import.meta.url);

export function readPythonGrammar(): PythonGrammar {
  const read = (pkg: string, file: string): Uint8Array => {
    let path = "";
    try {
      path = require.resolve(`${pkg}/${file}`);
      return new Uint8Array(readFileSync(path));
    } catch (error) {
      throw new InputError("INPUT_UNREADABLE", `Cannot read ${file} from ${pkg} (${path})`, {
        cause: error,
      });
    }
  };
  return {
    runtime: read("web-tree-sitter", "web-tree-sitter.wasm"),
    language: read("tree-sitter-python", "tree-sitter-python.wasm"),
  };
}
