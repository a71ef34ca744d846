/**
 * The chat-template check (G1): parse a Jinja template with @huggingface/jinja (the parser
 * transformers.js uses) and walk its syntax tree for anything that reaches Python objects:
 * dunder or private attributes (dot or item access, including keys computed from string
 * literals, `~`/`+` concatenations, `join`/`format`/`replace`/`reverse` and `{% set %}`
 * constants), attribute-reading filters (`attr`, `map(attribute=…)`, `selectattr` …) with such
 * names, `str.format` fields that walk attributes, free Python names (`os`, `self`, `config`,
 * `__builtins__` …), and attribute reads on Jinja's Python-object globals (`lipsum`, `cycler` …).
 *
 * A template that does not parse is TEMPLATE_UNPARSEABLE (`unscannable`): Python Jinja may still
 * render it, and we cannot say what it does. Nesting is bounded before parsing (the parser is
 * recursive), and the tree walk is iterative.
 *
 * The parts: parse.ts (limits, nesting check, parser), tree.ts (the walk and each node's role),
 * fold.ts (constant folding), checks.ts (what is dangerous), report.ts (findings, capped).
 */
import { type Finding, finding } from "../../core/finding.js";
import { analyzeTemplate } from "./checks.js";
import { DEFAULT_TEMPLATE_LIMITS, parseTemplate, type TemplateLimits } from "./parse.js";

export {
  DEFAULT_TEMPLATE_LIMITS,
  parseTemplate,
  type TemplateLimits,
  type TemplateParse,
} from "./parse.js";
export { analyzeTemplate };

/**
 * The chat-template check other scanners call (GGUF `tokenizer.chat_template`, JSON files,
 * `.jinja` text): parse `text` and return its findings. `where` names the template's origin, e.g.
 * `tokenizer_config.json:chat_template` or `model.gguf:tokenizer.chat_template`. An unparseable
 * template is TEMPLATE_UNPARSEABLE (`unscannable`).
 */
export function scanChatTemplate(
  text: string,
  where: string,
  limits: TemplateLimits = DEFAULT_TEMPLATE_LIMITS,
): Finding[] {
  const parsed = parseTemplate(text, limits);
  if (!parsed.ok) {
    return [
      finding(
        "TEMPLATE_UNPARSEABLE",
        "unscannable",
        `Chat template ${where} could not be parsed (${parsed.reason}); a loader might still render it.`,
        {
          evidence: { where, reason: parsed.reason, budget: parsed.budget },
        },
      ),
    ];
  }
  return analyzeTemplate(parsed.program, where, limits);
}
