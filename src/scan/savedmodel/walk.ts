/**
 * Walks a TensorFlow SavedModel protobuf (`saved_model.pb`, threat T1) for the ops its graphs and
 * functions run. Only the fields needed are decoded; field numbers are facts from
 * tensorflow/core/protobuf/saved_model.proto, meta_graph.proto, framework/graph.proto,
 * node_def.proto, function.proto and op_def.proto:
 *
 *   SavedModel        1 saved_model_schema_version, 2 meta_graphs (MetaGraphDef)
 *   MetaGraphDef      1 meta_info_def (MetaInfoDef), 2 graph_def (GraphDef), 5 signature_def (map),
 *                     6 asset_file_def (AssetFileDef: 2 filename)
 *   MetaInfoDef       4 tags, 5 tensorflow_version
 *   GraphDef          1 node (NodeDef), 2 library (FunctionDefLibrary)
 *   NodeDef           1 name, 2 op
 *   FunctionDefLibrary 1 function (FunctionDef)
 *   FunctionDef       1 signature (OpDef: 1 name), 3 node_def (NodeDef)
 *   map entries       1 key, 2 value
 */
import { ScanError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import { checkExternalLocation } from "../onnx/external-data.js";
import { ProtoError, type ProtoField, type ProtoWindow, WIRE_LEN } from "../protobuf/wire.js";
import { classifyTensorflowOp } from "./ops.js";

const MAX_NODES = 5_000_000;
const MAX_FINDINGS = 50;
const MAX_LISTED = 50;

export interface SavedModelSummary {
  metaGraphs: number;
  tags: string[][];
  tensorflowVersion?: string;
  signatures: string[];
  nodes: number;
  functions: number;
  /** Distinct op types used, up to MAX_LISTED. */
  ops: string[];
  distinctOps: number;
  /** Asset file names (relative to the SavedModel's assets/ folder). */
  assets: string[];
  /** File-touching ops that are normal in a SavedModel (checkpoint save/restore), listed only. */
  checkpointOps: string[];
}

export interface SavedModelWalkResult {
  summary: SavedModelSummary;
  findings: Finding[];
}

class Walk {
  readonly findings: Finding[] = [];
  readonly ops = new Map<string, string>(); // op -> first place seen
  readonly flagged = new Set<string>();
  readonly summary: SavedModelSummary = {
    metaGraphs: 0,
    tags: [],
    signatures: [],
    nodes: 0,
    functions: 0,
    ops: [],
    distinctOps: 0,
    checkpointOps: [],
    assets: [],
  };
}

function sub(f: ProtoField, what: string): ProtoWindow {
  if (f.wireType !== WIRE_LEN)
    throw new ProtoError(`${what} has wire type ${f.wireType}`, f.offset);
  return f.window!;
}

export function walkSavedModel(model: ProtoWindow): SavedModelWalkResult {
  const w = new Walk();
  try {
    for (const f of model.fields()) {
      if (f.field === 2) walkMetaGraph(w, sub(f, "meta_graphs"));
    }
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    w.findings.push(
      finding(
        error.code === "SCAN_BUDGET" ? "BUDGET_EXCEEDED" : "SAVEDMODEL_INVALID",
        "unscannable",
        `The SavedModel could not be read to the end: ${error.message}.`,
        error.offset === undefined ? {} : { offset: error.offset },
      ),
    );
  }
  const ops = [...w.ops.keys()].sort();
  w.summary.distinctOps = ops.length;
  w.summary.ops = ops.slice(0, MAX_LISTED);
  w.summary.checkpointOps = ops.filter((op) => classifyTensorflowOp(op)?.kind === "checkpoint");
  return { summary: w.summary, findings: w.findings };
}

function walkMetaGraph(w: Walk, win: ProtoWindow): void {
  w.summary.metaGraphs++;
  const index = w.summary.metaGraphs - 1;
  for (const f of win.fields()) {
    switch (f.field) {
      case 1: {
        const tags: string[] = [];
        for (const g of sub(f, "meta_info_def").fields()) {
          if (g.field === 4) tags.push(sub(g, "tag").text(200));
          else if (g.field === 5)
            w.summary.tensorflowVersion = sub(g, "tensorflow_version").text(64);
        }
        w.summary.tags.push(tags);
        break;
      }
      case 2:
        walkGraphDef(w, sub(f, "graph_def"), `meta_graphs[${index}]`);
        break;
      case 5:
        for (const g of sub(f, "signature_def").fields()) {
          if (g.field === 1 && w.summary.signatures.length < MAX_LISTED)
            w.summary.signatures.push(sub(g, "signature key").text(200));
        }
        break;
      case 6:
        walkAssetFileDef(w, sub(f, "asset_file_def"));
        break;
      default:
        break;
    }
  }
}

/**
 * AssetFileDef (meta_graph.proto: 1 tensor_info, 2 filename). TensorFlow joins the filename to the
 * SavedModel's `assets/` folder and feeds the path to the graph (vocabulary tables and the like),
 * so a filename that climbs out of that folder makes the graph read any file: malicious, as O1.
 */
function walkAssetFileDef(w: Walk, win: ProtoWindow): void {
  for (const f of win.fields()) {
    if (f.field !== 2) continue;
    const filename = sub(f, "asset filename").text(4096);
    w.summary.assets.push(filename.slice(0, 200));
    const problem = checkExternalLocation(filename);
    if (problem && w.findings.length < MAX_FINDINGS) {
      w.findings.push(
        finding(
          "PATH_ESCAPE",
          "malicious",
          `SavedModel asset ${JSON.stringify(filename.slice(0, 200))} escapes the assets folder: ${problem}.`,
          { offset: f.offset, evidence: { asset: filename.slice(0, 500) } },
        ),
      );
    }
  }
}

function walkGraphDef(w: Walk, win: ProtoWindow, where: string): void {
  for (const f of win.fields()) {
    if (f.field === 1) walkNodeDef(w, sub(f, "node"), `${where}.graph`);
    else if (f.field === 2) {
      for (const g of sub(f, "library").fields()) {
        if (g.field === 1) walkFunctionDef(w, sub(g, "function"), where);
      }
    }
  }
}

function walkFunctionDef(w: Walk, win: ProtoWindow, where: string): void {
  w.summary.functions++;
  let name = "";
  const nodes: ProtoWindow[] = [];
  for (const f of win.fields()) {
    if (f.field === 1) {
      for (const g of sub(f, "signature").fields()) {
        if (g.field === 1) name = sub(g, "function name").text(300);
      }
    } else if (f.field === 3) nodes.push(sub(f, "node_def"));
  }
  for (const node of nodes) walkNodeDef(w, node, `${where}.function ${name}`);
}

function walkNodeDef(w: Walk, win: ProtoWindow, where: string): void {
  w.summary.nodes++;
  if (w.summary.nodes > MAX_NODES)
    throw new ScanError("SCAN_BUDGET", `more than ${MAX_NODES} nodes`, { offset: win.base });
  let name = "";
  let op = "";
  for (const f of win.fields()) {
    if (f.field === 1) name = sub(f, "node name").text(300);
    else if (f.field === 2) op = sub(f, "op").text(300);
  }
  if (!w.ops.has(op)) w.ops.set(op, where);
  const rule = classifyTensorflowOp(op);
  if (!rule || rule.kind === "checkpoint") return;
  const key = `${op}\u0000${where}`;
  if (w.flagged.has(key) || w.findings.length >= MAX_FINDINGS) return;
  w.flagged.add(key);
  w.findings.push(
    finding(
      "SAVEDMODEL_DANGEROUS_OP",
      rule.verdict,
      `SavedModel op ${op} (node ${JSON.stringify(name)} in ${where}) ${rule.why}.`,
      { offset: win.base, evidence: { op, node: name, where } },
    ),
  );
}
