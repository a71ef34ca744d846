/**
 * Public types of the pickle engine. Other scanners (legacy PyTorch, zip-based PyTorch, joblib,
 * numpy) call `walkPickle` and `evaluatePickle` from `./index.js` and read these shapes.
 */
import type { Finding } from "../../core/finding.js";
import type { BoosterBuild } from "./lightgbm-state.js";

/** One import the unpickler would perform: GLOBAL, INST, STACK_GLOBAL or EXT1/2/4. */
export interface PickleImport {
  /** Module as written in the stream (for EXT: "<extension>"; for non-string operands: a description). */
  module: string;
  /** Qualified name as written (may be dotted; for EXT: the extension code as decimal). */
  name: string;
  /** Byte offset of the opcode in the source. */
  offset: number;
  /** GLOBAL, INST, STACK_GLOBAL, EXT1, EXT2, EXT4. */
  opcode: string;
  /** True when STACK_GLOBAL operands were not both plain `str` values (P4). */
  nonString?: boolean;
  /**
   * For a non-str STACK_GLOBAL: the operands are certainly not str unless one of these globals
   * (whose value or call result an operand is) yields an exact str; the loader then raises
   * "STACK_GLOBAL requires str" and imports nothing. Absent when an operand may be a str.
   */
  notStrUnless?: { module: string; name: string }[];
  /** Protocol in force when the import ran (protocol < 3 maps Python 2 names, like the loader). */
  protocol?: number;
}

/** How the C unpickler got a frame's bytes from a file object: peek() (linear) or read(n). */
export type FrameDecision = "peek" | "read";

/** Which reading of FRAMEs a walk follows (see WalkConfig.frames). */
export interface FrameReading {
  mode: "linear" | "file";
  /** File reading: decision per FRAME that starts a new buffer, in order (default "read"). */
  decisions: readonly FrameDecision[];
}

/** A place where frame handling makes readers part ways. */
export interface FrameEvent {
  /**
   * read-past-frame: an argument runs past the end of its frame (pure Python raises; the C
   * unpickler from a file with read() drops the rest of the frame and reads after it);
   * readinto-past-frame: the same for a bytes payload (pure Python raises; C reads on);
   * frame-in-frame: a FRAME before the current frame is used up (pure Python raises);
   * dropped: (file reading) the bytes [at, frameEnd) were skipped.
   */
  kind: "read-past-frame" | "readinto-past-frame" | "frame-in-frame" | "dropped";
  /** Offset of the opcode. */
  offset: number;
  /** Where the read started. */
  at: number;
  frameEnd: number;
}

/** One call the unpickler would make. */
export interface PickleCall {
  /** REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX. */
  opcode: string;
  /** "module.name" of the global the callable came from, or a description such as "<result of x.y>". */
  callable: string;
  /** Byte offset of the opcode in the source. */
  offset: number;
  /** The import the callable came from, when it came straight from one. */
  global?: { module: string; name: string };
}

/** A bytes/str constant that itself parses as a pickle (P13), walked recursively. */
export interface NestedPickle {
  /** Offset of the constant's opcode in the outer source. */
  offset: number;
  /** True when the inner bytes were decoded in memory (offsets inside `stream` are then relative to the constant). */
  decoded: boolean;
  stream: PickleStreamResult;
}

export interface PickleStreamResult {
  start: number;
  /** Offset just after STOP, or where reading stopped. */
  end: number;
  /** Highest protocol announced by PROTO (0 when there is none). */
  protocol: number;
  /** True when STOP was reached. */
  complete: boolean;
  imports: PickleImport[];
  calls: PickleCall[];
  /** PERSID/BINPERSID arguments as plain JS values (tuples → arrays, globals → {global:"mod.name"}). */
  persistentIds: unknown[];
  /** Structural findings: malformed, truncated, budget, nested, joblib… (policy findings come from evaluatePickle). */
  findings: Finding[];
  /** Pickles found inside constants (P13). Their imports are NOT in `imports`; evaluatePickle recurses. */
  nested: NestedPickle[];
  /** Opcodes executed (including those of inline joblib object arrays). */
  opcodes: number;
  /** Frame events (see FrameEvent); absent when frames read the same in every reader. */
  frames?: { events: FrameEvent[]; choices: FrameDecision[]; drops: number[] };
  /** Repeats of an already-recorded (opcode, module, name) import or (opcode, callable) call beyond the kept 64 per key. */
  omitted: number;
  /** Every use of each imported `getattr` (see AttributeGetter); absent when none was imported. */
  getattrs?: AttributeGetter[];
  /**
   * Offsets of imports of construct-only classes (attribute-rule.ts) whose every use was
   * `NEWOBJ` with no arguments (`cls.__new__(cls)`: no `__init__`, no `__post_init__`).
   */
  newOnly?: number[];
  /** BUILDs on `lightgbm.basic.Booster` objects and their model-text checks (lightgbm-state.ts). */
  lightgbm?: BoosterBuild[];
}

