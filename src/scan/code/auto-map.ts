/**
 * `auto_map` (and `custom_pipelines`) in a repo's config files: the classes `trust_remote_code=True`
 * imports, as transformers reads them (`dynamic_module_utils.get_class_from_dynamic_module`):
 *
 * - `"module.Class"`: `module.py` in this repo (a `/` in `module` is a sub-folder);
 * - `"org/repo--module.Class"`: `module.py` in *another* repo;
 * - tokenizers: a `[slow, fast]` pair, either may be null; old files put the pair directly in
 *   `auto_map` instead of under `AutoTokenizer`.
 *
 * transformers splits the class part on "." into exactly two pieces; anything else fails there,
 * and we report it as a malformed reference rather than guess.
 */
import { CUSTOM_CODE_CONFIG_NAMES } from "../../core/auto-map.js";

/**
 * Config files that can name custom code: the ones transformers reads `auto_map` from, plus every
 * name `core/auto-map.ts` (what `inspect` checks on the Hub) knows, so that both read the same
 * files. `modules.json` is sentence-transformers' module list.
 */
export const AUTO_MAP_CONFIGS: readonly string[] = [
  ...new Set([
    "config.json",
    "tokenizer_config.json",
    "preprocessor_config.json",
    "processor_config.json",
    "generation_config.json",
    ...[...CUSTOM_CODE_CONFIG_NAMES].sort(),
  ]),
];

export interface RemoteReference {
  /** Config file the reference is in. */
  config: string;
  /** Where in it: `auto_map.AutoModel`, `auto_map.AutoTokenizer[1]`, `custom_pipelines.x.impl`. */
  key: string;
  /** The reference as written. */
  reference: string;
  /** `org/repo` for a reference into another repo. */
  repo?: string;
  className?: string;
  /** Relative path of the module file, for references into this repo. */
  file?: string;
  /** Why the reference cannot be followed (malformed, escapes the repo). */
  problem?: string;
}

function parseReference(config: string, key: string, reference: string): RemoteReference {
  const out: RemoteReference = { config, key, reference };
  let rest = reference;
  if (reference.includes("--")) {
    const parts = reference.split("--");
    if (parts.length !== 2 || !parts[0] || !parts[1]) {
      out.problem = "more than one '--' separator";
      return out;
    }
    out.repo = parts[0];
    rest = parts[1];
  }
  const pieces = rest.split(".");
  if (pieces.length !== 2 || !pieces[0] || !pieces[1]) {
    out.problem = "not of the form module.Class";
    return out;
  }
  const [module, className] = pieces as [string, string];
  out.className = className;
  if (out.repo) return out;
  if (
    module.startsWith("/") ||
    module.includes("\\") ||
    module.split("/").some((s) => s === ".." || s === "")
  ) {
    out.problem = `module path ${module} leaves the repository`;
    return out;
  }
  out.file = `${module}.py`;
  return out;
}

export interface AutoMapRead {
  references: RemoteReference[];
  /** Values that are neither strings nor null where a reference should be. */
  problems: string[];
}

/** References in one parsed config file. */
export function readAutoMap(config: string, json: unknown): AutoMapRead {
  const references: RemoteReference[] = [];
  const problems: string[] = [];
  if (config === "modules.json" || config.endsWith("/modules.json")) {
    // sentence-transformers: a module whose type is not one of its own classes is repo code.
    if (!Array.isArray(json)) return { references, problems };
    for (const [i, entry] of json.entries()) {
      const type = (entry as Record<string, unknown> | null)?.type;
      if (typeof type === "string" && !type.startsWith("sentence_transformers."))
        references.push(parseReference(config, `[${i}].type`, type));
    }
    return { references, problems };
  }
  if (typeof json !== "object" || json === null || Array.isArray(json))
    return { references, problems };
  const record = json as Record<string, unknown>;

  const one = (key: string, value: unknown) => {
    if (value === null) return;
    if (typeof value === "string") references.push(parseReference(config, key, value));
    else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) one(`${key}[${i}]`, v);
    } else problems.push(`${key} is ${typeof value}, not a "module.Class" string`);
  };

  const autoMap = record.auto_map;
  if (Array.isArray(autoMap)) one("auto_map", autoMap);
  else if (typeof autoMap === "object" && autoMap !== null) {
    for (const [k, v] of Object.entries(autoMap)) one(`auto_map.${k}`, v);
  } else if (autoMap !== undefined && autoMap !== null) {
    problems.push(`auto_map is ${typeof autoMap}`);
  }

  const pipelines = record.custom_pipelines;
  if (typeof pipelines === "object" && pipelines !== null && !Array.isArray(pipelines)) {
    for (const [task, spec] of Object.entries(pipelines)) {
      if (typeof spec === "object" && spec !== null && "impl" in spec)
        one(`custom_pipelines.${task}.impl`, (spec as Record<string, unknown>).impl);
    }
  }
  return { references, problems };
}
