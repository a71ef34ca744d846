/** Small readers over tree-sitter Python nodes shared by the analyser's parts. */
import type { PyNode } from "./parser.js";
import { stringParts } from "./strings.js";

/** The child in `field`, if any. */
export function field(node: PyNode, name: string): PyNode | undefined {
  return node.children.find((c) => c.field === name);
}

export function dottedText(node: PyNode): string {
  return node.children
    .filter((c) => c.type === "identifier")
    .map((c) => c.text ?? "")
    .join(".");
}

export interface CallArguments {
  positional: PyNode[];
  keywords: Map<string, PyNode>;
}

export function argumentNodes(call: PyNode): CallArguments {
  const args = field(call, "arguments");
  const positional: PyNode[] = [];
  const keywords = new Map<string, PyNode>();
  if (!args) return { positional, keywords };
  if (args.type === "generator_expression") return { positional: [args], keywords };
  for (const a of args.children) {
    if (!a.named || a.type === "comment") continue;
    if (a.type === "keyword_argument") {
      const key = field(a, "name")?.text;
      const value = field(a, "value");
      if (key && value) keywords.set(key, value);
    } else {
      positional.push(a);
    }
  }
  return { positional, keywords };
}

/** `if __name__ == "__main__":` (either way round). */
export function isMainGuard(condition: PyNode | undefined): boolean {
  if (condition?.type !== "comparison_operator") return false;
  const named = condition.children.filter((c) => c.named);
  const operators = condition.children.filter((c) => !c.named).map((c) => c.type);
  if (named.length !== 2 || operators.length !== 1 || operators[0] !== "==") return false;
  const texts = named.map((c) =>
    c.type === "identifier"
      ? c.text
      : c.type === "string"
        ? stringParts(c).parts.join("")
        : undefined,
  );
  return texts.includes("__name__") && texts.includes("__main__");
}
