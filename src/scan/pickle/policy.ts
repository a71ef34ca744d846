/**
 * Pickle import policy: exact (module, qualname) pairs that are safe to import, and the
 * known-dangerous pairs that only decide severity. Built from allowlist/pickle-*.json by io/.
 */

export interface PicklePolicy {
  /** Keys are `module\u0000qualname`. */
  safe: ReadonlySet<string>;
  /** Keys are `module\u0000qualname`, or `module\u0000*` for a whole dangerous module. */
  dangerous: ReadonlyMap<string, string>;
}

export { globalKey } from "../../core/policy-keys.js";
