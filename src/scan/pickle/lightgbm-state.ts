/**
 * The one pickled object whose safety depends on its state: `lightgbm.basic.Booster`. Pickled as
 * `Booster.__new__(Booster)` (NEWOBJ, no arguments: `__init__`, which can read a model file or start
 * training with network parameters, never runs) then BUILD with a state dict. Its `__setstate__`
 * hands `state["_handle"]` (older versions: `state["handle"]`) to LightGBM's native text parser
 * (`LGBM_BoosterLoadModelFromString`) and then only updates `__dict__`. So a BUILD is vetted when
 * the state is a dict whose keys are all known strings and whose `_handle`/`handle` values are
 * None or a str that passes the strict model-text check (../lightgbm/model-text.ts).
 *
 * The import itself is excused by rules.ts only when every use of it is such an argument-less
 * NEWOBJ (construct-only tracking) and every BUILD on such an object was vetted here.
 */
import { checkLightgbmModelText, MAX_LIGHTGBM_TEXT } from "../lightgbm/model-text.js";
import type { ByteSource } from "../source.js";
import {
  type PickleValue,
  SymbolicDict,
  SymbolicGlobal,
  type SymbolicObject,
  SymbolicOpaque,
  SymbolicTuple,
} from "./types.js";
import { strOf } from "./values.js";

/** Classes whose import is excused only with a vetted BUILD state (see rules.ts). */
const STATE_CHECKED: ReadonlySet<string> = new Set(["lightgbm.basic\u0000Booster"]);

export function isStateChecked(module: string, name: string): boolean {
  return STATE_CHECKED.has(`${module}\u0000${name}`);
}

/** One BUILD on a Booster made by NEWOBJ: its model text checked, or why it could not be. */
export interface BoosterBuild {
  offset: number;
  /** Offset of the import of the Booster class the object was made from. */
  importOffset: number;
  /** Set when the state is not one LightGBM writes or its model text fails the check. */
  problem?: string;
  trees?: number;
}

const HANDLE_KEYS = new Set(["_handle", "handle"]);

function textOf(v: PickleValue, source: ByteSource): string | undefined {
  const short = strOf(v);
  if (short !== undefined) return short;
  // A long str constant, located in the walked source (constants.ts).
  if (v instanceof SymbolicOpaque && v.kind === "str" && v.offset >= 0 && v.length >= 0) {
    if (v.length > MAX_LIGHTGBM_TEXT) return undefined;
    const bytes = source.read(v.offset, v.length);
    if (bytes.length !== v.length) return undefined;
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The check for a BUILD on `target`, or undefined when the target is no NEWOBJ'd Booster. */
export function checkBoosterBuild(
  target: SymbolicObject,
  state: PickleValue | undefined,
  source: ByteSource,
  offset: number,
): BoosterBuild | undefined {
  const cls = target.callable;
  if (!(cls instanceof SymbolicGlobal) || !isStateChecked(cls.module, cls.name)) return undefined;
  const importOffset = cls.offset;
  if (target.opcode !== "NEWOBJ" || !(target.args instanceof SymbolicTuple) || target.args.length)
    return {
      offset,
      importOffset,
      problem: "the Booster was not made by Booster.__new__ with no arguments",
    };
  if (!(state instanceof SymbolicDict) || state.entries === undefined)
    return { offset, importOffset, problem: "the Booster state is not a dict of known size" };
  let trees = 0;
  for (const [key, value] of state.entries) {
    const k = strOf(key);
    if (k === undefined)
      return { offset, importOffset, problem: "a Booster state key is not a plain str" };
    if (!HANDLE_KEYS.has(k) || value === null) continue;
    const text = textOf(value, source);
    if (text === undefined)
      return {
        offset,
        importOffset,
        problem: `the Booster's ${k} is not a str constant holding the model text`,
      };
    const check = checkLightgbmModelText(text);
    if (!check.ok)
      return { offset, importOffset, problem: `the Booster's model text: ${check.problem}` };
    trees += check.model.trees;
  }
  return { offset, importOffset, trees };
}
