/**
 * Scan budgets. Every limit is bounded; exceeding one is a finding (BUDGET_EXCEEDED), never a hang
 * or an out-of-memory crash. One Budget object is shared by a file and everything nested in it.
 */
import { finding } from "../core/finding.js";
import { makeNode, type ScanNode } from "../core/report.js";

export interface BudgetLimits {
  /** Total bytes produced by decompression across one top-level file. */
  maxDecompressedBytes: number;
  /** Ratio of decompressed to compressed size for one member before it counts as a bomb. */
  maxCompressionRatio: number;
  /** Containers inside containers. */
  maxDepth: number;
  /** Members across one top-level file. */
  maxMembers: number;
  /** Pickle opcodes per pickle stream. */
  maxPickleOpcodes: number;
  /** Pickle stack depth (MARK nesting included). */
  maxPickleStack: number;
  /** Pickle memo entries. */
  maxPickleMemo: number;
  /** Largest constant kept in memory; larger ones are skipped, not held. */
  maxPickleConstant: number;
  /** Nested pickles (P13) followed to this depth. */
  maxNestedPickleDepth: number;
  /** Largest in-memory read of a member or text/JSON file. */
  maxInMemoryBytes: number;
}

export const DEFAULT_LIMITS: BudgetLimits = {
  maxDecompressedBytes: 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  maxDepth: 4,
  maxMembers: 10_000,
  maxPickleOpcodes: 50_000_000,
  maxPickleStack: 100_000,
  maxPickleMemo: 10_000_000,
  maxPickleConstant: 16 * 1024 * 1024,
  maxNestedPickleDepth: 3,
  maxInMemoryBytes: 256 * 1024 * 1024,
};

export class Budget {
  readonly limits: BudgetLimits;
  decompressedBytes = 0;
  members = 0;

  constructor(limits: Partial<BudgetLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Charge decompressed bytes; returns false when the budget is exhausted. */
  chargeDecompressed(bytes: number): boolean {
    this.decompressedBytes += bytes;
    return this.decompressedBytes <= this.limits.maxDecompressedBytes;
  }

  /** Charge one member; returns false when the budget is exhausted. */
  chargeMember(): boolean {
    this.members += 1;
    return this.members <= this.limits.maxMembers;
  }
}

/**
 * For scanners that read a file whole (text, JSON, LightGBM model text, TFLite): past `limit` the
 * file is unscannable, never skipped. `kind` names what was too large in the message.
 */
export function overMemoryBudget(
  size: number,
  limit: number,
  base: { path: string; format: string; size: number },
  kind: string,
): ScanNode | undefined {
  if (size <= limit) return undefined;
  return makeNode({
    ...base,
    findings: [
      finding(
        "BUDGET_EXCEEDED",
        "unscannable",
        `The ${kind} file is ${size} bytes; ${kind} is read in memory and the limit is ${limit} bytes.`,
        { expected: limit, actual: size },
      ),
    ],
  });
}
