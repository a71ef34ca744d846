/**
 * Where chat templates live in JSON files that transformers reads:
 * - `tokenizer_config.json`: `chat_template` as a string, or a list of `{name, template}`;
 * - `chat_template.json` (and older `processor_config.json`): `{"chat_template": "…"}`.
 * Only the top level is read, as transformers does.
 */

export interface TemplateSource {
  /** e.g. `chat_template` or `chat_template[tool_use]`. */
  key: string;
  text: string;
}

/** Templates in a parsed JSON value; a malformed `chat_template` value is returned as `invalid`. */
export function templatesInJson(value: unknown): {
  templates: TemplateSource[];
  invalid: string[];
} {
  const templates: TemplateSource[] = [];
  const invalid: string[] = [];
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { templates, invalid };
  if (!Object.hasOwn(value, "chat_template")) return { templates, invalid };
  const entry = (value as Record<string, unknown>).chat_template;
  if (typeof entry === "string") templates.push({ key: "chat_template", text: entry });
  else if (Array.isArray(entry)) {
    entry.forEach((item, i) => {
      const rec =
        typeof item === "object" && item !== null ? (item as Record<string, unknown>) : {};
      const name = typeof rec.name === "string" ? rec.name : String(i);
      if (typeof rec.template === "string")
        templates.push({ key: `chat_template[${name}]`, text: rec.template });
      else invalid.push(`chat_template[${i}]`);
    });
  } else if (entry !== null) invalid.push("chat_template");
  return { templates, invalid };
}
