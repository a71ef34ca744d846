/**
 * The JSON scanner: parse (bounded by `maxInMemoryBytes`) and run the content checks that matter
 * for model repos:
 *
 * - chat templates (`chat_template` in `tokenizer_config.json`, `chat_template.json`,
 *   `processor_config.json`): each scanned as a Jinja template (G1);
 * - a Keras model config (`config.json` of a `.keras` archive, `model.to_json()` output: an
 *   object with a string `class_name` and a `config`; or a TensorFlow.js `model.json`
 *   `modelTopology`): scanned with the Keras config walker (K1–K3).
 *
 * `auto_map` (trust_remote_code) is handled by the folder pass, not here.
 *
 * First, though: an HDF5 file may carry a user block (512, 1024 … bytes of anything) before its
 * superblock, and h5py/Keras open it as HDF5 whatever those bytes are. A "JSON" file with an HDF5
 * signature at such an offset is scanned as the HDF5 model it is (plus FORMAT_MISMATCH).
 *
 * JSON that does not parse: a Python loader (json.load) raises on it, so no config, template or
 * Keras object is ever built from it; there is nothing to execute. It is NOT reported `clean`
 * blindly, though: the detector calls anything that starts with `{` or `[` JSON, which includes
 * Jinja templates (`{%- if … %}`) and Markdown. So the text is handed to the text scanner (which
 * finds templates by content) and a JSON_INVALID info finding records what happened. The verdict
 * is whatever the text checks decide.
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import { overMemoryBudget } from "../budget.js";
import type { Scanner } from "../context.js";
import { walkKerasConfig } from "../keras/config.js";
import { scanHiddenHdf5 } from "../keras/hdf5.js";
import type { KerasPolicy } from "../keras/policy.js";
import { readAll } from "../source.js";
import { scanChatTemplate, templatesInJson } from "../templates/index.js";
import { decodeText, scanTextContent } from "../text/index.js";
import {
  analyzeExportedProgram,
  invalidProgram,
  isExportedProgram,
  isProgramMember,
} from "../torch-export/program.js";
import { parsePythonJson } from "./parse.js";

const MAX_KEYS = 32;

/**
 * Items (commas and opening brackets, an upper bound on the values) a JSON file may hold before
 * it is parsed. JSON.parse builds every value: a 200 MB file of 70 million `{}` ran for over
 * 5 minutes in 6.7 GB. The largest real files (tokenizer.json with a 256k vocabulary and its
 * merges) count about three million.
 */
export const MAX_JSON_ITEMS = 8_000_000;

/**
 * Commas and opening brackets outside strings, plus one: every value but the first in a
 * container follows a comma, and every container opens with a bracket. Stops past `max`.
 * (UTF-8 continuation bytes are never ASCII, so strings are tracked correctly byte by byte.)
 */
export function countJsonItems(bytes: Uint8Array, max: number): number {
  let count = 1;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x2c || b === 0x5b || b === 0x7b) {
      count++;
      if (count > max) return count;
    }
  }
  return count;
}

function isKerasShaped(value: unknown): value is { class_name: string; config: unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { class_name?: unknown }).class_name === "string" &&
    "config" in value
  );
}

/**
 * The Keras config a JSON file carries: the file itself (`.keras` `config.json`, `model.to_json()`),
 * or a TensorFlow.js layers model's `modelTopology` (or its `model_config`), which
 * tensorflowjs's Python loader hands to Keras's `model_from_json`.
 */
function kerasConfigIn(value: unknown): { config: unknown; where: string } | undefined {
  if (isKerasShaped(value)) return { config: value, where: "Keras config" };
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const topology = (value as Record<string, unknown>).modelTopology;
  if (isKerasShaped(topology)) return { config: topology, where: "modelTopology" };
  if (typeof topology === "object" && topology !== null) {
    const inner = (topology as Record<string, unknown>).model_config;
    if (isKerasShaped(inner)) return { config: inner, where: "modelTopology.model_config" };
  }
  return undefined;
}

/** Content checks on a parsed JSON value. Pure. */
export function scanJsonValue(
  value: unknown,
  keras: KerasPolicy,
): { findings: Finding[]; summary: Record<string, unknown> } {
  const findings: Finding[] = [];
  const summary: Record<string, unknown> = {};
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    summary.keys = keys.slice(0, MAX_KEYS);
    if (keys.length > MAX_KEYS) summary.keyCount = keys.length;
  } else {
    summary.type = Array.isArray(value) ? "array" : value === null ? "null" : typeof value;
  }
  const { templates, invalid } = templatesInJson(value);
  for (const t of templates) findings.push(...scanChatTemplate(t.text, t.key));
  for (const key of invalid) {
    findings.push(
      finding(
        "TEMPLATE_UNPARSEABLE",
        "unscannable",
        `${key} is neither a template string nor a list of {name, template}.`,
        { evidence: { where: key } },
      ),
    );
  }
  if (templates.length > 0) summary.chatTemplates = templates.map((t) => t.key);
  const kerasConfig = kerasConfigIn(value);
  if (kerasConfig !== undefined) {
    const result = walkKerasConfig(kerasConfig.config, keras, kerasConfig.where);
    findings.push(...result.findings);
    summary.keras = result.summary;
  }
  // A torch.export serialized program (the JSON inside a .pt2): its operators are named.
  if (isExportedProgram(value)) {
    const result = analyzeExportedProgram(value);
    findings.push(...result.findings);
    summary.torchExport = result.summary;
  }
  return { findings, summary };
}

export const scanJson: Scanner = async (source, ctx, detection) => {
  const limit = ctx.budget.limits.maxInMemoryBytes;
  const base = { path: ctx.path, format: detection.format, size: source.size };
  const tooBig = overMemoryBudget(source.size, limit, base, "JSON");
  if (tooBig) return tooBig;
  const hidden = await scanHiddenHdf5(source, ctx.policy.keras, limit, "JSON");
  if (hidden) return makeNode({ ...base, ...hidden });
  const bytes = readAll(source);
  if (countJsonItems(bytes, MAX_JSON_ITEMS) > MAX_JSON_ITEMS) {
    return makeNode({
      ...base,
      findings: [
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `The JSON holds more than ${MAX_JSON_ITEMS} values and containers (commas and brackets), modelvet's limit for parsing one file.`,
          { expected: MAX_JSON_ITEMS },
        ),
      ],
    });
  }
  const text = decodeText(bytes);
  const parsed = parsePythonJson(text);
  const program = isProgramMember(ctx.path, ctx.depth);
  if (parsed.ok) {
    const { findings, summary } = scanJsonValue(parsed.value, ctx.policy.keras);
    if (program && !isExportedProgram(parsed.value))
      findings.push(invalidProgram("the JSON has no graph_module"));
    return makeNode({ ...base, findings, summary });
  }
  if (program)
    return makeNode({
      ...base,
      findings: [invalidProgram(`not JSON: ${parsed.error.slice(0, 120)}`)],
    });
  const asText = scanTextContent(text, ctx.path);
  return makeNode({
    ...base,
    findings: [
      finding(
        "JSON_INVALID",
        "clean",
        `Not valid JSON (${parsed.error.slice(0, 120)}); no loader builds objects from it, so it was scanned as text.`,
      ),
      ...asText.findings,
    ],
    summary: { json: false, ...asText.summary },
  });
};
