/**
 * Import statements: `import a.b as c`, `from m import x as y`, `from . import z`, star imports.
 * Each binds names in the scope, records the module, and flags modules the rules name.
 */
import type { PyNode } from "./parser.js";
import type { AnalysisParts } from "./parts.js";
import { moduleListed } from "./rules.js";
import type { Ctx } from "./scope.js";
import { dottedText, field } from "./syntax.js";
import { nameValue } from "./values.js";

export function importStatement(parts: AnalysisParts, node: PyNode, ctx: Ctx): void {
  for (const c of node.children) {
    if (c.field !== "name") continue;
    if (c.type === "dotted_name") {
      const module = dottedText(c);
      noteImport(parts, module, c);
      const top = module.split(".")[0] ?? module;
      ctx.scope.vars.set(top, nameValue(top, true));
    } else if (c.type === "aliased_import") {
      const nameNode = field(c, "name");
      const alias = field(c, "alias")?.text;
      if (!nameNode) continue;
      const module = dottedText(nameNode);
      noteImport(parts, module, c);
      if (alias) ctx.scope.vars.set(alias, nameValue(module, true));
    }
  }
}

/** The names a `from … import` statement binds, and whether it is a star import. */
function importedNames(node: PyNode): { names: { name: string; alias: string }[]; star: boolean } {
  const names: { name: string; alias: string }[] = [];
  let star = false;
  for (const c of node.children) {
    if (c.type === "wildcard_import") star = true;
    if (c.field !== "name") continue;
    if (c.type === "dotted_name") {
      const n = dottedText(c);
      names.push({ name: n, alias: n });
    } else if (c.type === "aliased_import") {
      const n = dottedText(field(c, "name") ?? c);
      names.push({ name: n, alias: field(c, "alias")?.text ?? n });
    }
  }
  return { names, star };
}

export function importFrom(parts: AnalysisParts, node: PyNode, ctx: Ctx): void {
  const moduleNode = field(node, "module_name");
  if (!moduleNode) return;
  const { names, star } = importedNames(node);
  if (moduleNode.type === "relative_import") {
    const prefix = moduleNode.children.find((c) => c.type === "import_prefix")?.text ?? ".";
    const dotted = moduleNode.children.find((c) => c.type === "dotted_name");
    const module = dotted ? dottedText(dotted) : "";
    parts.record.relativeImports.push({
      level: prefix.length,
      module,
      names: names.map((n) => n.name),
      line: node.row + 1,
    });
    const base = `${prefix}${module}`;
    for (const n of names) ctx.scope.vars.set(n.alias, nameValue(`${base}.${n.name}`, false));
    return;
  }
  const module = dottedText(moduleNode);
  noteImport(parts, module, moduleNode);
  if (star) ctx.scope.starModules.push(module);
  for (const n of names) {
    const full = `${module}.${n.name}`;
    // `from urllib import request` imports a submodule that may be flagged on its own.
    if (parts.rules.flaggedModules.some((m) => m.name === full))
      noteFlaggedModule(parts, full, node);
    ctx.scope.vars.set(n.alias, nameValue(full, false));
  }
}

/** An absolute import (static, or dynamic with a known name). */
export function noteImport(parts: AnalysisParts, module: string, at: PyNode): void {
  if (!module) return;
  parts.record.imports.add(module);
  noteFlaggedModule(parts, module, at);
}

function noteFlaggedModule(parts: AnalysisParts, module: string, at: PyNode): void {
  const flagged = parts.rules.flaggedModules.find(
    (m) => module === m.name || module.startsWith(`${m.name}.`),
  );
  if (flagged) {
    parts.record.emit(flagged.verdict, `imports ${module}: ${flagged.reason}`, at, {
      evidence: { category: flagged.category, module },
    });
  }
  if (moduleListed(parts.rules.networkModules, module)) parts.record.noteNetwork(module, at);
}
