/**
 * Walks an ONNX ModelProto (threat O1) without reading tensor bytes: nodes and their operator
 * domains, initializers and their external-data locations, subgraphs in node attributes (If, Loop,
 * Scan and any other graph-valued attribute), model-local functions and training graphs.
 *
 * Field numbers are facts from onnx/onnx.proto (IR version 10/11).
 */

import { ScanError } from "../../core/errors.js";
import { type Finding, finding } from "../../core/finding.js";
import {
  ProtoError,
  type ProtoField,
  type ProtoWindow,
  WIRE_LEN,
  WIRE_VARINT,
} from "../protobuf/wire.js";
import { checkExternalLocation } from "./external-data.js";

/**
 * Operator domains whose kernels ship with the ONNX runtimes themselves. Everything else needs a
 * custom-op library registered by the user, i.e. native code from outside the model: suspicious.
 * - "" and "ai.onnx": the ONNX default operator set; "ai.onnx.ml": ONNX-ML;
 *   "ai.onnx.training" / "ai.onnx.preview.training": ONNX's own training operators.
 * - "com.microsoft": ONNX Runtime's contrib operators, compiled into every ORT build and emitted
 *   by its own optimizers and quantizers (e.g. QLinear*, Attention), so ordinary exports carry it.
 * Not included on purpose: "org.pytorch.aten" (ATen fallback, reaches PyTorch ops by name) and
 * ORT-internal layout domains (com.microsoft.nchwc, com.ms.internal.nhwc), which a shipped model
 * should not contain; they surface as findings for a human to look at.
 */
export const STANDARD_ONNX_DOMAINS: ReadonlySet<string> = new Set([
  "",
  "ai.onnx",
  "ai.onnx.ml",
  "ai.onnx.training",
  "ai.onnx.preview.training",
  "com.microsoft",
]);

const MAX_GRAPH_DEPTH = 32;
const MAX_NODES = 5_000_000;
const MAX_FINDINGS = 50;

export interface OnnxSummary {
  irVersion?: number;
  producer?: string;
  opsetImports: Array<{ domain: string; version: number }>;
  nodes: number;
  initializers: number;
  subgraphs: number;
  functions: number;
  externalDataFiles: string[];
  customDomains: Record<string, string[]>;
}

export interface OnnxWalkResult {
  summary: OnnxSummary;
  findings: Finding[];
}

/** State shared by the whole walk. */
class Walk {
  readonly findings: Finding[] = [];
  readonly summary: OnnxSummary = {
    opsetImports: [],
    nodes: 0,
    initializers: 0,
    subgraphs: 0,
    functions: 0,
    externalDataFiles: [],
    customDomains: {},
  };
  /** (domain, op) pairs used by nodes, with where they were first seen. */
  readonly usedOps = new Map<string, { domain: string; op: string; where: string }>();
  /** `domain\0name` of model-local functions: nodes calling them run no native code. */
  readonly localFunctions = new Set<string>();
  readonly externalFiles = new Set<string>();

  add(f: Finding): void {
    if (this.findings.length < MAX_FINDINGS) this.findings.push(f);
  }
}

function expectWire(f: ProtoField, wire: number, what: string): void {
  if (f.wireType !== wire) throw new ProtoError(`${what} has wire type ${f.wireType}`, f.offset);
}

function text(f: ProtoField, what: string, max = 4096): string {
  expectWire(f, WIRE_LEN, what);
  return f.window!.text(max);
}

function sub(f: ProtoField, what: string): ProtoWindow {
  expectWire(f, WIRE_LEN, what);
  return f.window!;
}

