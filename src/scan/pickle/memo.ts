/**
 * The unpickler's memo (a dict keyed by int in CPython). Pickles number it densely (MEMOIZE uses
 * len(memo)), so the dense part is kept as plain numbers in typed arrays: a kind and a value per
 * slot (see MEMO_*; a zero kind is a hole); indices far past the end go to a Map. Millions of
 * memoized keys and tuples held as heap objects otherwise make the walk mostly garbage-collector
 * work; short strings and small plain tuples are packed into arenas and rebuilt, equal, on GET.
 * Undecoded ASCII str constants (SymbolicStr) take no arena space: their place in the source is
 * the packed value.
 */
import { Halt } from "./halt.js";
import type { PickleValue, StrBytes } from "./types.js";
import { SymbolicStr, SymbolicTuple } from "./types.js";
import { KEEP_ITEMS, SHARED, SharedOpaque } from "./values.js";

const EMPTY_U8 = new Uint8Array(0);
const EMPTY_U16 = new Uint16Array(0);
const EMPTY_F64 = new Float64Array(0);
/**
 * Memo slot kinds. A fresh (zeroed) slot is a hole. OBJ slots name an entry of `objs`; STR and
 * TUPLE slots a position in the string / tuple arena; NUM slots hold the number itself; SRC slots
 * a SymbolicStr's place in the source (see packSrc); SHARED slots the index of a shared marker.
 */
const MEMO_HOLE = 0;
const MEMO_OBJ = 1;
const MEMO_STR = 2;
const MEMO_TUPLE = 3;
const MEMO_NUM = 4;
const MEMO_NONE = 5;
const MEMO_TRUE = 6;
const MEMO_FALSE = 7;
const MEMO_SRC = 8;
const MEMO_SHARED = 9;
/** Item kinds inside a packed tuple. */
const ITEM_NUMBER = 0;
const ITEM_NONE = 1;
const ITEM_TRUE = 2;
const ITEM_FALSE = 3;
const ITEM_STR = 4;
const ITEM_SHARED = 5;
const ITEM_SRC = 6;
/**
 * A SymbolicStr packed as one number: start × SRC_SCALE + length (its length is at most 4096, and
 * starts below 2^40 keep the result an exact double); others are kept by reference.
 */
const SRC_SCALE = 8192;
const SRC_LIMIT = 2 ** 40;

function packSrc(s: SymbolicStr): number {
  return s.start < SRC_LIMIT && s.length < SRC_SCALE ? s.start * SRC_SCALE + s.length : -1;
}
/** Strings and tuples in memo slots below this index are kept by reference (cheaper for small memos). */
const PACK_FROM = 256;
/** Strings up to this many UTF-16 units are packed into the memo's arena. */
const INLINE_STR = 64;
/**
 * Arena caps (32 MiB each, plus 4 MiB of tuple item kinds). Overwritten slots leave their old bytes behind, so the caps also bound
 * what a stream of repeated PUTs can pile up; past them, values are kept by reference as before.
 */
const CHARS_CAP = 1 << 24;
const TUPLES_CAP = 1 << 22;
/** Small memo arrays kept for reuse between walks (nested walks each take their own). */
interface MemoArrays {
  kind: Uint8Array;
  val: Float64Array;
  chars: Uint16Array;
  tuples: Float64Array;
  tupleKinds: Uint8Array;
}
const MEMO_POOL: MemoArrays[] = [];
const POOL_SIZE = 4;
const POOL_SLOTS = 4096;
const POOL_CHARS = 1 << 16;
const POOL_TUPLES = 1 << 13;

export class PickleMemo {
  /** Dense slots in use (the highest dense index + 1). */
  len = 0;
  kinds: Uint8Array = EMPTY_U8;
  vals: Float64Array = EMPTY_F64;
  /** Values kept by reference (objects, bigints, long strings); freed entries are reused. */
  objs: PickleValue[] = [];
  free: number[] = [];
  /** Memoized short strings: [length, UTF-16 code units…] per entry. */
  chars: Uint16Array = EMPTY_U16;
  charsLen = 0;
  /**
   * Memoized small tuples: [length, item value…] per entry in `tuples`, and each item's kind at
   * the same position in `tupleKinds` (9 bytes an item rather than 16).
   */
  tuples: Float64Array = EMPTY_F64;
  tupleKinds: Uint8Array = EMPTY_U8;
  tuplesLen = 0;
  sparse: Map<number, { value: PickleValue }> | undefined = undefined;
  /** Entries stored (dense and sparse), as len(memo) in CPython. */
  count = 0;

  /**
   * @param maxMemo entries before the budget runs out
   * @param strs where SymbolicStr values of this walk are read back from
   */
  constructor(
    readonly maxMemo: number,
    private readonly strs: StrBytes,
  ) {
    const pooled = MEMO_POOL.pop();
    if (pooled !== undefined) {
      this.kinds = pooled.kind;
      this.vals = pooled.val;
      this.chars = pooled.chars;
      this.tuples = pooled.tuples;
      this.tupleKinds = pooled.tupleKinds;
    }
  }

