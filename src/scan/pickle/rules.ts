/**
 * Policy evaluation for a walked pickle: default deny. An import is allowed only when the exact
 * (module, qualname) pair the loader would import is in `policy.safe`. The dangerous map only
 * decides severity. There are no name-based shortcuts here: `builtins`, `__builtin__`, `posix`,
 * `nt`, `os`… are decided by the policy data alone (protocol < 3 streams are evaluated under the
 * Python 2 → 3 renames the unpickler applies, so `__builtin__.eval` is judged as `builtins.eval`).
 */
import { type Finding, finding } from "../../core/finding.js";
import { lightgbmNote } from "../lightgbm/scan.js";
import { excusedAttributeGets } from "./attribute-rule.js";
import { py2Mapped } from "./compat.js";
import { isConstructOnly } from "./construct-only.js";
import { isStateChecked } from "./lightgbm-state.js";
import { globalKey, type PicklePolicy } from "./policy.js";
import { importedPackage } from "./records.js";
import type { PickleImport, PickleStreamResult } from "./types.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MODULE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Why a name can never be allowed, or undefined when it is a plain name. */
export function unsafeNameReason(imp: PickleImport): string | undefined {
  if (imp.nonString) return "its module or name operand is not a plain str";
  if (imp.name.includes("."))
    return "its name is dotted, so the loader walks attributes from the module";
  if (imp.name.startsWith("__") && imp.name.endsWith("__")) return "its name is a dunder attribute";
  if (!IDENTIFIER.test(imp.name)) return "its name is not a Python identifier";
  if (!MODULE.test(imp.module)) return "its module is not a Python module path";
  return undefined;
}

/** What the loader imports (and runs) before the import fails, for a module that is no path. */
function importedFirst(imp: PickleImport): string {
  if (imp.nonString || imp.opcode.startsWith("EXT") || MODULE.test(imp.module)) return "";
  const pkg = importedPackage(imp.module);
  return pkg === "" || pkg === imp.module
    ? ""
    : ` The loader imports ${pkg} (running its top-level code) before it fails on the rest.`;
}

/** A reason from the policy file as the end of a sentence: exactly one final period. */
function sentence(reason: string): string {
  return /[.!?]$/.test(reason) ? reason : `${reason}.`;
}

/** The dangerous reason for a pair: exact pair, or the module (or a parent package) marked `*`. */
export function dangerReason(
  policy: PicklePolicy,
  module: string,
  name: string,
): string | undefined {
  const exact = policy.dangerous.get(globalKey(module, name));
  if (exact !== undefined) return exact;
  // A dotted name is judged by its first attribute too (`os` + `system.__call__`).
  const head = name.split(".")[0] as string;
  if (head !== name) {
    const byHead = policy.dangerous.get(globalKey(module, head));
    if (byHead !== undefined) return byHead;
  }
  let m = module;
  for (;;) {
    const whole = policy.dangerous.get(globalKey(m, "*"));
    if (whole !== undefined) return whole;
    const dot = m.lastIndexOf(".");
    if (dot < 0) return undefined;
    m = m.slice(0, dot);
  }
}

/** The pairs to judge: as written, and as the loader maps it (protocol < 3). */
function candidates(imp: { module: string; name: string; protocol?: number }) {
  const out = [{ module: imp.module, name: imp.name }];
  if ((imp.protocol ?? 0) < 3) {
    const mapped = py2Mapped(imp.module, imp.name);
    if (mapped.module !== imp.module || mapped.name !== imp.name) out.push(mapped);
  }
  return out;
}

/**
 * A STACK_GLOBAL whose operands are known not to be str (constants of other types, or values and
 * call results of allowlisted globals, none of which yields an exact str) imports nothing: both
 * the C and the Python unpickler raise "STACK_GLOBAL requires str". A plain `pickle.load` reading
 * of joblib's nested object-array pickles meets this when their BINGETs hit the outer memo.
 */
function loaderRaises(imp: PickleImport, policy: PicklePolicy): boolean {
  const sources = imp.notStrUnless;
  if (sources === undefined) return false;
  return sources.every((g) => {
    const pairs = candidates({ ...g, protocol: imp.protocol });
    const loaded = pairs[pairs.length - 1] as { module: string; name: string };
    return policy.safe.has(globalKey(loaded.module, loaded.name));
  });
}