export function walkOnnxModel(model: ProtoWindow): OnnxWalkResult {
  const w = new Walk();
  try {
    for (const f of model.fields()) {
      switch (f.field) {
        case 1:
          expectWire(f, WIRE_VARINT, "ir_version");
          w.summary.irVersion = Number(f.value);
          break;
        case 2:
          w.summary.producer = text(f, "producer_name", 200);
          break;
        case 7:
          walkGraph(w, sub(f, "graph"), "graph", 0);
          break;
        case 8:
          w.summary.opsetImports.push(readOpset(sub(f, "opset_import")));
          break;
        case 20:
          walkTrainingInfo(w, sub(f, "training_info"));
          break;
        case 25:
          walkFunction(w, sub(f, "functions"));
          break;
        default:
          break; // doc strings, metadata, versions: inert
      }
    }
  } catch (error) {
    if (!(error instanceof ScanError)) throw error;
    w.add(
      finding(
        error.code === "SCAN_BUDGET" ? "BUDGET_EXCEEDED" : "ONNX_INVALID",
        "unscannable",
        `The ONNX model could not be read to the end: ${error.message}.`,
        error.offset === undefined ? {} : { offset: error.offset },
      ),
    );
  }
  reportCustomDomains(w);
  w.summary.externalDataFiles = [...w.externalFiles].sort();
  return { summary: w.summary, findings: w.findings };
}

function readOpset(win: ProtoWindow): { domain: string; version: number } {
  let domain = "";
  let version = 0;
  for (const f of win.fields()) {
    if (f.field === 1) domain = text(f, "opset domain", 512);
    else if (f.field === 2) {
      expectWire(f, WIRE_VARINT, "opset version");
      version = Number(f.value);
    }
  }
  return { domain, version };
}

function walkTrainingInfo(w: Walk, win: ProtoWindow): void {
  for (const f of win.fields()) {
    if (f.field === 1)
      walkGraph(w, sub(f, "training initialization"), "training.initialization", 1);
    else if (f.field === 2) walkGraph(w, sub(f, "training algorithm"), "training.algorithm", 1);
  }
}

function walkFunction(w: Walk, win: ProtoWindow): void {
  w.summary.functions++;
  let name = "";
  let domain = "";
  const nodes: ProtoWindow[] = [];
  for (const f of win.fields()) {
    if (f.field === 1) name = text(f, "function name", 512);
    else if (f.field === 10) domain = text(f, "function domain", 512);
    else if (f.field === 7) nodes.push(sub(f, "function node"));
  }
  w.localFunctions.add(`${domain}\u0000${name}`);
  const where = `function ${domain ? `${domain}.` : ""}${name}`;
  for (const node of nodes) walkNode(w, node, where, 1);
}

function walkGraph(w: Walk, win: ProtoWindow, where: string, depth: number): void {
  if (depth > MAX_GRAPH_DEPTH)
    throw new ScanError("SCAN_BUDGET", `subgraphs nested deeper than ${MAX_GRAPH_DEPTH}`, {
      offset: win.base,
    });
  if (depth > 0) w.summary.subgraphs++;
  for (const f of win.fields()) {
    switch (f.field) {
      case 1:
        walkNode(w, sub(f, "node"), where, depth);
        break;
      case 5:
        if (depth === 0) w.summary.initializers++;
        walkTensor(w, sub(f, "initializer"), where);
        break;
      case 15:
        if (depth === 0) w.summary.initializers++;
        walkSparseTensor(w, sub(f, "sparse_initializer"), where);
        break;
      default:
        break;
    }
  }
}

function walkNode(w: Walk, win: ProtoWindow, where: string, depth: number): void {
  w.summary.nodes++;
  if (w.summary.nodes > MAX_NODES)
    throw new ScanError("SCAN_BUDGET", `more than ${MAX_NODES} nodes`, { offset: win.base });
  let op = "";
  let domain = "";
  const attributes: ProtoWindow[] = [];
  for (const f of win.fields()) {
    if (f.field === 4) op = text(f, "op_type", 512);
    else if (f.field === 7) domain = text(f, "node domain", 512);
    else if (f.field === 5) attributes.push(sub(f, "attribute"));
  }
  const key = `${domain}\u0000${op}`;
  if (!w.usedOps.has(key)) w.usedOps.set(key, { domain, op, where });
  for (const attr of attributes) walkAttribute(w, attr, `${where} > ${op || "node"}`, depth);
}

