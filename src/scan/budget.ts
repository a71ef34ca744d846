/**
 * Scan budgets. Every limit is bounded; exceeding one is a finding (BUDGET_EXCEEDED), never a hang
 * or an out-of-memory crash. One Budget object is shared by a file and everything nested in it.
 */

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