function evaluateImport(imp: PickleImport, policy: PicklePolicy): Finding | undefined {
  const where = `${imp.opcode} at offset ${imp.offset}`;
  const global = { module: imp.module, name: imp.name };
  if (imp.opcode.startsWith("EXT")) {
    return finding(
      "PICKLE_EXTENSION",
      "unscannable",
      `${where} imports extension code ${imp.name} from the copyreg registry, so the callable it loads cannot be known from the file.`,
      { offset: imp.offset, global },
    );
  }
  const pairs = candidates(imp);
  const loaded = pairs[pairs.length - 1] as { module: string; name: string };
  const shown = `${imp.module}.${imp.name}${loaded !== pairs[0] ? ` (loaded as ${loaded.module}.${loaded.name})` : ""}`;
  for (const p of pairs) {
    const reason = dangerReason(policy, p.module, p.name);
    if (reason !== undefined) {
      return finding(
        "PICKLE_DANGEROUS_GLOBAL",
        "malicious",
        `${where} imports ${shown}: ${sentence(reason)}`,
        { offset: imp.offset, global },
      );
    }
  }
  if (imp.nonString && loaderRaises(imp, policy)) return undefined;
  const unsafe = unsafeNameReason(imp);
  if (unsafe !== undefined) {
    return finding(
      "PICKLE_UNSAFE_NAME",
      "malicious",
      `${where} imports ${shown}, which is never allowed: ${unsafe}.${importedFirst(imp)}`,
      { offset: imp.offset, global },
    );
  }
  if (policy.safe.has(globalKey(loaded.module, loaded.name))) return undefined;
  return finding(
    "PICKLE_UNKNOWN_GLOBAL",
    "suspicious",
    `${where} imports ${shown}, which is not on the allowlist of safe pickle globals.`,
    { offset: imp.offset, global },
  );
}

/**
 * LightGBM Boosters (lightgbm-state.ts): a finding per BUILD whose model text failed the check, a
 * note per vetted one. Returns the offsets of the Booster imports whose every BUILD was vetted (at
 * least one): only those may be excused, and only when every use is an argument-less NEWOBJ.
 */
function lightgbmFindings(result: PickleStreamResult, out: Finding[]): Set<number> {
  const vetted = new Set<number>();
  const failed = new Set<number>();
  let trees = 0;
  for (const b of result.lightgbm ?? []) {
    if (b.problem === undefined) {
      vetted.add(b.importOffset);
      trees += b.trees ?? 0;
      continue;
    }
    failed.add(b.importOffset);
    out.push(
      finding(
        "LIGHTGBM_INVALID",
        "suspicious",
        `BUILD at offset ${b.offset} restores a lightgbm.basic.Booster whose state is not what LightGBM writes (${b.problem}); LightGBM's native parser would read it.`,
        { offset: b.offset },
      ),
    );
  }
  for (const f of failed) vetted.delete(f);
  if (vetted.size > 0) out.push(lightgbmNote(trees, "when the Booster is unpickled"));
  return vetted;
}

/**
 * Policy findings for one walked stream and, recursively, for the pickles nested in its
 * constants (their structural findings are included too, since the outer stream's `findings`
 * only says "nested pickle here").
 */
export function evaluatePickle(result: PickleStreamResult, policy: PicklePolicy): Finding[] {
  const out: Finding[] = [];
  const excused = excusedAttributeGets(result, policy);
  const newOnly = new Set(result.newOnly ?? []);
  const boosters = lightgbmFindings(result, out);
  for (const imp of result.imports) {
    if (excused.imports.has(imp.offset) && imp.name === "getattr") continue;
    if (newOnly.has(imp.offset) && isConstructOnly(imp.module, imp.name)) continue;
    if (newOnly.has(imp.offset) && isStateChecked(imp.module, imp.name) && boosters.has(imp.offset))
      continue;
    const f = evaluateImport(imp, policy);
    if (f !== undefined) out.push(f);
  }
  for (const call of result.calls) {
    if (call.global === undefined) continue;
    if (excused.calls.has(call.offset) && call.global.name === "getattr") continue;
    for (const p of candidates(call.global)) {
      const reason = dangerReason(policy, p.module, p.name);
      if (reason === undefined) continue;
      out.push(
        finding(
          "PICKLE_DANGEROUS_CALL",
          "malicious",
          `${call.opcode} at offset ${call.offset} calls ${call.callable}: ${sentence(reason)}`,
          { offset: call.offset, call: { opcode: call.opcode, callable: call.callable } },
        ),
      );
      break;
    }
  }
  for (const nested of result.nested) {
    const inner = [...nested.stream.findings, ...evaluatePickle(nested.stream, policy)];
    for (const f of inner) {
      const g: Finding = {
        ...f,
        message: `In the pickle nested at offset ${nested.offset}: ${f.message}`,
      };
      if (nested.decoded) {
        g.offset = nested.offset;
        g.evidence = { ...(f.evidence ?? {}), offsetInConstant: f.offset };
      }
      out.push(g);
    }
  }
  return out;
}
