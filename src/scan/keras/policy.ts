/**
 * Keras reference policy: which (module, name) pairs a Keras config may name, built from
 * allowlist/keras-modules.json by io/. A config names Python objects in three ways:
 *
 * - `module` + `class_name` (Keras 3 and tf.keras >= 2.13): the loader imports `module` and takes
 *   `class_name` (or `registered_name`) from it, so the pair must be exactly allowed;
 * - `module` + `class_name: "function"` + `config: "<name>"`: the same for a function;
 * - a bare `class_name` with no module (tf.keras 2.x `.h5` files): resolved only among Keras's own
 *   objects and the caller's custom objects, so it is checked against the list of legacy names.
 *
 * Never a whole module: every allowed pair is listed.
 */
import type { Hdf5Reader } from "./hdf5-read.js";

export interface KerasPolicy {
  /** Keys are `module\u0000name` (see kerasKey). */
  allowed: ReadonlySet<string>;
  /** Bare class names (no module) that tf.keras 2.x resolves among its own objects. */
  legacyNames: ReadonlySet<string>;
  /** Modules (and their submodules) whose objects run code, read/write files or import: reason. */
  dangerousModules: ReadonlyMap<string, string>;
  /** Names that are dangerous whatever module they come from (`eval`, `exec`, `system`, …). */
  dangerousNames: ReadonlyMap<string, string>;
  /**
   * How HDF5 files are read (supplied by io/: a worker thread with a deadline). Absent: h5wasm on
   * the calling thread, with no time bound. Not data: dropped when a policy crosses to a worker.
   */
  readHdf5?: Hdf5Reader | undefined;
}

export { dangerousModuleReason, kerasKey } from "../../core/policy-keys.js";

/** An empty policy: every reference is unknown. */
export function emptyKerasPolicy(): KerasPolicy {
  return {
    allowed: new Set(),
    legacyNames: new Set(),
    dangerousModules: new Map(),
    dangerousNames: new Map(),
  };
}
