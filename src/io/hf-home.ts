/**
 * `HF_HOME`, resolved once for everything that lives under it (the cache, io/cache-layout.ts; the
 * token file, io/hub-config.ts), as huggingface_hub's constants.py does: `HF_HOME`, else
 * `$XDG_CACHE_HOME/huggingface`, else `~/.cache/huggingface`; a leading `~` is the home folder. An
 * empty variable counts as unset.
 */
import { homedir } from "node:os";
import { join } from "node:path";

export interface HfHomeEnv {
  HF_HOME?: string | undefined;
  XDG_CACHE_HOME?: string | undefined;
}

/** `~` and `~/…` from the home folder; anything else as it is. */
export function expandHome(path: string, home: string = homedir()): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return join(home, path.slice(2));
  return path;
}

const set = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());

export function resolveHfHome(env: HfHomeEnv, home: string = homedir()): string {
  const explicit = set(env.HF_HOME);
  if (explicit !== undefined) return expandHome(explicit, home);
  const xdg = set(env.XDG_CACHE_HOME);
  return join(xdg !== undefined ? expandHome(xdg, home) : join(home, ".cache"), "huggingface");
}