  /**
   * Hands the memo's arrays back for the next walk when they are small (allocating typed arrays
   * dominates the cost of walking a small pickle). The walker is not used afterwards.
   */
  release(): void {
    const kind = this.kinds;
    if (
      MEMO_POOL.length < POOL_SIZE &&
      kind.length > 0 &&
      kind.length <= POOL_SLOTS &&
      this.chars.length <= POOL_CHARS &&
      this.tuples.length <= POOL_TUPLES
    ) {
      kind.fill(MEMO_HOLE, 0, this.len);
      MEMO_POOL.push({
        kind,
        val: this.vals,
        chars: this.chars,
        tuples: this.tuples,
        tupleKinds: this.tupleKinds,
      });
    }
    this.kinds = EMPTY_U8;
    this.vals = EMPTY_F64;
    this.chars = EMPTY_U16;
    this.tuples = EMPTY_F64;
    this.tupleKinds = EMPTY_U8;
    this.len = 0;
    this.charsLen = 0;
    this.tuplesLen = 0;
  }

  /** PUT / BINPUT / LONG_BINPUT / MEMOIZE; `offset` names the opcode when the budget runs out. */
  put(index: number, value: PickleValue, offset: number): void {
    if (index < this.len) {
      if (this.kinds[index] === MEMO_HOLE) this.memoAdd(offset);
      this.memoStore(index, value);
      return;
    }
    const sparse = this.sparse;
    if (index - this.len <= 64) {
      this.memoGrow(index + 1);
      while (this.len < index) {
        const at = this.len;
        const moved = sparse?.get(at);
        if (moved !== undefined) {
          sparse?.delete(at);
          this.memoStore(at, moved.value);
        }
        this.len = at + 1;
      }
      const old = sparse?.get(index);
      if (old !== undefined) sparse?.delete(index);
      else this.memoAdd(offset);
      this.memoStore(index, value);
      this.len = index + 1;
      return;
    }
    const map = sparse ?? new Map<number, { value: PickleValue }>();
    this.sparse = map;
    const old = map.get(index);
    if (old !== undefined) old.value = value;
    else {
      this.memoAdd(offset);
      map.set(index, { value });
    }
  }

  /** Room for n dense slots (new slots are holes). */
  private memoGrow(n: number): void {
    const cap = this.kinds.length;
    if (n <= cap) return;
    const size = Math.max(n, cap * 2, 16);
    const kind = new Uint8Array(size);
    kind.set(this.kinds);
    this.kinds = kind;
    const val = new Float64Array(size);
    val.set(this.vals);
    this.vals = val;
  }

  /** Writes a dense slot, packed as numbers when the value allows it. */
  private memoStore(index: number, value: PickleValue): void {
    let kind: number;
    let x = 0;
    if (typeof value === "number") {
      kind = MEMO_NUM;
      x = value;
    } else if (value === null) kind = MEMO_NONE;
    else if (value === true) kind = MEMO_TRUE;
    else if (value === false) kind = MEMO_FALSE;
    else {
      x = -1;
      if (index < PACK_FROM) kind = MEMO_OBJ;
      else if (value instanceof SymbolicStr) {
        x = packSrc(value);
        kind = MEMO_SRC;
      } else if (value instanceof SharedOpaque) {
        x = value.index;
        kind = MEMO_SHARED;
      } else if (typeof value === "string") {
        if (value.length <= INLINE_STR) x = this.packString(value);
        kind = MEMO_STR;
      } else if (value instanceof SymbolicTuple) {
        x = this.packTuple(value);
        kind = MEMO_TUPLE;
      } else kind = MEMO_OBJ;
      if (x < 0) {
        // Kept by reference: reuse this slot's entry, else a freed one, else a new one.
        kind = MEMO_OBJ;
        const objs = this.objs;
        if (this.kinds[index] === MEMO_OBJ) x = this.vals[index] as number;
        else x = this.free.pop() ?? objs.push(value) - 1;
        objs[x] = value;
        this.kinds[index] = MEMO_OBJ;
        this.vals[index] = x;
        return;
      }
    }
    if (this.kinds[index] === MEMO_OBJ) {
      const freed = this.vals[index] as number;
      this.objs[freed] = null;
      this.free.push(freed);
    }
    this.kinds[index] = kind;
    this.vals[index] = x;
  }

  /** Copies a short string into `chars`; its position, or -1 when the arena is full. */
  private packString(text: string): number {
    const n = text.length;
    const at = this.charsLen;
    if (at + n + 1 > this.chars.length) {
      if (at + n + 1 > CHARS_CAP) return -1;
      const next = new Uint16Array(Math.min(CHARS_CAP, Math.max(256, this.chars.length * 2)));
      next.set(this.chars.subarray(0, at));
      this.chars = next;
    }
    const c = this.chars;
    c[at] = n;
    for (let i = 0; i < n; i++) c[at + 1 + i] = text.charCodeAt(i);
    this.charsLen = at + n + 1;
    return at;
  }

