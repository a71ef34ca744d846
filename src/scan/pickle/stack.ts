/**
 * The unpickler's stack, mark stack and memo, symbolically: values are PickleValues (see
 * types.ts and values.ts), and the stack and mark depth and the memo size are bounded by the
 * Budget. Contents of tuples and dicts are kept only while small (KEEP_ITEMS items, KEEP_DICT_ENTRIES entries) and while the walk
 * has retained fewer than RETAIN_CAP items in all.
 */

import { LineReader } from "./line-reader.js";
import { PickleMemo } from "./memo.js";
import type { WalkConfig } from "./reader.js";
import { type PickleValue, type SymbolicDict, SymbolicGlobal, SymbolicTuple } from "./types.js";

/** Tuple items and dict entries kept across one walk (beyond this, contents are dropped). */
const RETAIN_CAP = 1 << 22;
/**
 * Entries kept per dict. Larger than KEEP_ITEMS (tuples): a state dict whose values a rule reads
 * (a LightGBM Booster's, about 20 keys: lightgbm-state.ts) must be known in full.
 */
const KEEP_DICT_ENTRIES = 256;

export abstract class SymbolicStack extends LineReader {
  stack: PickleValue[] = [];
  /** Stack lengths at each MARK; `fence` is the topmost (what pop may not go below). */
  marks: number[] = [];
  fence = 0;
  /** The memo (see memo.ts). */
  readonly memo: PickleMemo;
  retained = 0;
  readonly maxStack: number;
  /** Stack entries left before the stack budget: maxStack less the marks (both count). */
  room: number;

  constructor(cfg: WalkConfig, start: number) {
    super(cfg, start);
    this.maxStack = cfg.budget.limits.maxPickleStack;
    this.room = this.maxStack;
    this.memo = new PickleMemo(cfg.budget.limits.maxPickleMemo, this);
  }

  /** Hands the memo's arrays back for the next walk. The walker is not used afterwards. */
  release(): void {
    this.memo.release();
  }

  /** MARK */
  protected pushMark(): void {
    if (this.stack.length >= this.room) {
      this.budgetHit(`MARKs nest deeper than ${this.maxStack} at offset ${this.opStart}`);
    }
    this.marks.push(this.stack.length);
    this.room--;
    this.fence = this.stack.length;
  }

  // push, pop and top are kept tiny (messages built elsewhere) so the JIT inlines them into the
  // dispatch loop whatever else it inlines there.
  protected push(v: PickleValue): void {
    if (this.stack.length >= this.room) this.stackFull();
    this.stack.push(v);
  }

  private stackFull(): never {
    this.budgetHit(`The pickle stack grew past ${this.maxStack} entries at offset ${this.opStart}`);
  }

  protected pop(): PickleValue {
    if (this.stack.length <= this.fence) this.underflow();
    return this.stack.pop() as PickleValue;
  }

  protected top(): PickleValue {
    if (this.stack.length <= this.fence) this.underflow();
    return this.stack[this.stack.length - 1] as PickleValue;
  }

  private underflow(): never {
    this.malformed("unpickling stack underflow");
  }

  /** Removes the topmost mark; returns the stack length it recorded. */
  protected popMark(): number {
    const m = this.marks.pop();
    if (m === undefined) this.malformed("could not find MARK");
    this.room++;
    this.fence = this.marks.length > 0 ? (this.marks[this.marks.length - 1] as number) : 0;
    return m;
  }

  protected popMarkItems(): PickleValue[] {
    const m = this.popMark();
    const stack = this.stack;
    const n = stack.length - m;
    if (n > 16) return stack.splice(m);
    const items = new Array<PickleValue>(n);
    for (let k = n - 1; k >= 0; k--) items[k] = stack.pop() as PickleValue;
    return items;
  }

  protected popMarkDiscard(): number {
    const m = this.popMark();
    const stack = this.stack;
    const n = stack.length - m;
    if (n <= 16) for (let k = 0; k < n; k++) stack.pop();
    else stack.length = m;
    return n;
  }

  protected retain(n: number): boolean {
    if (this.retained + n > RETAIN_CAP) return false;
    this.retained += n;
    return true;
  }

  protected tuple(items: PickleValue[]): SymbolicTuple {
    return this.retain(items.length)
      ? new SymbolicTuple(items, items.length)
      : new SymbolicTuple(undefined, items.length);
  }

  protected addEntries(d: SymbolicDict, items: PickleValue[]): void {
    if (d.entries === undefined) return;
    if (d.entries.length + items.length / 2 > KEEP_DICT_ENTRIES || !this.retain(items.length)) {
      d.entries = undefined;
      return;
    }
    for (let i = 0; i + 1 < items.length; i += 2)
      d.entries.push([items[i] as PickleValue, items[i + 1] as PickleValue]);
  }

  protected memoGet(index: number): void {
    const v = this.memo.get(index);
    if (v === undefined) this.malformed(`memo value not found at index ${index}`);
    if (v instanceof SymbolicGlobal) v.references++;
    this.push(v);
  }
}
