/**
 * The pickle interpreter's hot loop: the dispatch over the data opcodes most streams are made of
 * (constants, containers, memo, frames, PROTO, STOP). Opcodes that produce a value break to one
 * push below the switch; everything else (imports, calls, protocol-0 text, rare opcodes) goes to
 * otherOpcode (object-opcodes.ts). The loop is one function on purpose: kept small enough for the
 * JIT to inline its helpers, it is the seam, not a candidate for splitting.
 */

import { ObjectOpcodes } from "./object-opcodes.js";
import { HIGHEST_PROTOCOL } from "./opcodes.js";
import { type PickleValue, SymbolicDict, SymbolicGlobal } from "./types.js";
import { EMPTY_TUPLE, FLOAT, LIST } from "./values.js";

export abstract class DataOpcodeLoop extends ObjectOpcodes {
  /** The stream starts with a valid PROTO (sniff). */
  sawProtoFirst = false;

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
}