  private unpackSrc(x: number): SymbolicStr {
    const length = x % SRC_SCALE;
    return new SymbolicStr(this.strs, (x - length) / SRC_SCALE, length);
  }

  private unpackString(at: number): string {
    const c = this.chars;
    const n = c[at] as number;
    let out = "";
    for (let i = 1; i <= n; i++) out += String.fromCharCode(c[at + i] as number);
    return out;
  }

  /**
   * Copies a small tuple of plain items (numbers, None, bools, short strings, shared markers) into
   * `tuples` and `tupleKinds`; its position, or -1 when an item is anything else (kept by reference) or the arena
   * is full.
   */
  private packTuple(t: SymbolicTuple): number {
    const items = t.items;
    if (items === undefined || items.length > KEEP_ITEMS) return -1;
    const n = items.length;
    const at = this.tuplesLen;
    const need = 1 + n;
    if (at + need > this.tuples.length) {
      if (at + need > TUPLES_CAP) return -1;
      const size = Math.min(TUPLES_CAP, Math.max(64, this.tuples.length * 2));
      const next = new Float64Array(size);
      next.set(this.tuples.subarray(0, at));
      this.tuples = next;
      const nextKinds = new Uint8Array(size);
      nextKinds.set(this.tupleKinds.subarray(0, at));
      this.tupleKinds = nextKinds;
    }
    // One pass: items are written as they are checked; an item that cannot be packed gives the
    // written slots (and any characters packed for them) back.
    const out = this.tuples;
    const kinds = this.tupleKinds;
    const charsMark = this.charsLen;
    out[at] = n;
    for (let i = 0, o = at + 1; i < n; i++, o++) {
      const v = items[i];
      let kind = -1; // stays -1 for an item that cannot be packed
      let x = 0;
      if (typeof v === "number") {
        kind = ITEM_NUMBER;
        x = v;
      } else if (v instanceof SymbolicStr) {
        x = packSrc(v);
        if (x >= 0) kind = ITEM_SRC;
      } else if (v instanceof SharedOpaque) {
        kind = ITEM_SHARED;
        x = v.index;
      } else if (v === null) kind = ITEM_NONE;
      else if (v === true) kind = ITEM_TRUE;
      else if (v === false) kind = ITEM_FALSE;
      else if (typeof v === "string" && v.length <= INLINE_STR) {
        x = this.packString(v);
        if (x >= 0) kind = ITEM_STR;
      }
      if (kind < 0) {
        this.charsLen = charsMark;
        return -1;
      }
      kinds[o] = kind;
      out[o] = x;
    }
    this.tuplesLen = at + need;
    return at;
  }

  private unpackTuple(at: number): SymbolicTuple {
    const t = this.tuples;
    const kinds = this.tupleKinds;
    const n = t[at] as number;
    const items = new Array<PickleValue>(n);
    for (let i = 0; i < n; i++) {
      const kind = kinds[at + 1 + i] as number;
      const x = t[at + 1 + i] as number;
      items[i] =
        kind === ITEM_NUMBER
          ? x
          : kind === ITEM_NONE
            ? null
            : kind === ITEM_TRUE
              ? true
              : kind === ITEM_FALSE
                ? false
                : kind === ITEM_STR
                  ? this.unpackString(x)
                  : kind === ITEM_SRC
                    ? this.unpackSrc(x)
                    : (SHARED[x] as PickleValue);
    }
    return new SymbolicTuple(items, n);
  }

  private memoAdd(offset: number): void {
    if (this.count >= this.maxMemo) {
      throw new Halt(
        "budget",
        `The pickle memo grew past ${this.maxMemo} entries at offset ${offset}; the rest of the pickle was not scanned.`,
        offset,
      );
    }
    this.count++;
  }

  /** The value at `index`, or undefined when there is none. */
  get(index: number): PickleValue | undefined {
    let v: PickleValue | undefined;
    if (index < this.len) {
      const kind = this.kinds[index];
      const x = this.vals[index] as number;
      if (kind === MEMO_NUM) v = x;
      else if (kind === MEMO_OBJ) v = this.objs[x];
      else if (kind === MEMO_STR) v = this.unpackString(x);
      else if (kind === MEMO_SRC) v = this.unpackSrc(x);
      else if (kind === MEMO_SHARED) v = SHARED[x];
      else if (kind === MEMO_TUPLE) v = this.unpackTuple(x);
      else if (kind === MEMO_NONE) v = null;
      else if (kind === MEMO_TRUE) v = true;
      else if (kind === MEMO_FALSE) v = false;
    } else v = this.sparse?.get(index)?.value;
    return v;
  }
}
