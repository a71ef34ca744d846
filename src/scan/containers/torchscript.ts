/**
 * TorchScript `code/` members. torch.jit.load compiles them with TorchScript's own compiler and
 * runs them in its interpreter: there is no `import`, no `eval`, no `os`; what the code can reach
 * is the registered operator set (`torch.ops.<namespace>.<op>`). Calls into the built-in namespaces
 * are normal model code. So the file is listed (the archive carries a TORCHSCRIPT_CODE note) and
 * only two things raise it to suspicious: an operator that reads files (`aten::from_file`) and an
 * operator namespace outside the built-in ones (a custom op comes from a native library the model
 * expects to be loaded). This is a token check over generated code, not a full TorchScript parse.
 */
import { type Finding, finding } from "../../core/finding.js";
import { makeNode, type ScanNode } from "../../core/report.js";
import type { ScanContext } from "../context.js";
import type { ByteSource } from "../source.js";

const BUILTIN_OP_NAMESPACES = new Set([
  "aten",
  "prim",
  "quantized",
  "_quantized",
  "prepacked",
  "_caffe2",
  "profiler",
  "_nnapi",
  "xnnpack",
  "mkldnn",
  "mkldnn_prepacked",
  "cuda",
  "quantized_decomposed",
]);

const MAX_CODE_BYTES = 16 * 1024 * 1024;

export function scanTorchScriptCode(source: ByteSource, name: string, ctx: ScanContext): ScanNode {
  const findings: Finding[] = [];
  const limit = Math.min(MAX_CODE_BYTES, ctx.budget.limits.maxInMemoryBytes);
  if (source.size > limit) {
    findings.push(
      finding(
        "BUDGET_EXCEEDED",
        "unscannable",
        `TorchScript source larger than ${limit} bytes; not read.`,
      ),
    );
    return makeNode({ path: name, format: "torchscript-code", size: source.size, findings });
  }
  const text = new TextDecoder("utf-8").decode(source.read(0, source.size));
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (/\bfrom_file\b/.test(line)) {
      findings.push(
        finding(
          "TORCHSCRIPT_CODE",
          "suspicious",
          "TorchScript code calls an operator that reads files (from_file).",
          {
            line: i + 1,
          },
        ),
      );
    }
    for (const m of line.matchAll(/\bops\.([A-Za-z_][A-Za-z0-9_]*)\./g)) {
      const ns = m[1] ?? "";
      if (!BUILTIN_OP_NAMESPACES.has(ns)) {
        findings.push(
          finding(
            "TORCHSCRIPT_CODE",
            "suspicious",
            `TorchScript code calls a custom operator namespace "${ns}" (native code the loader must have loaded).`,
            { line: i + 1, evidence: { namespace: ns } },
          ),
        );
      }
    }
  });
  return makeNode({
    path: name,
    format: "torchscript-code",
    size: source.size,
    findings,
    summary: { lines: lines.length },
  });
}
