/**
 * Names read without being called: a dangerous callable handed over as a value, the network
 * module used, interpreter internals reached through an attribute, and the environment read
 * whole (`dict(os.environ)`) or by a secret's name (`os.environ["HF_TOKEN"]`).
 */
import { callableHandedOver } from "./call-rules.js";
import type { PyNode } from "./parser.js";
import { type AnalysisParts, secretLookup } from "./parts.js";
import { moduleListed } from "./rules.js";
import type { Ctx } from "./scope.js";
import { field } from "./syntax.js";

/** Methods of os.environ that hand out every variable at once. */
const WHOLE_ENVIRONMENT = /^os\.environ\.(copy|items|values|keys|__dict__|_data)$/;

export function reference(
  parts: AnalysisParts,
  node: PyNode,
  parent: PyNode | undefined,
  ctx: Ctx,
): void {
  // Only the outermost node of an attribute chain is looked at.
  if (parent?.type === "attribute" && node.field === "object") return;
  if (node.type === "identifier" && parent?.type === "attribute") return;
  const handedOver =
    parent?.type === "argument_list" ||
    (parent?.type === "keyword_argument" && node.field === "value");
  if (node.type === "identifier" && !handedOver && !ctx.scope.lookup(node.text ?? "")) return;
  const value = parts.values.resolve(node, ctx.scope);
  if (value.kind !== "name") return;
  if (handedOver) callableHandedOver(parts, value.name, node, ctx);
  if (moduleListed(parts.rules.networkModules, value.name))
    parts.record.noteNetwork(value.name, node);
  if (value.name !== "os.environ" && !WHOLE_ENVIRONMENT.test(value.name)) return;
  // os.environ[...] and os.environ.get(...) are judged by name elsewhere; anything else
  // (dict(os.environ), os.environ.copy(), passing it on) hands out every secret at once.
  if (parent?.type === "subscript" && node.field === "value") return;
  if (parent?.type === "comparison_operator") return;
  parts.record.noteSecret("the whole environment", node);
  parts.record.emit(
    "suspicious",
    "reads the whole environment (os.environ), tokens included",
    node,
    { evidence: { category: "env" }, importTime: ctx.importTime },
  );
}

export function internalAttribute(parts: AnalysisParts, node: PyNode, ctx: Ctx): void {
  const attr = field(node, "attribute")?.text;
  if (!attr || !parts.rules.internalAttributes.includes(attr)) return;
  parts.record.emit("suspicious", `reaches interpreter internals through .${attr}`, node, {
    evidence: { category: "reflection", attribute: attr },
    importTime: ctx.importTime,
  });
}

/** `os.environ[key]` read (not written) with a known key. */
export function subscriptRead(
  parts: AnalysisParts,
  node: PyNode,
  parent: PyNode | undefined,
  ctx: Ctx,
): void {
  const valueNode = field(node, "value");
  const keyNode = field(node, "subscript");
  if (!valueNode || !keyNode) return;
  const value = parts.values.resolve(valueNode, ctx.scope);
  if (value.kind !== "name" || value.name !== "os.environ") return;
  if (parent?.type === "assignment" && node.field === "left") return; // a write, not a read
  if (parent?.type === "augmented_assignment" && node.field === "left") return;
  const key = parts.values.resolve(keyNode, ctx.scope);
  if (key.kind === "str" && !key.partial) secretLookup(parts, key.value, node, ctx);
}
