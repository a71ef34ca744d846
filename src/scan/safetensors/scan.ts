/**
 * The safetensors scanner. safetensors has no code path, so a valid file is `clean`. A header the
 * reference loader would refuse or could read differently from us is SAFETENSORS_INVALID with
 * verdict `unscannable`: we cannot vouch for what a loader will make of it, so it blocks.
 *
 * None of the violations is `malicious` on its own: overlapping or out-of-bounds offsets, lying
 * lengths and duplicate keys are how one would attack a *reader* (or hide a second reading), but
 * they carry no code that a safetensors loader would run. A pickle renamed `.safetensors` is caught
 * earlier, by detection, and scanned as the pickle it is.
 */
import { finding } from "../../core/finding.js";
import { makeNode } from "../../core/report.js";
import type { Scanner } from "../context.js";
import { MAX_SAFETENSORS_HEADER, type SafetensorsHeader, validateSafetensors } from "./header.js";

export const scanSafetensors: Scanner = async (source, ctx, detection) => {
  const result = validateSafetensors(source, {
    maxHeaderBytes: Math.min(MAX_SAFETENSORS_HEADER, ctx.budget.limits.maxInMemoryBytes),
  });
  const findings = result.violations.map((v) =>
    finding("SAFETENSORS_INVALID", "unscannable", `Invalid safetensors header: ${v.message}.`, {
      ...(v.offset === undefined ? {} : { offset: v.offset }),
    }),
  );
  return makeNode({
    path: ctx.path,
    format: detection.format,
    size: source.size,
    findings,
    ...(result.header ? { summary: summarizeHeader(result.header) } : {}),
  });
};

const MAX_METADATA_KEYS = 32;
const MAX_METADATA_VALUE = 200;

export function summarizeHeader(header: SafetensorsHeader): Record<string, unknown> {
  const parametersByDtype: Record<string, number> = {};
  const tensorsByDtype: Record<string, number> = {};
  let parameters = 0n;
  for (const t of header.tensors) {
    parametersByDtype[t.dtype] = (parametersByDtype[t.dtype] ?? 0) + Number(t.elements);
    tensorsByDtype[t.dtype] = (tensorsByDtype[t.dtype] ?? 0) + 1;
    parameters += t.elements;
  }
  const summary: Record<string, unknown> = {
    headerLength: header.headerLength,
    tensors: header.tensors.length,
    parameters: Number(parameters),
    parametersByDtype,
    tensorsByDtype,
  };
  if (header.metadata) {
    const keys = Object.keys(header.metadata);
    const metadata: Record<string, string> = {};
    for (const key of keys.slice(0, MAX_METADATA_KEYS)) {
      const value = header.metadata[key] ?? "";
      metadata[key] =
        value.length > MAX_METADATA_VALUE ? `${value.slice(0, MAX_METADATA_VALUE)}…` : value;
    }
    summary.metadata = metadata;
    if (keys.length > MAX_METADATA_KEYS) summary.metadataKeys = keys.length;
  }
  return summary;
}
