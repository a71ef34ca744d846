/**
 * The fail-closed boundary: detect the format, run its scanner, and turn anything thrown into an
 * `unscannable` node. No exception path ends in `clean`.
 */
import { describeError, ScanError } from "../core/errors.js";
import { finding } from "../core/finding.js";
import { makeNode, type ScanNode } from "../core/report.js";
import { Budget } from "./budget.js";
import type { Detection, ScanContext } from "./context.js";
import { detectFormat } from "./detect.js";
import type { ScanPolicy } from "./policy.js";
import { SCANNERS } from "./registry.js";
import type { ByteSource } from "./source.js";
import { isProgramMember } from "./torch-export/program.js";

export interface ScanSourceOptions {
  policy: ScanPolicy;
  path: string;
  budget?: Budget;
  depth?: number;
}

export async function scanSource(
  source: ByteSource,
  options: ScanSourceOptions,
): Promise<ScanNode> {
  const budget = options.budget ?? new Budget();
  const depth = options.depth ?? 0;
  let format = "unknown";
  try {
    // A torch.export program member is read as JSON by its loader, whatever its bytes look like.
    const detection: Detection = isProgramMember(options.path, depth)
      ? { format: "json" }
      : detectFormat(source);
    format = detection.format;
    const ctx: ScanContext = {
      policy: options.policy,
      budget,
      depth,
      path: options.path,
      scanChild: (child, name) => scanChildSource(child, name, { ...options, budget, depth }),
    };
    return await SCANNERS[detection.format](source, ctx, detection);
  } catch (error) {
    const budgetHit = error instanceof ScanError && error.code === "SCAN_BUDGET";
    const offset = error instanceof ScanError ? error.offset : undefined;
    return makeNode({
      path: options.path,
      format,
      size: source.size,
      findings: [
        finding(
          budgetHit ? "BUDGET_EXCEEDED" : "UNSCANNABLE",
          "unscannable",
          `Could not finish scanning: ${describeError(error)}`,
          offset === undefined ? {} : { offset },
        ),
      ],
    });
  }
}

async function scanChildSource(
  source: ByteSource,
  name: string,
  parent: Required<Omit<ScanSourceOptions, "path">>,
): Promise<ScanNode> {
  const depth = parent.depth + 1;
  if (depth > parent.budget.limits.maxDepth) {
    return makeNode({
      path: name,
      format: "unknown",
      size: source.size,
      findings: [
        finding(
          "BUDGET_EXCEEDED",
          "unscannable",
          `Containers are nested more than ${parent.budget.limits.maxDepth} deep; the inner member was not scanned.`,
        ),
      ],
    });
  }
  if (!parent.budget.chargeMember()) {
    throw new ScanError(
      "SCAN_BUDGET",
      `more than ${parent.budget.limits.maxMembers} members in one file`,
    );
  }
  return scanSource(source, { ...parent, path: name, depth });
}
