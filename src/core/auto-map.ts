/**
 * Custom code a repo asks loaders to run (`trust_remote_code`), read from its small config files:
 *   - `auto_map` in config.json, tokenizer_config.json, processor/preprocessor/image_processor/
 *     feature_extractor configs: `"AutoModel": "modeling_x.XModel"`, lists for tokenizers
 *     (`["tokenization_x.Tok", null]`), and cross-repo references `"other-org/repo--modeling_x.X"`;
 *   - `custom_pipelines` in config.json (`impl`: "pipeline_x.Pipe");
 *   - sentence-transformers `modules.json` entries whose `type` is not a sentence_transformers class.
 * transformers resolves `module.Class` to the file `module.py` at the repo root (exactly one dot).
 * Pure: takes parsed JSON, returns references; checking them against the tree is the caller's job.
 */

export const CUSTOM_CODE_CONFIG_NAMES: ReadonlySet<string> = new Set([
  "config.json",
  "tokenizer_config.json",
  "processor_config.json",
  "preprocessor_config.json",
  "image_processor_config.json",
  "video_preprocessor_config.json",
  "feature_extractor_config.json",
  "modules.json",
]);

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

export function parseCodeReference(source: string, reference: string): CodeReference {
  let repo: string | undefined;
  let rest = reference;
  const sep = reference.indexOf("--");
  if (sep !== -1) {
    repo = reference.slice(0, sep);
    rest = reference.slice(sep + 2);
  }
  const parts = rest.split(".");
  if (parts.length !== 2 || !parts.every((p) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(p))) {
    return {
      source,
      reference,
      repo,
      moduleFile: undefined,
      className: undefined,
      problem: "not of the form module.Class",
    };
  }
  return {
    source,
    reference,
    repo,
    moduleFile: `${parts[0]}.py`,
    className: parts[1],
    problem: undefined,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Every code reference in one parsed config file. Non-string oddities become problem entries. */
export function extractCodeReferences(file: string, json: unknown): CodeReference[] {
  const out: CodeReference[] = [];
  const base = file.slice(file.lastIndexOf("/") + 1);
  const odd = (key: string, value: unknown) =>
    out.push({
      source: `${file}: ${key}`,
      reference: JSON.stringify(value)?.slice(0, 200) ?? String(value),
      repo: undefined,
      moduleFile: undefined,
      className: undefined,
      problem: "not a string reference",
    });

  if (base === "modules.json") {
    if (!Array.isArray(json)) return out;
    json.forEach((entry, i) => {
      if (!isObject(entry)) return;
      const type = entry.type;
      if (typeof type !== "string") return;
      if (type.startsWith("sentence_transformers.")) return;
      out.push(parseCodeReference(`${file}: [${i}].type`, type));
    });
    return out;
  }
  if (!isObject(json)) return out;
  const autoMap = json.auto_map;
  if (autoMap !== undefined) {
    if (!isObject(autoMap)) odd("auto_map", autoMap);
    else {
      for (const [key, value] of Object.entries(autoMap)) {
        const values = Array.isArray(value) ? value : [value];
        values.forEach((v, i) => {
          const where = Array.isArray(value) ? `auto_map.${key}[${i}]` : `auto_map.${key}`;
          if (v === null) return;
          if (typeof v === "string") out.push(parseCodeReference(`${file}: ${where}`, v));
          else odd(where, v);
        });
      }
    }
  }
  const pipelines = json.custom_pipelines;
  if (isObject(pipelines)) {
    for (const [task, spec] of Object.entries(pipelines)) {
      if (!isObject(spec)) continue;
      const impl = spec.impl;
      if (typeof impl === "string") {
        out.push(parseCodeReference(`${file}: custom_pipelines.${task}.impl`, impl));
      } else if (impl !== undefined) odd(`custom_pipelines.${task}.impl`, impl);
    }
  }
  return out;
}
