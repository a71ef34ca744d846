/**
 * How the allowlists key what they list, shared by the loaders that build the policies (io/) and
 * the scanners that consult them (scan/): a pickle global or a Keras reference is the pair
 * `module\u0000name`, which no Python name can contain.
 */

/** The key of a pickle global (`module\u0000qualname`, or `module\u0000*` for a whole module). */
export function globalKey(module: string, name: string): string {
  return `${module}\u0000${name}`;
}

/** The key of a Keras reference (`module\u0000name`). */
export function kerasKey(module: string, name: string): string {
  return `${module}\u0000${name}`;
}

/** The reason a module (or a parent package of it) is listed as dangerous, if it is. */
export function dangerousModuleReason(
  policy: { readonly dangerousModules: ReadonlyMap<string, string> },
  module: string,
): string | undefined {
  const parts = module.split(".");
  for (let i = parts.length; i > 0; i--) {
    const reason = policy.dangerousModules.get(parts.slice(0, i).join("."));
    if (reason !== undefined) return reason;
  }
  return undefined;
}
