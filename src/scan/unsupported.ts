import { finding } from "../core/finding.js";
import { makeNode } from "../core/report.js";
import type { Scanner } from "./context.js";

/** Plain data that no loader executes: nothing to find. */
export const scanInert: Scanner = async (source, ctx, detection) =>
  makeNode({ path: ctx.path, format: detection.format, size: source.size, findings: [] });

/** A format modelvet recognises but cannot read yet: fail closed, say why. */
export function unsupported(reason: string): Scanner {
  return async (source, ctx, detection) =>
    makeNode({
      path: ctx.path,
      format: detection.format,
      size: source.size,
      findings: [
        finding(
          "UNSCANNABLE",
          "unscannable",
          `${detection.format} files are not scanned: ${reason}`,
        ),
      ],
    });
}
