/**
 * joblib's inline numpy arrays. `joblib.dump` pickles each array as a
 * `joblib.numpy_pickle.NumpyArrayWrapper` whose state (a dict) gives dtype, shape, order and
 * allow_mmap, then writes the array's bytes straight into the file right after the wrapper's BUILD.
 * joblib's unpickler reads them at that point: (newer joblib, when the state has
 * `numpy_array_alignment_bytes`) one padding-length byte plus that many padding bytes, then
 * count × itemsize raw bytes; object arrays are instead written as a complete nested pickle.
 * This hook makes the walk consume exactly those bytes.
 */
import {
  type PickleHooks,
  type PickleValue,
  SymbolicDict,
  SymbolicGlobal,
  SymbolicObject,
  SymbolicOpaque,
  SymbolicTuple,
} from "./types.js";
import { strOf } from "./values.js";

const WRAPPER_MODULES = new Set(["joblib.numpy_pickle", "sklearn.externals.joblib.numpy_pickle"]);

function dictGet(d: SymbolicDict, key: string): PickleValue | undefined {
  for (const [k, v] of d.entries ?? []) if (strOf(k) === key) return v;
  return undefined;
}

function hasKey(d: SymbolicDict, key: string): boolean {
  return (d.entries ?? []).some(([k]) => strOf(k) === key);
}

interface DtypeFacts {
  itemsize: number;
  hasObject: boolean;
}

/**
 * A dtype built by `numpy.dtype(str, align, copy)` (REDUCE) with its state tuple
 * `(version, byteorder, subarray, names, fields, elsize, alignment, flags)` (BUILD).
 */
export function dtypeFacts(v: PickleValue | undefined): DtypeFacts | undefined {
  if (!(v instanceof SymbolicObject)) return undefined;
  const cls = v.callable;
  if (!(cls instanceof SymbolicGlobal) || cls.name !== "dtype") return undefined;
  if (!(v.args instanceof SymbolicTuple) || v.args.items === undefined) return undefined;
  const spec = strOf(v.args.items[0]);
  if (spec === undefined) return undefined;
  const m = /^([a-zA-Z?])(\d*)$/.exec(spec);
  if (!m) return undefined;
  const kind = m[1] as string;
  let itemsize = m[2] === "" ? (kind === "?" ? 1 : Number.NaN) : Number(m[2]);
  if (kind === "U") itemsize *= 4;
  let hasObject = kind === "O";
  const state = v.state instanceof SymbolicTuple ? v.state.items : undefined;
  if (state !== undefined) {
    const elsize = state[5];
    const flags = state[7];
    if (typeof elsize === "number" && elsize > 0) itemsize = elsize;
    if (typeof flags === "number" && (flags & 1) !== 0) hasObject = true;
    if (state[2] !== null && state[2] !== undefined) return undefined; // subarray dtypes: not followed
  }
  if (!Number.isSafeInteger(itemsize) || itemsize < 0) return undefined;
  return { itemsize, hasObject };
}

function shapeCount(v: PickleValue | undefined): number | undefined {
  if (!(v instanceof SymbolicTuple) || v.items === undefined) return undefined;
  let count = 1;
  for (const d of v.items) {
    const n = typeof d === "bigint" ? Number(d) : d;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) return undefined;
    count *= n;
    if (!Number.isSafeInteger(count)) return undefined;
  }
  return count;
}

const NDARRAY = new SymbolicOpaque("ndarray");

export const joblibHooks: PickleHooks = {
  onBuild(event, io) {
    const target = event.target;
    if (!(target instanceof SymbolicObject)) return undefined;
    const cls = target.callable;
    if (!(cls instanceof SymbolicGlobal) || !WRAPPER_MODULES.has(cls.module)) return undefined;
    if (cls.name !== "NumpyArrayWrapper") return undefined;
    const state = event.state;
    if (!(state instanceof SymbolicDict) || state.entries === undefined) {
      return io.fail(
        "a joblib NumpyArrayWrapper has a state that is not a plain dict, so the size of its inline array bytes is unknown",
      );
    }
    const dtype = dtypeFacts(dictGet(state, "dtype"));
    const count = shapeCount(dictGet(state, "shape"));
    if (dtype === undefined || count === undefined) {
      return io.fail(
        "a joblib NumpyArrayWrapper has a dtype or shape modelvet cannot size, so its inline array bytes cannot be skipped as joblib reads them",
      );
    }
    if (dtype.hasObject) {
      io.walkInline();
      return NDARRAY;
    }
    const alignment = dictGet(state, "numpy_array_alignment_bytes");
    if (hasKey(state, "numpy_array_alignment_bytes") && alignment !== null) {
      const pad = io.read(1)[0] as number;
      if (pad !== 0) io.skip(pad);
    }
    const bytes = count * dtype.itemsize;
    if (!Number.isSafeInteger(bytes)) return io.fail("a joblib array's byte size is too large");
    // `pickle.load` (not joblib) would read these bytes as opcodes: if they parse as a pickle,
    // scan them too, so a payload hidden as "array data" is not skipped unseen.
    io.checkNested(bytes);
    io.skip(bytes);
    return NDARRAY;
  },
};
