/**
 * LightGBM's native text model (`Booster.save_model` → `model.txt`, loaded by `lgb.Booster(
 * model_file=…)` through the same native parser as a pickled Booster): recognised by its first
 * lines and checked with the strict model-text parser (model-text.ts). A text that starts like a
 * LightGBM model but fails the check blocks (`suspicious`): LightGBM's parser would read it.
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import { overMemoryBudget } from "../budget.js";
import type { Scanner } from "../context.js";
import { checkLightgbmModelText, MAX_LIGHTGBM_TEXT } from "./model-text.js";

export { looksLikeLightgbmModel } from "./model-text.js";

/** The note on a model text that passed, with the LightGBM version to load it with. */
export function lightgbmNote(trees: number, how: string): Finding {
  return finding(
    "LIGHTGBM_MODEL",
    "clean",
    `LightGBM model text (${trees} trees) passed the structural check; LightGBM's native parser reads it ${how}: load it with lightgbm >= 4.6.0 (CVE-2024-43598).`,
  );
}

export const scanLightgbmText: Scanner = async (source, ctx): Promise<ScanNode> => {
  const base = { path: ctx.path, format: "lightgbm", size: source.size };
  const limit = Math.min(MAX_LIGHTGBM_TEXT, ctx.budget.limits.maxInMemoryBytes);
  const tooBig = overMemoryBudget(source.size, limit, base, "LightGBM model text");
  if (tooBig) return tooBig;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(source.read(0, source.size));
  } catch {
    return makeNode({
      ...base,
      findings: [
        finding("LIGHTGBM_INVALID", "suspicious", "The LightGBM model text is not valid UTF-8."),
      ],
    });
  }
  const check = checkLightgbmModelText(text);
  if (!check.ok)
    return makeNode({
      ...base,
      findings: [
        finding(
          "LIGHTGBM_INVALID",
          "suspicious",
          `The file starts like a LightGBM model but is not one LightGBM writes (${check.problem}); LightGBM's native parser would read it.`,
        ),
      ],
    });
  return makeNode({
    ...base,
    findings: [lightgbmNote(check.model.trees, "when the file is loaded")],
    summary: { trees: check.model.trees, version: check.model.version },
  });
};