function walkAttribute(w: Walk, win: ProtoWindow, where: string, depth: number): void {
  for (const f of win.fields()) {
    switch (f.field) {
      case 5: // t
      case 10: // tensors
        walkTensor(w, sub(f, "attribute tensor"), where);
        break;
      case 6: // g
      case 11: // graphs
        walkGraph(w, sub(f, "attribute graph"), where, depth + 1);
        break;
      case 22: // sparse_tensor
      case 23: // sparse_tensors
        walkSparseTensor(w, sub(f, "attribute sparse tensor"), where);
        break;
      default:
        break;
    }
  }
}

function walkSparseTensor(w: Walk, win: ProtoWindow, where: string): void {
  for (const f of win.fields()) {
    if (f.field === 1 || f.field === 2) walkTensor(w, sub(f, "sparse tensor part"), where);
  }
}

function walkTensor(w: Walk, win: ProtoWindow, where: string): void {
  let name = "";
  let dataLocation = 0n;
  const entries: Array<{ key: string; value: string; offset: number }> = [];
  for (const f of win.fields()) {
    if (f.field === 8) name = text(f, "tensor name", 512);
    else if (f.field === 14) {
      expectWire(f, WIRE_VARINT, "data_location");
      dataLocation = f.value;
    } else if (f.field === 13) {
      let key = "";
      let value = "";
      for (const e of sub(f, "external_data").fields()) {
        if (e.field === 1) key = text(e, "external_data key", 256);
        else if (e.field === 2) value = text(e, "external_data value", 4096);
      }
      entries.push({ key, value, offset: f.offset });
    }
  }
  const label = `tensor ${JSON.stringify(name)} in ${where}`;
  const locations = entries.filter((e) => e.key === "location");
  if (dataLocation === 1n && locations.length === 0) {
    w.add(
      finding(
        "ONNX_INVALID",
        "unscannable",
        `ONNX ${label} says its data is external but names no location.`,
        { offset: win.base },
      ),
    );
  }
  if (locations.length > 1) {
    w.add(
      finding(
        "ONNX_INVALID",
        "unscannable",
        `ONNX ${label} has ${locations.length} external-data locations; readers may pick different ones.`,
        { offset: win.base },
      ),
    );
  }
  // Every location is checked, even when data_location does not say EXTERNAL: we do not bet on
  // which reader honours which field.
  for (const loc of locations) {
    const problem = checkExternalLocation(loc.value);
    if (problem) {
      w.add(
        finding(
          "ONNX_EXTERNAL_DATA_ESCAPE",
          "malicious",
          `ONNX ${label} reads external data from ${JSON.stringify(loc.value.slice(0, 200))}: ${problem}.`,
          { offset: loc.offset, evidence: { location: loc.value.slice(0, 500), tensor: name } },
        ),
      );
    } else {
      w.externalFiles.add(loc.value);
    }
  }
}

function reportCustomDomains(w: Walk): void {
  const byDomain = new Map<string, { ops: Set<string>; where: string }>();
  for (const { domain, op, where } of w.usedOps.values()) {
    if (STANDARD_ONNX_DOMAINS.has(domain)) continue;
    if (w.localFunctions.has(`${domain}\u0000${op}`)) continue; // expanded from the model itself
    const entry = byDomain.get(domain) ?? { ops: new Set<string>(), where };
    entry.ops.add(op);
    byDomain.set(domain, entry);
  }
  for (const [domain, { ops, where }] of byDomain) {
    const list = [...ops].sort();
    w.summary.customDomains[domain] = list;
    w.add(
      finding(
        "ONNX_CUSTOM_DOMAIN",
        "suspicious",
        `ONNX operators from the custom domain ${JSON.stringify(domain)} (${list.slice(0, 10).join(", ")}) need a native custom-op library to run (first seen in ${where}).`,
        { evidence: { domain, ops: list.slice(0, 100) } },
      ),
    );
  }
}
