/**
 * The pickle interpreter: walks one pickle stream opcode by opcode with a symbolic stack, a mark
 * stack and a memo, the way CPython's `_pickle.c` unpickler does, and records every import and
 * every call. Nothing is executed and nothing large is held: constants are skipped by offset, the
 * source is read through a 1 MiB window, and every structure is bounded by the Budget.
 *
 * Errors never escape: a truncated, invalid or over-budget stream stops the walk with a finding,
 * and everything recorded before it is kept (a payload can run before the stream breaks).
 *
 * The interpreter is one object built in layers, each in its own file: reader.ts (the window over
 * the source, opcode arguments, halting), stack.ts (stack, marks; memo.ts holds the memo),
 * records.ts (imports, calls, persistent ids), constants.ts (str/bytes/int constants and pickles
 * nested in them), and this file (the dispatch loop for the hot data opcodes, otherOpcode for
 * imports, calls, protocol-0 text and rare opcodes, BUILD and loader hooks, entry points).
 */
import { type Finding, finding } from "../../core/finding.js";
import type { Budget } from "../budget.js";
import type { ByteSource } from "../source.js";
import { ConstantReader, NESTED_MIN, SNIFF_PREFIX } from "./constants.js";
import { Halt, type HaltKind } from "./halt.js";
import { joblibHooks } from "./joblib.js";
import { HIGHEST_PROTOCOL, opcodeName } from "./opcodes.js";
import type { WalkConfig } from "./reader.js";
import type {
  FrameReading,
  PickleHookIO,
  PickleHooks,
  PickleStreamResult,
  PickleValue,
} from "./types.js";
import { SymbolicDict, SymbolicGlobal, SymbolicObject } from "./types.js";
import { BUFFER, EMPTY_TUPLE, FLOAT, FROZENSET, LIST, PICKLE_FIRST, SET } from "./values.js";

export { joblibHooks, SNIFF_PREFIX };

export interface WalkPickleOptions {
  /** How FRAMEs are read (default: linear, recording where the pure-Python reader stops). */
  frames?: FrameReading;
  /** Where the stream starts (default 0). */
  offset?: number;
  /** Where readable bytes end (default source.size). */
  limit?: number;
  budget: Budget;
  /** Loader hooks; default `joblibHooks` (joblib's inline arrays). Pass `{}` for a plain `pickle.load`. */
  hooks?: PickleHooks;
}

/** Walks one pickle stream from `options.offset`. Never throws on hostile input. */
export function walkPickle(source: ByteSource, options: WalkPickleOptions): PickleStreamResult {
  const start = options.offset ?? 0;
  return runWalk(
    {
      source,
      limit: Math.min(options.limit ?? source.size, source.size),
      budget: options.budget,
      hooks: options.hooks ?? joblibHooks,
      depth: 0,
      sniff: false,
      maxOpcodes: options.budget.limits.maxPickleOpcodes,
      ...(options.frames === undefined ? {} : { frames: options.frames }),
    },
    start,
  );
}

export interface ProbeResult {
  /** Bytes parse as the start of a pickle (or a whole one). */
  pickle: boolean;
  protocol: number;
  complete: boolean;
  opcodes: number;
}

/**
 * Does the data at `start` parse as a pickle? Walks at most SNIFF_PREFIX bytes. It is a pickle
 * when the walk reaches STOP; or runs off the end of the window after a PROTO header or at least
 * four opcodes; or breaks (invalid opcode, underflow, missing memo key) after four opcodes that
 * include an import — a payload may already have run. Unless `strict`, a stream that starts with a
 * valid PROTO is a pickle however it continues (top-level detection: it is then scanned, and its
 * breakage reported). Nested constants use `strict`, so random data starting 0x80 0x02 is not one.
 */
