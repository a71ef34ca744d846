/**
 * `keras_metadata.pb`, written beside `saved_model.pb` by TF-Keras: one SavedObject per Keras
 * object, each with a JSON `metadata` string holding the layer's class and config. A Lambda layer's
 * marshalled Python bytecode lives there (threat K1), and `load_model` rebuilds layers from it, so
 * every metadata JSON goes through the Keras config walker. Field numbers (facts, from
 * keras/protobuf/saved_metadata.proto):
 *   SavedMetadata 1 nodes (SavedObject)
 *   SavedObject   1 version (VersionDef), 2 node_id, 3 node_path, 4 identifier, 5 metadata (JSON)
 */
import { ScanError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { walkKerasConfig } from "../keras/index.js";
import type { KerasPolicy } from "../keras/policy.js";
import { type ProtoWindow, WIRE_LEN } from "../protobuf/wire.js";

/** One metadata JSON larger than this is not parsed (BUDGET_EXCEEDED). */
const MAX_METADATA_JSON = 64 * 1024 * 1024;

export interface KerasMetadataResult {
  findings: Finding[];
  summary: Record<string, unknown>;
}

export function walkKerasMetadata(
  root: ProtoWindow,
  policy: KerasPolicy,
  path: string,
): KerasMetadataResult {
  const findings: Finding[] = [];
  const identifiers: Record<string, number> = {};
  let nodes = 0;
  try {
    for (const f of root.fields()) {
      if (f.field !== 1 || f.wireType !== WIRE_LEN || !f.window) continue;
      nodes++;
      let nodePath = `node ${nodes - 1}`;
      let metadata: ProtoWindow | undefined;
      for (const g of f.window.fields()) {
        if (g.wireType !== WIRE_LEN || !g.window) continue;
        if (g.field === 3) nodePath = g.window.text(300);
        else if (g.field === 4) {
          const id = g.window.text(100);
          identifiers[id] = (identifiers[id] ?? 0) + 1;
        } else if (g.field === 5) metadata = g.window;
      }
      if (!metadata || metadata.length === 0) continue;
      const where = `${path}:${nodePath}`;
      if (metadata.length > MAX_METADATA_JSON) {
        findings.push(
          finding(
            "BUDGET_EXCEEDED",
            "unscannable",
            `${where}: Keras metadata of ${metadata.length} bytes is too large to check.`,
          ),
        );
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(metadata.bytes()));
      } catch {
        findings.push(
          finding(
            "KERAS_INVALID",
            "unscannable",
            `${where}: the Keras metadata is not valid JSON; Keras may still load it.`,
            { offset: metadata.base },
          ),
        );
        continue;
      }
      findings.push(...walkKerasConfig(parsed, policy, where, undefined, false).findings);
    }
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    findings.push(
      finding(
        "SAVEDMODEL_INVALID",
        "unscannable",
        `The Keras metadata could not be read to the end: ${error.message}.`,
        error.offset === undefined ? {} : { offset: error.offset },
      ),
    );
  }
  return { findings, summary: { kind: "keras-metadata", objects: nodes, identifiers } };
}
