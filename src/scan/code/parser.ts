/**
 * Python parsing with tree-sitter's Python grammar, run from WebAssembly.
 *
 * Layering: scan/ never touches the filesystem, so this module does not locate or read any .wasm
 * file. The policy carries a `grammar()` function supplied by io/grammar.ts that returns the bytes
 * of the web-tree-sitter runtime and of tree-sitter-python; we hand both to web-tree-sitter
 * (`Parser.init({ wasmBinary })`, `Language.load(bytes)`), so the library has nothing to fetch.
 * The library itself is imported dynamically and initialised on the first Python file only: the
 * CLI's start-up (`--help`) never loads it.
 *
 * The syntax tree is copied into plain objects (iteratively, within a node budget) and the wasm
 * tree freed at once, so the analyser is ordinary TypeScript over data and cannot leak wasm memory.
 */
import { ScanError } from "../../core/errors.js";
import type { PythonGrammar } from "./rules.js";

export interface PyNode {
  type: string;
  /** Field name in the parent (`function`, `arguments`, `left`…), when the grammar gives one. */
  field: string | null;
  named: boolean;
  /** 0-based row and column (UTF-16 units) of the first character. */
  row: number;
  col: number;
  /** Source text, kept only for leaves the analyser reads (identifiers, string parts, numbers). */
  text: string | undefined;
  children: PyNode[];
}

export interface ParsedPython {
  root: PyNode;
  nodes: number;
  /** Deepest nesting seen. */
  depth: number;
  /** Positions of ERROR and MISSING nodes: where tree-sitter had to recover. */
  errors: { row: number; col: number; missing: boolean }[];
}

const TEXT_TYPES = new Set([
  "identifier",
  "string_start",
  "string_content",
  "integer",
  "float",
  "import_prefix",
  "true",
  "false",
  "none",
]);

/**
 * Python reads identifiers in NFKC form (PEP 3131): `ｏｓ.ｓｙｓｔｅｍ` is `os.system`. Normalise
 * them the same way so that look-alike spellings resolve to what Python runs.
 */
function leafText(type: string, text: string): string {
  return type === "identifier" && /[^\x00-\x7f]/.test(text) ? text.normalize("NFKC") : text;
}

interface TreeSitter {
  parser: import("web-tree-sitter").Parser;
}

let loading: Promise<TreeSitter> | undefined;

async function load(grammar: () => PythonGrammar): Promise<TreeSitter> {
  const { Parser, Language } = await import("web-tree-sitter");
  const bytes = grammar();
  // A copy: the runtime keeps the buffer, and it must be a plain ArrayBuffer.
  await Parser.init({ wasmBinary: bytes.runtime.slice().buffer as ArrayBuffer });
  const language = await Language.load(bytes.language);
  const parser = new Parser();
  parser.setLanguage(language);
  return { parser };
}

/** The shared parser, created on first use. A failed load is retried on the next call. */
function treeSitter(grammar: () => PythonGrammar): Promise<TreeSitter> {
  if (!loading) {
    loading = load(grammar).catch((error: unknown) => {
      loading = undefined;
      throw new ScanError("SCAN_FORMAT", "the Python grammar could not be loaded", {
        cause: error,
      });
    });
  }
  return loading;
}

export interface ParseLimits {
  maxNodes: number;
}

/**
 * Parses Python source into a plain tree. Throws ScanError(SCAN_BUDGET) when the tree has more
 * nodes than allowed, and ScanError(SCAN_FORMAT) when tree-sitter gives up.
 */
export async function parsePython(
  source: string,
  grammar: () => PythonGrammar,
  limits: ParseLimits,
): Promise<ParsedPython> {
  const { parser } = await treeSitter(grammar);
  parser.reset();
  const tree = parser.parse(source);
  if (!tree) throw new ScanError("SCAN_FORMAT", "tree-sitter returned no syntax tree");
  try {
    // Counting is cheap; copying is not: refuse an over-budget tree before copying any of it.
    const count = tree.rootNode.descendantCount;
    if (count > limits.maxNodes) {
      throw new ScanError(
        "SCAN_BUDGET",
        `the Python file has ${count} syntax nodes, over the ${limits.maxNodes} limit`,
      );
    }
    return copyTree(tree, limits);
  } finally {
    tree.delete();
  }
}

function copyTree(tree: import("web-tree-sitter").Tree, limits: ParseLimits): ParsedPython {
  const cursor = tree.walk();
  try {
    const errors: ParsedPython["errors"] = [];
    // Most files parse cleanly: then no node needs its error/missing flag read.
    const checkErrors = tree.rootNode.hasError;
    let nodes = 0;
    const make = (): PyNode => {
      nodes += 1;
      if (nodes > limits.maxNodes) {
        throw new ScanError(
          "SCAN_BUDGET",
          `the Python file has more than ${limits.maxNodes} syntax nodes`,
        );
      }
      const type = cursor.nodeType;
      const start = cursor.startPosition;
      if (checkErrors) {
        const missing = cursor.nodeIsMissing;
        if (type === "ERROR" || missing)
          errors.push({ row: start.row, col: start.column, missing });
      }
      return {
        type,
        field: cursor.currentFieldName,
        named: cursor.nodeIsNamed,
        row: start.row,
        col: start.column,
        text: TEXT_TYPES.has(type) ? leafText(type, cursor.nodeText) : undefined,
        children: [],
      };
    };
    const root = make();
    const stack: PyNode[] = [root];
    let depth = 1;
    const push = () => {
      const node = make();
      stack[stack.length - 1]?.children.push(node);
      stack.push(node);
      if (stack.length > depth) depth = stack.length;
    };
    outer: for (;;) {
      if (cursor.gotoFirstChild()) {
        push();
        continue;
      }
      while (!cursor.gotoNextSibling()) {
        if (!cursor.gotoParent()) break outer;
        stack.pop();
      }
      stack.pop();
      push();
    }
    return { root, nodes, depth, errors };
  } finally {
    cursor.delete();
  }
}

/** Named children, optionally only those in one field. */
export function namedChildren(node: PyNode, field?: string): PyNode[] {
  return node.children.filter((c) => c.named && (field === undefined || c.field === field));
}

export function child(node: PyNode, field: string): PyNode | undefined {
  return node.children.find((c) => c.field === field);
}
