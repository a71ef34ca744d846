/**
 * Which functions run without anyone calling them by hand. Units are module-level functions,
 * methods of module-level classes, and classes (whose "calls" are their constructors); the graph
 * records where each unit's findings are and which units its body calls. Roots are calls made at
 * import time and the methods the loader runs on the classes it instantiates. Findings in units
 * reachable from a root are promoted to import-time (or load-time) findings.
 */
import type { Finding } from "../../core/finding.js";
import type { PyNode } from "./parser.js";
import { BUMP, SEVERITY } from "./record.js";
import type { RuleVerdict } from "./rules.js";
import type { Ctx } from "./scope.js";

interface Unit {
  ranges: [number, number][];
  calls: Set<string>;
}

/** How a unit comes to run without anyone calling it by hand. */
interface Root {
  via: string;
  scope: "import-time" | "load-time";
}

/** Methods that run when a class is instantiated. */
const CONSTRUCTORS = ["__new__", "__init__", "__post_init__"];

export class CallGraph {
  private readonly units = new Map<string, Unit>();
  /** Module-level classes and the module-level names of their bases. */
  private readonly classBases = new Map<string, string[]>();
  private readonly roots = new Map<string, Root>();

  /**
   * `loadedClasses`: classes the loader instantiates (auto_map targets); `loadMethods` of each
   * run when the model loads.
   */
  constructor(loadedClasses: readonly string[], loadMethods: readonly string[]) {
    for (const cls of loadedClasses) {
      for (const method of loadMethods) {
        this.roots.set(`${cls}.${method}`, {
          via: `${cls}.${method}(), which the loader runs`,
          scope: "load-time",
        });
      }
    }
  }

  has(unit: string): boolean {
    return this.units.has(unit);
  }

  /** Findings `from` (inclusive) to `to` (exclusive) are in `unit`'s body. */
  addRange(unit: string, from: number, to: number): void {
    this.unitFor(unit).ranges.push([from, to]);
  }

  /** A module-level class: instantiating it runs its constructors, and its bases' methods. */
  addClass(name: string, bases: string[]): void {
    for (const m of CONSTRUCTORS) this.unitFor(name).calls.add(`${name}.${m}`);
    this.classBases.set(name, bases);
  }

  /** A call of a unit by name: at import time it is a root; inside a unit, an edge. */
  noteCall(target: string, at: PyNode, ctx: Ctx): void {
    if (ctx.importTime) {
      if (!this.roots.has(target))
        this.roots.set(target, { via: `${target}() at line ${at.row + 1}`, scope: "import-time" });
    } else if (ctx.unit) {
      this.unitFor(ctx.unit).calls.add(target);
    }
  }

  /** Findings in units reachable from a root run at import (or load) time: promote them. */
  promote(findings: Finding[], importVerdicts: readonly (RuleVerdict | undefined)[]): void {
    for (const [id, root] of this.reached()) {
      for (const [from, to] of this.units.get(id)?.ranges ?? []) {
        for (let i = from; i < to; i++) {
          const f = findings[i];
          const evidence = f?.evidence as { scope?: string } | undefined;
          if (!f || evidence?.scope !== "function") continue;
          const verdict = importVerdicts[i] ?? (f.verdict as RuleVerdict);
          const when = root.scope === "import-time" ? "at import time" : "when the model loads";
          findings[i] = {
            ...f,
            code: verdict === "malicious" ? "PYTHON_DANGEROUS" : "PYTHON_SUSPICIOUS",
            verdict,
            severity: BUMP[SEVERITY[verdict]],
            message: `${f.message}, ${when} (through ${root.via})`,
            evidence: { ...f.evidence, scope: root.scope, via: root.via },
          };
        }
      }
    }
  }

  /** Every unit reachable from a root, with the root it is reached through (breadth first). */
  private reached(): Map<string, Root> {
    const reached = new Map<string, Root>();
    const queue: string[] = [];
    for (const [id, root] of this.roots) {
      reached.set(id, root);
      queue.push(id);
    }
    while (queue.length > 0) {
      const id = queue.shift() as string;
      for (const callee of this.callees(id)) {
        if (!reached.has(callee)) {
          reached.set(callee, reached.get(id) as Root);
          queue.push(callee);
        }
      }
    }
    return reached;
  }

  private callees(id: string): string[] {
    const callees = [...(this.units.get(id)?.calls ?? [])];
    // C.m also runs the base classes' m (inherited, or through super()).
    const dot = id.indexOf(".");
    if (dot > 0) {
      for (const base of this.classBases.get(id.slice(0, dot)) ?? [])
        callees.push(`${base}${id.slice(dot)}`);
    }
    return callees;
  }

  private unitFor(id: string): Unit {
    let unit = this.units.get(id);
    if (!unit) {
      unit = { ranges: [], calls: new Set() };
      this.units.set(id, unit);
    }
    return unit;
  }
}
