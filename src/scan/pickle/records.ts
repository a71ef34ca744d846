/**
 * What the walk reports: every import (GLOBAL, INST, STACK_GLOBAL, EXT1/2/4) as (module, qualname)
 * and every call (REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX) with its callable. Repeats of one
 * import or call are counted, not kept, past KEEP_PER_KEY; too many distinct ones end the walk.
 */

import { isConstructOnly } from "./construct-only.js";
import { checkBoosterBuild, isStateChecked } from "./lightgbm-state.js";
import type { WalkConfig } from "./reader.js";
import { SymbolicStack } from "./stack.js";
import { latin1 } from "./text.js";
import type { AttributeGet, AttributeGetter, PickleStreamResult, PickleValue } from "./types.js";
import { SymbolicGlobal, SymbolicObject, SymbolicStr, SymbolicTuple } from "./types.js";
import { describe, PERSISTENT, strOf, toPlain } from "./values.js";

/** Occurrences kept per distinct import or call. */
const KEEP_PER_KEY = 64;
/** Distinct imports + calls recorded per stream before the walk gives up. */
const MAX_DISTINCT = 100_000;
/** getattr calls kept per stream; past this the rule in attribute-rule.ts excuses none. */
const MAX_ATTRIBUTE_GETS = 4096;

/** True for the global the loader resolves to builtins.getattr (protocol < 3 maps __builtin__). */
function isGetattr(g: SymbolicGlobal): boolean {
  return g.name === "getattr" && (g.module === "builtins" || g.module === "__builtin__");
}

function newResult(start: number): PickleStreamResult {
  return {
    start,
    end: start,
    protocol: 0,
    complete: false,
    imports: [],
    calls: [],
    persistentIds: [],
    findings: [],
    nested: [],
    opcodes: 0,
    omitted: 0,
  };
}

export abstract class Recorder extends SymbolicStack {
  readonly result: PickleStreamResult;
  /** Protocol in force (the last PROTO). */
  proto = 0;
  /** Imports seen in sniff mode (where nothing is recorded). */
  sniffImports = 0;
  /**
   * Of those, imports that reach an import: str operands whose module starts with a Python
   * identifier (importedPackage), whatever the name (it is looked up after the import ran).
   */
  sniffNamedImports = 0;
  seen = new Map<string, number>();
  /** Imported getattr globals and the results of their calls (attribute-rule.ts). */
  private getters = new Map<SymbolicGlobal, AttributeGetter>();
  private attributeResults = new Map<SymbolicObject, AttributeGet>();
  private attributeGets = 0;
  /** Imports of construct-only classes (construct-only.ts), capped. */
  private constructOnly: SymbolicGlobal[] = [];

  constructor(cfg: WalkConfig, start: number) {
    super(cfg, start);
    this.result = newResult(start);
  }

  protected keep(key: string): boolean {
    const n = (this.seen.get(key) ?? 0) + 1;
    if (n === 1 && this.seen.size >= MAX_DISTINCT) {
      this.budgetHit(`The pickle makes more than ${MAX_DISTINCT} distinct imports and calls`);
    }
    this.seen.set(key, n);
    if (n > KEEP_PER_KEY) {
      this.result.omitted++;
      return false;
    }
    return true;
  }

  protected recordImport(
    module: string,
    name: string,
    opcode: string,
    nonString: boolean,
    valid: boolean,
  ): SymbolicGlobal {
    const g = new SymbolicGlobal(module, name, this.opStart, valid && !nonString);
    if (
      !this.cfg.sniff &&
      this.constructOnly.length < MAX_ATTRIBUTE_GETS &&
      (isConstructOnly(module, name) || isStateChecked(module, name))
    )
      this.constructOnly.push(g);
    if (this.cfg.sniff) {
      this.sniffImports++;
      if (
        nonString
          ? false
          : // __import__(module) runs before the name is looked up: any name counts.
            opcode.startsWith("EXT") || (valid && importedPackage(module) !== "")
      )
        this.sniffNamedImports++;
      return g;
    }
    if (this.keep(`i\u0000${opcode}\u0000${module}\u0000${name}`)) {
      const rec: PickleStreamResult["imports"][number] = {
        module,
        name,
        offset: this.opStart,
        opcode,
        protocol: this.proto,
      };
      if (nonString) rec.nonString = true;
      this.result.imports.push(rec);
    }
    return g;
  }

