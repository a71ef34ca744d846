/**
 * Raw tensor data that a model file names as its own, read the way its loader reads it:
 * - ONNX external data: files listed in an ONNX model's `external_data` locations (relative to
 *   the model's folder; locations that escape are already a finding on the model);
 * - TensorFlow SavedModel variables: `variables/variables.index` and
 *   `variables/variables.data-NNNNN-of-NNNNN` beside a `saved_model.pb`.
 * Those bytes are loaded as numbers, never interpreted, and match no format of their own; without
 * this pass they would be `unknown` and block every ONNX model with external data and every
 * SavedModel. Only nodes whose bytes matched no format are re-labelled: a pickle that hides under
 * such a name is still scanned as a pickle. Pure: works on the scanned nodes by path.
 */
import { posix } from "node:path";
import { makeNode, type ScanNode } from "../core/report.js";

const TF_VARIABLES = /^variables\/variables\.(?:index|data-\d{5}-of-\d{5})$/;
const TF_SHARD = /^\.data-\d{5}-of-\d{5}$/;

function relabel(node: ScanNode, format: string, owner: string): ScanNode {
  return makeNode({
    path: node.path,
    format,
    findings: [],
    ...(node.size !== undefined ? { size: node.size } : {}),
    summary: { dataOf: owner },
  });
}

const isUnknown = (node: ScanNode) => node.format === "unknown";

/** Returns `nodes` in the same order, with companion data files re-labelled. */
export function applyCompanionData(nodes: readonly ScanNode[]): ScanNode[] {
  const byPath = new Map(nodes.map((n, i) => [posix.normalize(n.path.split("\\").join("/")), i]));
  const out = [...nodes];
  for (const node of nodes) {
    const path = posix.normalize(node.path.split("\\").join("/"));
    const dir = posix.dirname(path);
    if (node.format === "onnx") {
      const files = (node.summary?.externalDataFiles ?? []) as unknown[];
      for (const f of files) {
        if (typeof f !== "string") continue;
        const target = posix.normalize(posix.join(dir, f));
        if (dir !== "." && !target.startsWith(`${dir}/`)) continue; // escapes: a finding on the model
        const i = byPath.get(target);
        if (i !== undefined && isUnknown(out[i]!))
          out[i] = relabel(out[i]!, "onnx-external-data", node.path);
      }
    }
    // tf.train.Checkpoint: `<prefix>.data-NNNNN-of-NNNNN` shards beside a valid `<prefix>.index`.
    if (
      node.format === "tf-checkpoint-index" &&
      node.verdict === "clean" &&
      path.endsWith(".index")
    ) {
      const prefix = path.slice(0, -".index".length);
      for (const [p, i] of byPath) {
        if (
          p.startsWith(`${prefix}.`) &&
          TF_SHARD.test(p.slice(prefix.length)) &&
          isUnknown(out[i]!)
        )
          out[i] = relabel(out[i]!, "tf-checkpoint-data", node.path);
      }
    }
    if (node.format === "savedmodel" && posix.basename(path) === "saved_model.pb") {
      for (const [p, i] of byPath) {
        const rel = dir === "." ? p : p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : undefined;
        if (rel !== undefined && TF_VARIABLES.test(rel) && isUnknown(out[i]!)) {
          out[i] = relabel(out[i]!, "tf-variables", node.path);
        }
      }
    }
  }
  return out;
}