/**
 * One imported `getattr` and everything done with it, so the argument-shape rule
 * (attribute-rule.ts) can tell the shapes CPython writes from any other use.
 */
export interface AttributeGetter {
  /** Offset of the import (matches PickleImport.offset). */
  importOffset: number;
  /** Times the value was placed on the stack or used: its import, memo reads, DUPs. */
  references: number;
  /** Calls of it, in order; `references === calls.length` means it was used for nothing else. */
  calls: AttributeGet[];
}

/** One `getattr(owner, attribute)` call. */
export interface AttributeGet {
  offset: number;
  /** Set when the arguments are exactly (an imported global, a str constant). */
  owner?: { module: string; name: string; protocol: number };
  attribute?: string;
  /** The result was itself called (REDUCE, NEWOBJ…) or BUILD was applied to it. */
  resultCalled: boolean;
  resultBuilt: boolean;
}

/**
 * Symbolic values on the stack and in the memo. Kept cheap: contents are tracked only when small.
 * A str is a `string` or, for short ASCII constants, a SymbolicStr (its `text` is the string).
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | SymbolicStr
  | SymbolicGlobal
  | SymbolicObject
  | SymbolicTuple
  | SymbolicDict
  | SymbolicOpaque;

/** Where a SymbolicStr's bytes are read back from (the walker that read them). */
export interface StrBytes {
  /** The ASCII bytes at [start, start + length) of the walked source, as a string. */
  asciiAt(start: number, length: number): string;
}

/**
 * A short str constant whose bytes are all ASCII, kept as a place in the source and decoded only
 * when something needs its text (import operands, persistent ids, loader hooks, messages). Most
 * keys and names in a large pickle are never looked at, and decoding them all used to be a large
 * part of a walk. Read `text` (or `strOf` in values.ts) wherever a plain `string` is expected.
 */
export class SymbolicStr {
  private decoded: string | undefined = undefined;
  constructor(
    readonly bytes: StrBytes,
    readonly start: number,
    readonly length: number,
  ) {}
  get text(): string {
    if (this.decoded === undefined) this.decoded = this.bytes.asciiAt(this.start, this.length);
    return this.decoded;
  }
}

/** A callable/class obtained by an import. */
export class SymbolicGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly offset: number,
    readonly valid: boolean,
  ) {}
  /** Times this value was placed on the stack or consumed (import, memo reads, DUP). */
  references = 1;
  /** Times it was the class of a NEWOBJ with an empty argument tuple. */
  emptyNews = 0;
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/** The result of a call (REDUCE, NEWOBJ, OBJ, INST, NEWOBJ_EX), remembering what was called. */
export class SymbolicObject {
  state: PickleValue | undefined = undefined;
  constructor(
    readonly callable: PickleValue,
    readonly args: PickleValue | undefined,
    readonly opcode: string,
    readonly offset: number,
  ) {}
}

export class SymbolicTuple {
  /** `undefined` when the tuple was too large to keep (only its length is known). */
  constructor(
    readonly items: PickleValue[] | undefined,
    readonly length: number,
  ) {}
}

export class SymbolicDict {
  /** Key/value pairs, kept while small; `undefined` once dropped. */
  entries: [PickleValue, PickleValue][] | undefined = [];
}

/** Anything whose contents we do not track: bytes, long strings, lists, sets, buffers… */
export class SymbolicOpaque {
  constructor(
    readonly kind: string,
    readonly offset = -1,
    readonly length = -1,
  ) {}
}

/** Raw read access a hook gets to consume bytes the loader reads outside the opcode stream. */
export interface PickleHookIO {
  /** Absolute offset of the next unread byte. */
  readonly position: number;
  /** End of the readable region. */
  readonly limit: number;
  /** Reads `length` bytes (small reads only); throws a truncation error past `limit`. */
  read(length: number): Uint8Array;
  /** Skips `length` bytes without reading them; throws a truncation error past `limit`. */
  skip(length: number): void;
  /**
   * Treats the next `length` bytes like a bytes constant that may itself be a pickle (P13): when
   * they parse as one, they are walked and reported as nested. Does not move the position.
   */
  checkNested(length: number): void;
  /** Walks one complete pickle at the current position (as `pickle.load(file)` would) and merges it. */
  walkInline(): void;
  /** Records a structural finding on the current stream. */
  report(finding: Finding): void;
  /** Stops the walk: the loader's reading cannot be followed (a PICKLE_MALFORMED finding, unscannable). */
  fail(message: string): never;
}

export interface PickleBuildEvent {
  /** The object being built (below the state on the stack). */
  target: PickleValue;
  state: PickleValue;
  offset: number;
}

export interface PickleHooks {
  /**
   * Called after BUILD. May consume bytes through `io` (joblib writes array data inline) and may
   * return a value that replaces the built object on the stack.
   */
  onBuild?(event: PickleBuildEvent, io: PickleHookIO): PickleValue | undefined;
}
