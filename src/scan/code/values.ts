/**
 * What the Python analyser knows about a value: a dotted name (a module, or something reached
 * from one), a string (possibly folded from parts, possibly only partly known), or nothing. Any of
 * them may carry taint: decoded bytes, or a secret read from the environment.
 */

export interface Taint {
  /** The decoding call that produced this value. */
  decoded?: string;
  /** The secret environment variable this value came from. */
  secret?: string;
}

export type NameValue = {
  kind: "name";
  name: string;
  module: boolean;
  obfuscated: boolean;
  taint?: Taint;
};
export type StrValue = {
  kind: "str";
  value: string;
  computed: boolean;
  partial: boolean;
  taint?: Taint;
};
export type Value = NameValue | StrValue | { kind: "unknown"; taint?: Taint };

export const UNKNOWN: Value = { kind: "unknown" };

export function mergeTaint(values: readonly Value[]): Taint | undefined {
  let out: Taint | undefined;
  for (const v of values) {
    if (!v.taint) continue;
    out = { ...(out ?? {}) };
    if (v.taint.decoded && !out.decoded) out.decoded = v.taint.decoded;
    if (v.taint.secret && !out.secret) out.secret = v.taint.secret;
  }
  return out;
}

export function withTaint<T extends Value>(v: T, taint: Taint | undefined): T {
  return taint ? { ...v, taint } : v;
}

/** An unknown value that carries whatever taint `values` carry. */
export function unknownFrom(values: readonly Value[]): Value {
  return withTaint({ kind: "unknown" }, mergeTaint(values));
}

/** `a.__builtins__.b` → `builtins.b`; `x.__dict__` → `x`. */
function normalizeName(name: string): string {
  let n = name.replace(/(^|\.)__builtins__(?=\.|$)/g, "$1builtins").replace(/\.__dict__$/, "");
  n = n.replace(/^(?:builtins\.)+builtins(?=\.|$)/, "builtins");
  n = n.replace(/^__builtin__(?=\.|$)/, "builtins");
  return n;
}

export function nameValue(name: string, module: boolean, obfuscated = false, taint?: Taint): Value {
  return withTaint({ kind: "name", name: normalizeName(name), module, obfuscated }, taint) as Value;
}

export function str(value: string, computed: boolean, partial = false, taint?: Taint): Value {
  return withTaint({ kind: "str", value, computed, partial }, taint) as Value;
}

/** Joins folded parts; a part that is not a known string makes the result partial. */
export function concat(parts: Value[], computed: boolean): Value {
  let value = "";
  let partial = false;
  let comp = computed;
  for (const p of parts) {
    if (p.kind === "str") {
      value += p.value;
      partial ||= p.partial;
      comp ||= p.computed;
    } else {
      value += "{?}";
      partial = true;
    }
  }
  return str(value, comp, partial, mergeTaint(parts));
}
