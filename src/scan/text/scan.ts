/**
 * The text scanner: plain text is inert, except text that a loader renders as a Jinja template
 * (`chat_template.jinja`, `additional_chat_templates/*.jinja`, templates pasted into READMEs and
 * copied from there). Detected by content, never trusted by name:
 *
 * - no `{{`, `{%` or `{#` → not a template: clean.
 * - template syntax that parses with @huggingface/jinja → scanned as a template (G1); a README
 *   whose code sample parses is a template too, and is only flagged if it really reaches Python
 *   internals (the rules do not fire on ordinary `{{ message['content'] }}`).
 * - template syntax that does NOT parse:
 *   - in a file named `*.jinja`, `*.jinja2` or `*.j2` (names transformers and llama.cpp render as
 *     templates) → TEMPLATE_UNPARSEABLE, `unscannable`: a loader will render it and we cannot
 *     say what it does;
 *   - elsewhere → not a template (Markdown, LaTeX, code samples with stray braces are full of
 *     `{{`): no loader renders an arbitrary text file, and a broken template cannot be rendered
 *     by our parser either. A lexical backstop still reports dunder names inside `{{ }}`/`{% %}`
 *     as `suspicious`, so that a template hidden behind a syntax Python Jinja accepts but our
 *     parser refuses does not pass silently.
 *
 * Text that is really the user block of an HDF5 file (see findHdf5Signature) is scanned as HDF5.
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import { overMemoryBudget } from "../budget.js";
import type { Scanner } from "../context.js";
import { scanHiddenHdf5 } from "../keras/hdf5.js";
import { readAll } from "../source.js";
import { analyzeTemplate, parseTemplate } from "../templates/index.js";
import { isDunder } from "../templates/rules.js";

const TEMPLATE_SYNTAX = /\{[{%#]/;
const TEMPLATE_NAME = /\.(?:jinja2?|j2)$/i;

export interface TextScanResult {
  findings: Finding[];
  summary: Record<string, unknown>;
}

/** Dunder names inside `{{ … }}` / `{% … %}` regions (closed or not), for text that does not parse. */
function dunderNamesInTemplateRegions(text: string): string[] {
  const found = new Set<string>();
  for (const region of text.matchAll(/\{[{%]([\s\S]{0,2000}?)(?:[}%]\}|$)/g)) {
    for (const m of region[1]!.matchAll(/__\w+__/g)) if (isDunder(m[0])) found.add(m[0]);
    if (found.size >= 10) break;
  }
  return [...found];
}

/** Content checks for decoded text. Pure. `path` is the display path (used for the name rule). */
export function scanTextContent(text: string, path: string): TextScanResult {
  if (!TEMPLATE_SYNTAX.test(text)) return { findings: [], summary: { template: false } };
  const parsed = parseTemplate(text);
  if (parsed.ok) {
    return { findings: analyzeTemplate(parsed.program, path), summary: { template: true } };
  }
  if (TEMPLATE_NAME.test(path)) {
    return {
      findings: [
        finding(
          "TEMPLATE_UNPARSEABLE",
          "unscannable",
          `Template ${path} could not be parsed (${parsed.reason}); a loader may still render it.`,
          { evidence: { where: path, reason: parsed.reason } },
        ),
      ],
      summary: { template: true, parseError: parsed.reason },
    };
  }
  const dunders = dunderNamesInTemplateRegions(text);
  const findings =
    dunders.length === 0
      ? []
      : [
          finding(
            "TEMPLATE_DANGEROUS",
            "suspicious",
            `${path} has template syntax that does not parse, with Python internals inside it (${dunders.join(", ")}).`,
            { evidence: { where: path, dunders, reason: parsed.reason } },
          ),
        ];
  return {
    findings,
    summary: { template: false, templateSyntax: true, parseError: parsed.reason },
  };
}

export function decodeText(bytes: Uint8Array): string {
  return new TextDecoder("utf-8", { fatal: false, ignoreBOM: false }).decode(bytes);
}

export const scanText: Scanner = async (source, ctx, detection) => {
  const limit = ctx.budget.limits.maxInMemoryBytes;
  const base = { path: ctx.path, format: detection.format, size: source.size };
  const tooBig = overMemoryBudget(source.size, limit, base, "text");
  if (tooBig) return tooBig;
  const hidden = await scanHiddenHdf5(source, ctx.policy.keras, limit, "text");
  if (hidden) return makeNode({ ...base, ...hidden });
  const { findings, summary } = scanTextContent(decodeText(readAll(source)), ctx.path);
  return makeNode({ ...base, findings, summary });
};