  protected recordCall(opcode: string, callable: PickleValue, suffix = ""): void {
    if (this.cfg.sniff) return;
    const text = describe(callable) + suffix;
    if (!this.keep(`c\u0000${opcode}\u0000${text}`)) return;
    const call: PickleStreamResult["calls"][number] = {
      opcode,
      callable: text,
      offset: this.opStart,
    };
    if (callable instanceof SymbolicGlobal)
      call.global = { module: callable.module, name: callable.name };
    this.result.calls.push(call);
  }

  protected call(
    opcode: string,
    callable: PickleValue,
    args: PickleValue | undefined,
  ): SymbolicObject {
    this.recordCall(opcode, callable);
    const result = new SymbolicObject(callable, args, opcode, this.opStart);
    if (!this.cfg.sniff) this.noteAttributeCall(callable, args, result);
    if (
      opcode === "NEWOBJ" &&
      callable instanceof SymbolicGlobal &&
      args instanceof SymbolicTuple &&
      args.length === 0
    )
      callable.emptyNews++;
    return result;
  }

  /** Records what a call does with getattr or with the result of a getattr call. */
  private noteAttributeCall(
    callable: PickleValue,
    args: PickleValue | undefined,
    result: SymbolicObject,
  ): void {
    if (callable instanceof SymbolicObject) {
      const get = this.attributeResults.get(callable);
      if (get !== undefined) get.resultCalled = true;
      return;
    }
    if (!(callable instanceof SymbolicGlobal) || !isGetattr(callable)) return;
    let getter = this.getters.get(callable);
    if (getter === undefined) {
      getter = { importOffset: callable.offset, references: 0, calls: [] };
      this.getters.set(callable, getter);
      this.result.getattrs = [...(this.result.getattrs ?? []), getter];
    }
    // Past the cap the call is not kept: references then exceed calls and nothing is excused.
    if (++this.attributeGets > MAX_ATTRIBUTE_GETS) return;
    const get: AttributeGet = { offset: this.opStart, resultCalled: false, resultBuilt: false };
    if (args instanceof SymbolicTuple && args.items !== undefined && args.items.length === 2) {
      const [owner, attribute] = args.items;
      const text =
        typeof attribute === "string"
          ? attribute
          : attribute instanceof SymbolicStr
            ? attribute.text
            : undefined;
      if (owner instanceof SymbolicGlobal && owner.valid && text !== undefined) {
        get.owner = { module: owner.module, name: owner.name, protocol: this.proto };
        get.attribute = text;
      }
    }
    getter.calls.push(get);
    this.attributeResults.set(result, get);
  }

  /** BUILD on the result of a getattr call (setting state on a shared class attribute). */
  protected noteAttributeBuilt(target: SymbolicObject): void {
    const get = this.attributeResults.get(target);
    if (get !== undefined) get.resultBuilt = true;
    // Also the one state-checked class: a Booster's model text is checked at its BUILD.
    if (this.cfg.sniff) return;
    const build = checkBoosterBuild(target, target.state, this.cfg.source, this.opStart);
    if (build === undefined) return;
    this.result.lightgbm ??= [];
    const builds = this.result.lightgbm;
    // Past the cap one failed record stands for the rest, so the import stays blocked.
    if (builds.length < MAX_ATTRIBUTE_GETS) builds.push(build);
    else builds[builds.length - 1] = { ...build, problem: "too many Booster objects to check" };
  }

  /** Copies each getattr's reference count into the result (called when the walk ends). */
  finishAttributeGets(): void {
    for (const [g, getter] of this.getters) getter.references = g.references;
    const newOnly = this.constructOnly.filter((g) => g.references === g.emptyNews);
    if (newOnly.length > 0) this.result.newOnly = newOnly.map((g) => g.offset);
  }

