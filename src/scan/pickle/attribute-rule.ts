/**
 * The one argument-shape rule: `getattr(Owner, "name")` in the exact shapes CPython and the
 * libraries write. `builtins.getattr` stays dangerous in general (it reaches `os.system` from any
 * vetted object); an imported getattr is excused only when EVERY use of it in the stream is one of:
 *
 * - a call `getattr(zoneinfo.ZoneInfo, "_unpickle")` whose result may be called: that is how
 *   `ZoneInfo.__reduce__` pickles (CPython Lib/zoneinfo/_zoneinfo.py); `_unpickle(key, from_cache)`
 *   only looks a time zone up by key (keys are validated to stay inside the tz search path);
 * - a call `getattr(EnumClass, "MEMBER")` on an allowlisted enum class below, whose result is only
 *   used as a value (never called, never BUILD-patched): Python 3.12+ pickles members of enums
 *   with a mixed-in data type this way (`enum.pickle_by_enum_name`); a public attribute of such a
 *   class is a member or a method of `str`/`int`/Enum, none of which runs when merely looked up.
 *
 * The getattr value must be used for nothing else: kept in a container, passed as an argument,
 * returned, or called in any other shape, and the import and every call stay malicious.
 */
import { py2Mapped } from "./compat.js";
import { globalKey, type PicklePolicy } from "./policy.js";
import type { AttributeGet, PickleStreamResult } from "./types.js";

/** (module, class, attribute) triples whose looked-up value may be called. */
const CALLABLE_ATTRIBUTES: ReadonlySet<string> = new Set([
  // ZoneInfo.__reduce__ returns (self.__class__._unpickle, (self._key, self._from_cache)).
  "zoneinfo\u0000ZoneInfo\u0000_unpickle",
]);

/**
 * Enum classes whose members pickle as getattr(cls, name). Each must also be in pickle-safe.json.
 * Each is a plain `str`-mixin Enum with no public methods of its own.
 */
const ENUM_OWNERS: ReadonlySet<string> = new Set([
  "transformers.trainer_utils\u0000SchedulerType",
  "transformers.trainer_utils\u0000IntervalStrategy",
  "transformers.trainer_utils\u0000SaveStrategy",
  "transformers.trainer_utils\u0000HubStrategy",
  "transformers.trainer_utils\u0000EvaluationStrategy",
  "transformers.training_args\u0000OptimizerNames",
  "transformers.debug_utils\u0000DebugOption",
  "transformers.trainer_utils\u0000FSDPOption",
  "accelerate.utils.dataclasses\u0000DistributedType",
]);

/** A member name: a public identifier (no leading underscore, so no dunder or private helper). */
const MEMBER = /^[A-Za-z][A-Za-z0-9_]*$/;

function ownerKey(get: AttributeGet): string | undefined {
  if (get.owner === undefined) return undefined;
  const { module, name } =
    get.owner.protocol < 3 ? py2Mapped(get.owner.module, get.owner.name) : get.owner;
  return globalKey(module, name);
}

function isVetted(get: AttributeGet, policy: PicklePolicy): boolean {
  const key = ownerKey(get);
  if (key === undefined || get.attribute === undefined || get.resultBuilt) return false;
  if (!policy.safe.has(key)) return false;
  if (CALLABLE_ATTRIBUTES.has(`${key}\u0000${get.attribute}`)) return true;
  return ENUM_OWNERS.has(key) && MEMBER.test(get.attribute) && !get.resultCalled;
}

/** Offsets of getattr imports and calls excused by the rule. */
export interface ExcusedAttributeGets {
  imports: ReadonlySet<number>;
  calls: ReadonlySet<number>;
}

export function excusedAttributeGets(
  result: PickleStreamResult,
  policy: PicklePolicy,
): ExcusedAttributeGets {
  const imports = new Set<number>();
  const calls = new Set<number>();
  for (const getter of result.getattrs ?? []) {
    if (getter.references !== getter.calls.length) continue;
    if (!getter.calls.every((get) => isVetted(get, policy))) continue;
    imports.add(getter.importOffset);
    for (const get of getter.calls) calls.add(get.offset);
  }
  return { imports, calls };
}