export function probePickle(
  source: ByteSource,
  start: number,
  budget: Budget,
  end = source.size,
  strict = false,
): ProbeResult {
  const limit = Math.min(end, start + SNIFF_PREFIX, source.size);
  const first = start < limit ? source.read(start, 1)[0] : undefined;
  if (first === undefined || !PICKLE_FIRST[first])
    return { pickle: false, protocol: 0, complete: false, opcodes: 0 };
  const walker = new Walker(
    {
      source,
      limit,
      budget,
      hooks: joblibHooks,
      depth: 0,
      sniff: true,
      maxOpcodes: SNIFF_PREFIX + 1,
    },
    start,
  );
  let outcome: HaltKind | "stop" = "stop";
  try {
    walker.run();
  } catch (error) {
    if (!(error instanceof Halt)) throw error;
    outcome = error.kind;
  } finally {
    walker.release();
  }
  const r = walker.result;
  const completed = outcome === "stop" ? r.opcodes : r.opcodes - 1;
  let pickle = false;
  if (outcome === "stop") pickle = r.opcodes >= 2;
  else if (outcome === "eof") pickle = walker.sawProtoFirst || completed >= 4;
  // A stream that imports something and then breaks still ran its payload (C8, P3).
  else pickle = (completed >= 4 && walker.sniffImports > 0) || (walker.sawProtoFirst && !strict);
  return { pickle, protocol: r.protocol, complete: outcome === "stop", opcodes: r.opcodes };
}

export interface ImportProbe {
  /** Imports of Python dotted names (or EXT codes) the reading reached before it broke. */
  imports: number;
  /** The reading ran out of opcodes (`maxOpcodes`) without breaking: undecided. */
  undecided: boolean;
  protocol: number;
}

/**
 * Reads the source from offset 0 as `pickle.load` would, as far as it goes (to the end of the
 * source, at most `maxOpcodes` opcodes), counting the imports it reaches before it breaks. Used by
 * detection to decide whether bytes that also look like text, JSON or another format have a pickle
 * reading that matters: one that imports something.
 */
export function probePickleImports(
  source: ByteSource,
  budget: Budget,
  maxOpcodes: number,
): ImportProbe {
  const first = source.size > 0 ? source.read(0, 1)[0] : undefined;
  if (first === undefined || !PICKLE_FIRST[first])
    return { imports: 0, undecided: false, protocol: 0 };
  const walker = new Walker(
    { source, limit: source.size, budget, hooks: {}, depth: 0, sniff: true, maxOpcodes },
    0,
  );
  // Frames are tracked here too: where readers part ways, the reading that imports may not be
  // this linear one, so such bytes count as a pickle (undecided).
  walker.trackFrames = true;
  let undecided = false;
  try {
    walker.run();
  } catch (error) {
    if (!(error instanceof Halt)) throw error;
    undecided = error.kind === "budget";
  } finally {
    walker.release();
  }
  undecided ||= walker.frameEvents.length > 0;
  return {
    imports: walker.sniffNamedImports,
    undecided: undecided && walker.sniffNamedImports === 0,
    protocol: walker.result.protocol,
  };
}

function runWalk(cfg: WalkConfig, start: number): PickleStreamResult {
  const walker = new Walker(cfg, start);
  try {
    walker.run();
  } catch (error) {
    if (!(error instanceof Halt)) {
      // A bug in the walker must still fail closed, with what was found so far.
      walker.result.findings.push(
        finding(
          "PICKLE_MALFORMED",
          "unscannable",
          `The pickle walker failed unexpectedly: ${String(error)}.`,
          {
            offset: walker.opStart,
          },
        ),
      );
    } else if (error.kind === "budget") {
      walker.result.findings.push(
        finding("BUDGET_EXCEEDED", "unscannable", error.message, { offset: error.offset }),
      );
    } else if (error.kind === "malformed") {
      walker.result.findings.push(
        finding(
          "PICKLE_MALFORMED",
          "unscannable",
          `The pickle is malformed at offset ${error.offset} (${opcodeName(walker.opcodeAt(error.offset))}): ${error.message}.`,
          { offset: error.offset },
        ),
      );
    } else if (error.kind === "eof") {
      walker.result.findings.push(
        finding("PICKLE_MALFORMED", "unscannable", error.message, { offset: error.offset }),
      );
    }
    walker.result.end = Math.min(walker.pos, cfg.limit);
  } finally {
    walker.release();
  }
  walker.finishAttributeGets();
  if (walker.frameEvents.length > 0 || walker.frameChoices.length > 0) {
    walker.result.frames = {
      events: walker.frameEvents,
      choices: walker.frameChoices,
      drops: walker.frameDrops,
    };
  }
  return walker.result;
}

class Walker extends ConstantReader {
  /** The stream starts with a valid PROTO (sniff). */
  sawProtoFirst = false;
  io: PickleHookIO | undefined = undefined;

  protected probeNested(source: ByteSource, start: number, end: number): boolean {
    return probePickle(source, start, this.cfg.budget, end, true).pickle;
  }

  protected walkNested(cfg: WalkConfig, start: number): PickleStreamResult {
    return runWalk(cfg, start);
  }

