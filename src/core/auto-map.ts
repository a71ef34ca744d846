/**
 * Custom code a repo asks loaders to run (`trust_remote_code`), read from its small config files.
 * The one reader of these references: `inspect` (before download, from the Hub's bytes) and the
 * scan's folder pass (after download) both call `readAutoMap`, so they cannot disagree.
 *
 * What transformers reads (`dynamic_module_utils.get_class_from_dynamic_module`):
 *   - `auto_map` in config.json, tokenizer_config.json and the processor configs:
 *     `"AutoModel": "modeling_x.XModel"`; for tokenizers a `[slow, fast]` pair where either may be
 *     null; old tokenizer files put that pair directly in `auto_map` instead of under
 *     `AutoTokenizer`.
 *   - `"org/repo--module.Class"`: the module comes from *another* repo.
 *   - `module.Class` means the file `module.py`; a `/` in `module` is a sub-folder. transformers
 *     splits the class part on "." into exactly two pieces; anything else fails there, and we
 *     report it as a reference that cannot be followed rather than guess.
 *   - `custom_pipelines` in config.json (`impl`: "pipeline_x.Pipe").
 *   - sentence-transformers' `modules.json`: an entry whose `type` is not one of
 *     sentence_transformers' own classes is repo code.
 * Pure: takes parsed JSON, returns references; checking them against the tree is the caller's job.
 */

/** Config files that can name custom code, by base name. */
export const AUTO_MAP_CONFIGS: readonly string[] = [
  "config.json",
  "feature_extractor_config.json",
  "generation_config.json",
  "image_processor_config.json",
  "modules.json",
  "preprocessor_config.json",
  "processor_config.json",
  "tokenizer_config.json",
  "video_preprocessor_config.json",
];

export const CUSTOM_CODE_CONFIG_NAMES: ReadonlySet<string> = new Set(AUTO_MAP_CONFIGS);

/** Longest rendering kept of a value that is not a reference. */
const MAX_ODD_VALUE = 200;

export interface RemoteReference {
  /** Config file the reference is in, as the caller named it. */
  config: string;
  /** Where in it: `auto_map.AutoModel`, `auto_map.AutoTokenizer[1]`, `custom_pipelines.x.impl`. */
  key: string;
  /** The reference as written (for a value that is not a string, its JSON, shortened). */
  reference: string;
  /** `org/repo` for a reference into another repo. */
  repo?: string;
  className?: string;
  /** Path of the module file, relative to the root of the repo it lives in (`repo`, or this one). */
  file?: string;
  /** Why the reference cannot be followed (malformed, escapes the repo, not a string). */
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

function oddValue(config: string, key: string, value: unknown, problem: string): RemoteReference {
  const shown = JSON.stringify(value) ?? String(value);
  return { config, key, reference: shown.slice(0, MAX_ODD_VALUE), problem };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Every code reference in one parsed config file. Values that should be references but are not
 * strings are kept as references with a `problem`, never dropped.
 */
export function readAutoMap(config: string, json: unknown): RemoteReference[] {
  const references: RemoteReference[] = [];
  if (config === "modules.json" || config.endsWith("/modules.json")) {
    if (!Array.isArray(json)) return references;
    for (const [i, entry] of json.entries()) {
      const type = isRecord(entry) ? entry.type : undefined;
      if (typeof type === "string" && !type.startsWith("sentence_transformers."))
        references.push(parseReference(config, `[${i}].type`, type));
    }
    return references;
  }
  if (!isRecord(json)) return references;

  const one = (key: string, value: unknown) => {
    if (value === null) return;
    if (typeof value === "string") references.push(parseReference(config, key, value));
    else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) one(`${key}[${i}]`, v);
    } else {
      references.push(
        oddValue(config, key, value, `a ${typeof value}, not a "module.Class" string`),
      );
    }
  };

  const autoMap = json.auto_map;
  if (Array.isArray(autoMap)) one("auto_map", autoMap);
  else if (isRecord(autoMap)) {
    for (const [k, v] of Object.entries(autoMap)) one(`auto_map.${k}`, v);
  } else if (autoMap !== undefined && autoMap !== null) {
    references.push(
      oddValue(config, "auto_map", autoMap, `a ${typeof autoMap}, not a map of references`),
    );
  }

  const pipelines = json.custom_pipelines;
  if (isRecord(pipelines)) {
    for (const [task, spec] of Object.entries(pipelines)) {
      if (isRecord(spec) && "impl" in spec) one(`custom_pipelines.${task}.impl`, spec.impl);
    }
  }
  return references;
}

/** One reference as `inspect` reports it (its JSON shape is stable: add fields, never rename). */
export interface CodeReference {
  /** The config file it came from and the key inside it, e.g. `config.json: auto_map.AutoModel`. */
  source: string;
  /** The reference as written. */
  reference: string;
  /** Another repo the code comes from (`org/name--module.Class`), if any. */
  repo: string | undefined;
  /** The module file it would import (`modeling_x.py`), undefined when malformed. */
  moduleFile: string | undefined;
  className: string | undefined;
  /** Why the reference cannot be followed, when it cannot. */
  problem: string | undefined;
}

/** `readAutoMap`, in the shape `inspect` reports. */
export function extractCodeReferences(file: string, json: unknown): CodeReference[] {
  return readAutoMap(file, json).map((r) => ({
    source: `${file}: ${r.key}`,
    reference: r.reference,
    repo: r.repo,
    moduleFile: r.problem === undefined ? r.file : undefined,
    className: r.problem === undefined ? r.className : undefined,
    problem: r.problem,
  }));
}