  protected ext(opcode: string, code: number): void {
    if (code <= 0) this.malformed("EXT specifies code <= 0");
    this.push(this.recordImport("<extension>", String(code), opcode, false, false));
  }

  /** PERSID: a protocol-0 persistent id (ASCII). */
  protected persId(): void {
    const bytes = this.line();
    if (bytes === undefined) this.malformed("PERSID argument is too long");
    for (const b of bytes)
      if (b >= 0x80) this.malformed("persistent IDs in protocol 0 must be ASCII strings");
    const pid = latin1(bytes);
    if (!this.cfg.sniff) this.result.persistentIds.push(pid);
    this.push(PERSISTENT);
  }

  /** BINPERSID: the persistent id is the value on top of the stack. */
  protected binPersId(): void {
    const pid = this.pop();
    if (!this.cfg.sniff) this.result.persistentIds.push(toPlain(pid, 0));
    this.push(PERSISTENT);
  }

  /** STACK_GLOBAL: module and name from the stack, whatever fed them (P2, P4). */
  protected stackGlobal(): void {
    const name = this.pop();
    const module = this.pop();
    const moduleText = strOf(module);
    const nameText = strOf(name);
    if (moduleText !== undefined && nameText !== undefined) {
      this.push(this.recordImport(moduleText, nameText, "STACK_GLOBAL", false, true));
    } else {
      const g = this.recordImport(describe(module), describe(name), "STACK_GLOBAL", true, false);
      const sources = notStrSources([module, name]);
      const rec = this.result.imports[this.result.imports.length - 1];
      if (sources !== undefined && rec !== undefined && rec.offset === this.opStart)
        rec.notStrUnless = sources;
      this.push(g);
    }
  }
}

/**
 * Both loaders raise "STACK_GLOBAL requires str" unless both operands are exactly `str`. When every
 * operand that is not a str constant is the value or call result of an import, returns those
 * imports: the operand is a str only if one of them yields one (the rules decide by the policy).
 * Undefined otherwise (a persistent object, a constant of another type: a hand-made stream that
 * stays reported as never allowed).
 */
function notStrSources(
  values: readonly PickleValue[],
): { module: string; name: string }[] | undefined {
  const out: { module: string; name: string }[] = [];
  for (const v of values) {
    if (strOf(v) !== undefined) continue;
    if (v instanceof SymbolicGlobal && v.valid) {
      out.push({ module: v.module, name: v.name });
      continue;
    }
    if (v instanceof SymbolicObject && v.callable instanceof SymbolicGlobal && v.callable.valid) {
      out.push({ module: v.callable.module, name: v.callable.name });
      continue;
    }
    return undefined;
  }
  return out.length > 0 ? out : undefined;
}

/**
 * A Python dotted name (identifiers in the sense of str.isidentifier, roughly): what an installed
 * module and its attributes are called. A text file whose pickle reading "imports" a line of prose
 * (`hat template`.`This is…`) names nothing any loader can import from an installed package.
 */
const DOTTED_NAME =
  /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*(?:\.[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*)*$/u;

export function isDottedName(text: string): boolean {
  return text.length <= 1024 && DOTTED_NAME.test(text);
}

const IDENTIFIER_PART = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u;

/**
 * What `__import__(module)` (both unpicklers' find_class) imports before it can fail: importlib
 * imports each parent package first (`a`, then `a.b`, then `a.b.c`), so `antigravity.x)` imports
 * `antigravity` (running its top-level code) and only then fails on the child. Returns the longest
 * leading run of dotted parts that are Python identifiers ("" when the first is not one: nothing
 * an installed package is called gets imported). Equal to `module` when it is a dotted name.
 */
export function importedPackage(module: string): string {
  if (module.length > 1024) return "";
  const parts = module.split(".");
  let n = 0;
  while (n < parts.length && IDENTIFIER_PART.test(parts[n] as string)) n++;
  return parts.slice(0, n).join(".");
}