  // ---------------------------------------------------------------- the loop

  run(): void {
    const maxOps = this.cfg.maxOpcodes;
    const result = this.result;
    for (;;) {
      this.opStart = this.pos;
      if (++result.opcodes > maxOps) {
        this.budgetHit(`The pickle runs more than ${maxOps} opcodes`);
      }
      if (this.pos >= this.bufEnd || this.pos < this.bufStart) this.fill(1);
      const op = this.buf[this.pos++ - this.bufStart] as number;
      // Opcodes that produce a value set `v` and break to the one push below the switch (one call
      // site the JIT inlines); the others `continue`.
      let v: PickleValue;
      switch (op) {
        case 0x28: // MARK
          this.pushMark();
          continue;
        case 0x2e: // STOP
          this.pop();
          result.complete = true;
          result.end = this.pos;
          return;
        case 0x30: // POP: pops a mark when one is on top (as _pickle.c does)
          if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.stack.length)
            this.popMark();
          else this.pop();
          continue;
        case 0x32: // DUP
          v = this.top();
          if (v instanceof SymbolicGlobal) v.references++;
          break;
        case 0x4a: // BININT
          v = this.i32();
          break;
        case 0x4b: // BININT1
          v = this.u8();
          break;
        case 0x4d: // BININT2
          v = this.u16();
          break;
        case 0x4e: // NONE
          v = null;
          break;
        case 0x54: {
          // BINSTRING (signed length)
          const n = this.i32();
          if (n < 0) this.malformed("BINSTRING pickle has negative byte count");
          v = this.constant(n, "latin1");
          break;
        }
        case 0x55: // SHORT_BINSTRING
          v = this.constant(this.u8(), "latin1");
          break;
        case 0x58: // BINUNICODE
          v = this.constant(this.u32(), "utf8");
          break;
        case 0x61: {
          // APPEND
          this.pop();
          this.top();
          continue;
        }
        case 0x7d: // EMPTY_DICT
          v = new SymbolicDict();
          break;
        case 0x65: // APPENDS
          this.popMarkDiscard();
          this.top();
          continue;
        case 0x68: // BINGET
          this.memoGet(this.u8());
          continue;
        case 0x6a: // LONG_BINGET
          this.memoGet(this.u32());
          continue;
        case 0x5d: // EMPTY_LIST
          v = LIST;
          break;
        case 0x71: // BINPUT
          this.memo.put(this.u8(), this.top(), this.opStart);
          continue;
        case 0x72: {
          // LONG_BINPUT
          const idx = this.i32();
          if (idx < 0) this.malformed("negative LONG_BINPUT argument");
          this.memo.put(idx, this.top(), this.opStart);
          continue;
        }
        case 0x73: {
          // SETITEM
          const value = this.pop();
          const key = this.pop();
          const d = this.top();
          if (d instanceof SymbolicDict) this.addEntries(d, [key, value]);
          continue;
        }
        case 0x74: // TUPLE
          v = this.tuple(this.popMarkItems());
          break;
        case 0x29: // EMPTY_TUPLE
          v = EMPTY_TUPLE;
          break;
        case 0x75: {
          // SETITEMS: contents kept only while the dict still tracks them
          const m = this.marks[this.marks.length - 1];
          const d = m !== undefined && m > 0 ? this.stack[m - 1] : undefined;
          const keep = d instanceof SymbolicDict && d.entries !== undefined;
          const n = keep ? this.stack.length - (m as number) : 0;
          const items = keep ? this.popMarkItems() : undefined;
          const count = items === undefined ? this.popMarkDiscard() : n;
          if (count % 2 !== 0) this.malformed("odd number of items for SETITEMS");
          this.top();
          if (items !== undefined) this.addEntries(d as SymbolicDict, items);
          continue;
        }
        case 0x47: {
          // BINFLOAT (big-endian double): never needed by value; a shared marker avoids a heap
          // number per float in memo-heavy streams.
          this.at(8);
          v = FLOAT;
          break;
        }
        case 0x80: {
          // PROTO
          const p = this.u8();
          if (p > HIGHEST_PROTOCOL) this.malformed(`unsupported pickle protocol: ${p}`);
          if (this.opStart === result.start) this.sawProtoFirst = true;
          this.proto = p;
          if (p > result.protocol) result.protocol = p;
          continue;
        }
        case 0x85: // TUPLE1
          v = this.tuple([this.pop()]);
          break;
        case 0x86: {
          // TUPLE2
          const b = this.pop();
          const a = this.pop();
          v = this.tuple([a, b]);
          break;
        }
        case 0x87: {
          // TUPLE3
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          v = this.tuple([a, b, c]);
          break;
        }
        case 0x88: // NEWTRUE
          v = true;
          break;
        case 0x89: // NEWFALSE
          v = false;
          break;
        case 0x8a: // LONG1
          v = this.long(this.u8());
          break;
        case 0x42: // BINBYTES
          v = this.constant(this.u32(), "bytes");
          break;
        case 0x43: // SHORT_BINBYTES
          v = this.constant(this.u8(), "bytes");
          break;
        case 0x8c: // SHORT_BINUNICODE
          v = this.constant(this.u8(), "utf8");
          break;
        case 0x8d: // BINUNICODE8
          v = this.constant(this.u64(), "utf8");
          break;
        case 0x8e: // BINBYTES8
          v = this.constant(this.u64(), "bytes");
          break;
        case 0x94: // MEMOIZE
          this.memo.put(this.memo.count, this.top(), this.opStart);
          continue;
        case 0x95: {
          // FRAME: _pickle.c only checks that the frame's bytes exist
          const n = this.u64();
          if (n > this.cfg.limit - this.pos && !this.cfg.sniff) {
            this.malformed(
              `FRAME declares ${n === Number.POSITIVE_INFINITY ? "an impossibly large" : n}-byte frame, past the end of the data at ${this.cfg.limit}`,
            );
          }
          this.enterFrame(n);
          continue;
        }
        default:
          // Everything else: imports and calls, protocol-0 text opcodes, rare opcodes. Kept out
          // of this loop so that it stays small enough for the JIT to inline its helpers.
          this.otherOpcode(op);
          continue;
      }
      this.push(v);
    }
  }

  private build(): void {
    const state = this.pop();
    const target = this.top();
    const suffix = target instanceof SymbolicObject ? ".__setstate__" : "";
    const origin = target instanceof SymbolicObject ? target.callable : target;
    this.recordCall("BUILD", origin, suffix);
    if (target instanceof SymbolicObject) {
      target.state = state;
      this.noteAttributeBuilt(target);
    }
    const hook = this.cfg.hooks.onBuild;
    if (hook === undefined) return;
    this.io ??= this.hookIO();
    const replaced = hook({ target, state, offset: this.opStart }, this.io);
    if (replaced !== undefined) this.stack[this.stack.length - 1] = replaced;
  }

  private hookIO(): PickleHookIO {
    const self = this;
    return {
      get position() {
        return self.pos;
      },
      get limit() {
        return self.cfg.limit;
      },
      // The loader's hook reads its file handle directly, outside any frame.
      read: (length) => {
        self.clearFrame();
        return self.take(length).slice();
      },
      skip: (length) => {
        self.clearFrame();
        self.skip(length);
      },
      walkInline: () => self.walkInline(),
      checkNested: (length: number) => {
        if (self.cfg.sniff || length < NESTED_MIN || length > self.cfg.limit - self.pos) return;
        const head = self.cfg.source.read(self.pos, 1);
        if (PICKLE_FIRST[head[0] as number])
          self.nestedIn(self.cfg.source, self.pos, self.pos + length, false);
      },
      report: (f: Finding) => {
        if (!self.cfg.sniff) self.result.findings.push(f);
      },
      fail: (message: string) => self.malformed(message),
    };
  }

  /** Opcodes outside the hot loop (see run); invalid opcodes end the walk as malformed. */
  private otherOpcode(op: number): void {
    switch (op) {
      case 0x31: // POP_MARK
        this.popMarkDiscard();
        break;
      case 0x46: // FLOAT
        this.push(this.floatLine());
        break;
      case 0x49: // INT
        this.push(this.intLine());
        break;
      case 0x4c: // LONG
        this.push(this.longLine());
        break;
      case 0x50: // PERSID
        this.persId();
        break;
      case 0x51: // BINPERSID
        this.binPersId();
        break;
      case 0x52: {
        // REDUCE
        const args = this.pop();
        const fn = this.pop();
        this.push(this.call("REDUCE", fn, args));
        break;
      }
      case 0x53: // STRING
        this.push(this.stringLine());
        break;
      case 0x56: // UNICODE
        this.push(this.unicodeLine());
        break;
      case 0x62: // BUILD
        this.build();
        break;
      case 0x63: {
        // GLOBAL
        const [module, name, ok, cut] = this.twoLines();
        this.push(this.recordImport(module, name, "GLOBAL", false, ok));
        if (cut) throw cut; // the pure-Python reading imported, then meets the end of the data
        break;
      }
      case 0x64: {
        // DICT
        const items = this.popMarkItems();
        if (items.length % 2 !== 0) this.malformed("odd number of items for DICT");
        const d = new SymbolicDict();
        this.addEntries(d, items);
        this.push(d);
        break;
      }
      case 0x67: {
        // GET
        this.memoGet(this.decimalLine("GET"));
        break;
      }
      case 0x69: {
        // INST: import, then call it with the items above the mark
        const [module, name, ok, cut] = this.twoLines();
        const cls = this.recordImport(module, name, "INST", false, ok);
        const items = this.popMarkItems();
        this.push(this.call("INST", cls, this.tuple(items)));
        if (cut) throw cut; // the pure-Python reading imported and called, then meets the end
        break;
      }
      case 0x6c: // LIST
        this.popMarkDiscard();
        this.push(LIST);
        break;
      case 0x6f: {
        // OBJ: class and args above the mark
        const m = this.marks[this.marks.length - 1];
        if (m !== undefined && this.stack.length - m < 1)
          this.malformed("unpickling stack underflow");
        const items = this.popMarkItems();
        const cls = items.shift() as PickleValue;
        this.push(this.call("OBJ", cls, this.tuple(items)));
        break;
      }
      case 0x70: {
        // PUT
        const idx = this.decimalLine("PUT");
        if (idx < 0) this.malformed("negative PUT argument");
        this.memo.put(idx, this.top(), this.opStart);
        break;
      }
      case 0x81: {
        // NEWOBJ: cls.__new__(cls, *args)
        const args = this.pop();
        const cls = this.pop();
        this.push(this.call("NEWOBJ", cls, args));
        break;
      }
      case 0x82: // EXT1
        this.ext("EXT1", this.u8());
        break;
      case 0x83: // EXT2
        this.ext("EXT2", this.u16());
        break;
      case 0x84: // EXT4
        this.ext("EXT4", this.i32());
        break;
      case 0x8b: {
        // LONG4 (signed length)
        const n = this.i32();
        if (n < 0) this.malformed("LONG pickle has negative byte count");
        this.push(this.long(n));
        break;
      }
      case 0x8f: // EMPTY_SET
        this.push(SET);
        break;
      case 0x90: // ADDITEMS
        this.popMarkDiscard();
        this.top();
        break;
      case 0x91: // FROZENSET
        this.popMarkDiscard();
        this.push(FROZENSET);
        break;
      case 0x92: {
        // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
        const kwargs = this.pop();
        const args = this.pop();
        const cls = this.pop();
        void kwargs;
        this.push(this.call("NEWOBJ_EX", cls, args));
        break;
      }
      case 0x93: // STACK_GLOBAL
        this.stackGlobal();
        break;
      case 0x96: // BYTEARRAY8
        this.push(this.constant(this.u64(), "bytearray"));
        break;
      case 0x97: // NEXT_BUFFER
        this.push(BUFFER);
        break;
      case 0x98: // READONLY_BUFFER
        this.top();
        break;
      default:
        this.malformed(`invalid load key 0x${op.toString(16).padStart(2, "0")}`);
    }
  }

  /** Walks a complete pickle at the current position (joblib object arrays) and merges it. */
  private walkInline(): void {
    if (this.cfg.sniff) throw new Halt("eof", "inline pickle in sniff mode", this.opStart);
    const inner = runWalk(this.cfg, this.pos);
    const r = this.result;
    r.imports.push(...inner.imports);
    r.calls.push(...inner.calls);
    r.persistentIds.push(...inner.persistentIds);
    r.findings.push(...inner.findings);
    r.nested.push(...inner.nested);
    r.opcodes += inner.opcodes;
    r.omitted += inner.omitted;
    if (inner.getattrs !== undefined) r.getattrs = [...(r.getattrs ?? []), ...inner.getattrs];
    if (inner.newOnly !== undefined) r.newOnly = [...(r.newOnly ?? []), ...inner.newOnly];
    if (inner.protocol > r.protocol) r.protocol = inner.protocol;
    this.pos = inner.end;
    if (!inner.complete) throw new Halt("stopped", "", this.opStart);
  }
}
