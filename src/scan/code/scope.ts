/** Python's name bindings as the analyser follows them, and where in the module a walk is. */
import type { Value } from "./values.js";

export class Scope {
  readonly vars = new Map<string, Value>();
  readonly starModules: string[] = [];
  constructor(readonly parent?: Scope) {}

  lookup(name: string): Value | undefined {
    for (let s: Scope | undefined = this; s; s = s.parent) {
      const v = s.vars.get(name);
      if (v) return v;
    }
    return undefined;
  }

  stars(): string[] {
    const out: string[] = [];
    for (let s: Scope | undefined = this; s; s = s.parent) out.push(...s.starModules);
    return out;
  }
}

export interface Ctx {
  scope: Scope;
  importTime: boolean;
  depth: number;
  /** The unit (module-level function `f` or method `C.m`) whose body this is, if any. */
  unit?: string | undefined;
  /** The module-level class whose body (or method) this is, if any. */
  cls?: { name: string; scope: Scope } | undefined;
}
